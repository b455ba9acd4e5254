/**
 * Access tokens: HS256 JWTs (jose) with `sub` (username), `role`, `tv` (the user's token
 * version when issued), `iat`, `exp` and our issuer.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { fail, ok, type Result } from '../../core/result.js';
import { ROLES, type Role } from '../../storage/users.repository.js';

export const ISSUER = 'overwatch-twin';

export interface Principal {
  readonly sub: string;
  readonly role: Role;
  /** Expiry of the token that proved it, seconds since the epoch (JWT `exp`). */
  readonly exp?: number;
}

/** What a verified token claims, before the store is asked. */
export interface TokenClaims {
  readonly sub: string;
  readonly role: Role;
  /** The user's token version at issue time; tokens without one (issued before versions existed) count as 0. */
  readonly tv: number;
  readonly exp: number;
}

export type TokenError = 'AUTH.INVALID' | 'AUTH.EXPIRED' | 'AUTH.REVOKED';

export async function issueToken(key: Uint8Array, principal: { sub: string; role: Role; tv: number }, ttl_s: number, now_s = Math.floor(Date.now() / 1000)): Promise<string> {
  return new SignJWT({ role: principal.role, tv: principal.tv })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(principal.sub)
    .setIssuer(ISSUER)
    .setIssuedAt(now_s)
    .setExpirationTime(now_s + ttl_s)
    .sign(key);
}

/** Checks signature, algorithm, issuer and expiry (no clock tolerance: expired is expired). */
export async function verifyToken(key: Uint8Array, token: string): Promise<Result<TokenClaims, TokenError>> {
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['sub', 'exp'] });
    const role = payload.role;
    const tv = payload.tv ?? 0;
    if (typeof payload.sub !== 'string' || !ROLES.includes(role as Role)) return fail('AUTH.INVALID', 'token lacks a subject or role');
    if (typeof tv !== 'number' || !Number.isSafeInteger(tv) || tv < 0) return fail('AUTH.INVALID', 'token has a malformed version');
    return ok({ sub: payload.sub, role: role as Role, tv, exp: payload.exp! });
  } catch (error) {
    if (error instanceof errors.JWTExpired) return fail('AUTH.EXPIRED', 'token expired');
    return fail('AUTH.INVALID', 'invalid token', { cause: error });
  }
}
