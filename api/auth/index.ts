/**
 * Authentication and authorisation for the REST API and the bridge.
 *
 * @remarks
 * Roles are ordered: `viewer` reads, `operator` also commands vehicles and edits missions,
 * `admin` also manages users. A token's role is re-read from the store on every check, and its
 * `tv` claim must equal the user's current token version (bumped by a password or role change
 * or an explicit revoke), so demoting, deleting or revoking a user takes effect at the next
 * check rather than when the token expires. A login with a hash weaker than the configured
 * scrypt parameters stores a new one (same password, tokens kept).
 *
 * @example
 * const secret = loadOrCreateSecret(store.dir);
 * const auth = createAuth({ store, secret: secret.key });
 * const r = await auth.verify(token); // r.ok ? r.value.role : r.error.code
 */
import { fail, ok, type Result } from '../../core/result.js';
import type { Store } from '../../storage/store.js';
import type { Role } from '../../storage/users.repository.js';
import { DEFAULT_SCRYPT, generatePassword, hashPassword, needsRehash, verifyPassword, type ScryptParams } from './password.js';
import { FairQueue } from './fair-queue.js';
import { issueToken, verifyToken, type Principal, type TokenError } from './tokens.js';

export { loadOrCreateSecret, type SigningSecret } from './secret.js';
export { DEFAULT_SCRYPT, hashPassword, verifyPassword, generatePassword, needsRehash, type ScryptParams } from './password.js';
export type { Principal, TokenError } from './tokens.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
/** True when `role` may do what `required` may. */
export const hasRole = (role: Role, required: Role): boolean => RANK[role] >= RANK[required];

export interface Authenticator {
  /**
   * Resolves the bearer of `token`: the user must still exist (its current role is used) and
   * the token must not be revoked (`AUTH.REVOKED`). `exp` is the token's expiry (s).
   */
  verify(token: string): Promise<Result<Principal, TokenError>>;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'bearer';
  /** Seconds. */
  readonly expires_in: number;
}

export interface Auth extends Authenticator {
  readonly ttl_s: number;
  /** The OAuth2 password grant: `AUTH.BAD_CREDENTIALS` for an unknown user or a wrong password. */
  login(username: string, password: string): Promise<Result<TokenResponse, 'AUTH.BAD_CREDENTIALS'>>;
  createUser(username: string, password: string, role: Role): Promise<Result<{ username: string; role: Role; created_at: string }, 'STORE.CONFLICT' | 'STORE.CONSTRAINT' | 'STORE.IO' | 'STORE.NOT_FOUND'>>;
  /** Sets a new password; every token issued before is revoked. */
  setPassword(username: string, password: string): Promise<Result<void, 'STORE.NOT_FOUND' | 'STORE.CONFLICT' | 'STORE.CONSTRAINT' | 'STORE.IO'>>;
}

export interface AuthOptions {
  readonly store: Store;
  /** The HS256 key (see `loadOrCreateSecret`); a string is taken as its UTF-8 bytes. */
  readonly secret: Uint8Array | string;
  /** Token lifetime in seconds. Default `TWIN_TOKEN_TTL_S` or 3600. */
  readonly ttl_s?: number;
  readonly scrypt?: ScryptParams;
  /** Password hashes computed at once (the rest wait, round-robin per user name). Default 2. */
  readonly hashConcurrency?: number;
  /** Wall time in seconds; injectable so tests can mint expired tokens. */
  readonly now_s?: () => number;
}

/** Token verification only; what the bridge takes. */
export function createAuthenticator({ store, secret: given }: Pick<AuthOptions, 'store' | 'secret'>): Authenticator {
  const secret = typeof given === 'string' ? new TextEncoder().encode(given) : given;
  return {
    async verify(token) {
      const r = await verifyToken(secret, token);
      if (!r.ok) return r;
      const user = store.users.get(r.value.sub);
      if (!user.ok) return fail('AUTH.INVALID', 'unknown user');
      if (user.value.token_version !== r.value.tv) return fail('AUTH.REVOKED', 'token revoked (password or role changed, or revoked by an admin); log in again');
      return ok({ sub: user.value.username, role: user.value.role, exp: r.value.exp });
    },
  };
}

export function createAuth(options: AuthOptions): Auth {
  const { store } = options;
  const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  const ttl_s = options.ttl_s ?? (Number(process.env.TWIN_TOKEN_TTL_S) || 3600);
  const params = options.scrypt ?? DEFAULT_SCRYPT;
  const now_s = options.now_s ?? (() => Math.floor(Date.now() / 1000));
  const authenticator = createAuthenticator({ store, secret });
  const queue = new FairQueue(options.hashConcurrency ?? 2);
  const slow = <T>(username: string, job: () => Promise<T>) => queue.run(username.toLowerCase(), job);
  /** A hash to compare against when the user does not exist, so timing does not reveal names. */
  let dummyHash: Promise<string> | undefined;
  return {
    ...authenticator,
    ttl_s,
    async login(username, password) {
      const user = store.users.get(username);
      dummyHash ??= hashPassword(generatePassword(), params);
      const against = user.ok ? user.value.password_hash : await dummyHash;
      const good = await slow(username, () => verifyPassword(password, against));
      if (!user.ok || !good) return fail('AUTH.BAD_CREDENTIALS', 'invalid username or password');
      const { username: sub, role, token_version: tv, password_hash } = user.value;
      // The password is known good now: store it at today's cost if its hash is older.
      if (needsRehash(password_hash, params)) store.users.upgradeHash(sub, password_hash, await slow(sub, () => hashPassword(password, params)));
      const access_token = await issueToken(secret, { sub, role, tv }, ttl_s, now_s());
      return ok({ access_token, token_type: 'bearer', expires_in: ttl_s });
    },
    async createUser(username, password, role) {
      return store.users.create({ username, password_hash: await slow(username, () => hashPassword(password, params)), role });
    },
    async setPassword(username, password) {
      return store.users.setPasswordHash(username, await slow(username, () => hashPassword(password, params)));
    },
  };
}

export interface BootstrapResult {
  /** True when this call created the first admin. */
  readonly created: boolean;
  /** The generated one-time password, when `TWIN_ADMIN_PASSWORD` was not set; show it once. */
  readonly oneTimePassword?: string;
}

/**
 * First start: with no users at all, creates `admin` with `TWIN_ADMIN_PASSWORD`, or with a
 * random password returned here (and never stored in clear) for the caller to print once.
 */
export async function bootstrapAdmin(auth: Auth, store: Store, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapResult> {
  if (store.users.count() > 0) return { created: false };
  const given = env.TWIN_ADMIN_PASSWORD;
  const password = given !== undefined && given !== '' ? given : generatePassword();
  const r = await auth.createUser('admin', password, 'admin');
  // Another process may have bootstrapped meanwhile: that is not an error.
  if (!r.ok) return { created: false };
  return given ? { created: true } : { created: true, oneTimePassword: password };
}
