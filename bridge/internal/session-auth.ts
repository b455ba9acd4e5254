/**
 * One connection's authentication: who it is, the token that proved it, the re-verification of
 * that token on a live connection (periodically, and on demand before every command), the end
 * of the identity when the token expires, and the deadline for a connection that never
 * authenticates.
 *
 * @remarks
 * The authenticate function may be sync or async (a JWT library may verify asynchronously);
 * while a check is pending the session holds incoming frames, so ops sent right after a token
 * run in order, as that identity. A failed `auth` does not undo an earlier good one; a failed
 * *re-verification* does (the token expired, the user was deleted) and the session drops the
 * client's streams. Timers are wall time and unref'd: they never keep a process alive.
 */
import type { Logger } from '../../core/logger.js';
import type { Result } from '../../core/result.js';
import type { Identity } from '../services.js';

/** Checks a token; sync or async. */
export type Authenticate = (token: string) => Result<Identity, string> | Promise<Result<Identity, string>>;

export interface SessionAuthEvents {
  /** A token was accepted (`id`: the auth op's id, if any). */
  accepted(identity: Identity, id: string | undefined): void;
  /** A token was refused; `message` says why. */
  refused(message: string, id: string | undefined): void;
  /** The connection's token stopped verifying: it has no identity any more. */
  revoked(message: string): void;
  /** No check is pending any more: held frames may run. */
  settled(): void;
  /** Nobody authenticated within the deadline. */
  timedOut(after_ms: number): void;
}

export interface SessionAuthLimits {
  readonly reauthInterval_ms: number;
  readonly authTimeout_ms: number;
}

const FAILED: Result<Identity, string> = { ok: false, error: { code: 'AUTH.ERROR', message: 'authentication failed' } };

export class SessionAuth {
  private current: Identity | undefined;
  /** The token `current` came from, re-verified every `reauthInterval_ms`. */
  private token: string | undefined;
  private pendingChecks = 0;
  private reauthTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly authenticate: Authenticate,
    private readonly limits: SessionAuthLimits,
    private readonly log: Logger,
    private readonly events: SessionAuthEvents,
  ) {
    this.armDeadline();
  }

  get identity(): Identity | undefined {
    return this.current;
  }

  /** True while a token check is in flight. */
  get pending(): boolean {
    return this.pendingChecks > 0;
  }

  /** Takes an identity the server verified already (the URL token, checked at the upgrade). */
  adopt(identity: Identity, token: string): void {
    this.onResult({ ok: true, value: identity }, undefined, token);
  }

  /**
   * Verifies the current token again now (a command is about to run): resolves with the fresh
   * identity (its current role), or undefined — and the identity is gone — when the token
   * expired or was revoked, or the user was deleted.
   */
  async recheck(): Promise<Identity | undefined> {
    const token = this.token;
    if (token === undefined || this.disposed) return undefined;
    const r = await this.verify(token);
    return this.judge(token, r) ? this.current : undefined;
  }

  /** Checks `token` (from the URL or an `auth` op with id `id`). */
  submit(token: string, id: string | undefined): void {
    const result = this.verify(token);
    if (!(result instanceof Promise)) return this.onResult(result, id, token);
    this.pendingChecks++;
    void result.then((r) => {
      this.pendingChecks--;
      if (this.disposed) return;
      this.onResult(r, id, token);
      if (this.pendingChecks === 0) this.events.settled();
    });
  }

  dispose(): void {
    this.disposed = true;
    if (this.reauthTimer) clearInterval(this.reauthTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    if (this.deadline) clearTimeout(this.deadline);
  }

  /** Calls the authenticate function; a throw or a rejection is a failure, logged as a bug. */
  private verify(token: string): Result<Identity, string> | Promise<Result<Identity, string>> {
    try {
      const r = this.authenticate(token);
      return r instanceof Promise
        ? r.catch((error: unknown) => {
            this.log.error({ err: error }, 'authenticate rejected');
            return FAILED;
          })
        : r;
    } catch (error) {
      this.log.error({ err: error }, 'authenticate threw');
      return FAILED;
    }
  }

  private onResult(r: Result<Identity, string>, id: string | undefined, token: string): void {
    if (!r.ok) {
      // A bad token does not undo an earlier good one: the client proved who it is already.
      this.log.info({ reason: r.error.message }, 'authentication failed');
      const still = this.current ? `; still authenticated as ${this.current.sub} (${this.current.role})` : '';
      this.events.refused(`token rejected: ${r.error.message}${still}`, id);
      return;
    }
    const changed = this.current?.sub !== r.value.sub || this.current?.role !== r.value.role;
    this.current = r.value;
    this.token = token;
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
    if (changed) this.log.info({ sub: r.value.sub, role: r.value.role }, 'client authenticated');
    this.armExpiry(r.value, token);
    this.events.accepted(r.value, id);
    const every = this.limits.reauthInterval_ms;
    if (every > 0 && !this.reauthTimer) {
      this.reauthTimer = setInterval(() => this.reverify(), every);
      this.reauthTimer.unref();
    }
  }

  /** Verifies the current token again; a failure takes the identity away. */
  private reverify(): void {
    const token = this.token;
    if (token === undefined || this.disposed) return;
    const result = this.verify(token);
    if (result instanceof Promise) void result.then((r) => this.judge(token, r));
    else this.judge(token, result);
  }

  /** Applies a re-verification of `token`; true when the connection keeps (or refreshed) its identity. */
  private judge(token: string, r: Result<Identity, string>): boolean {
    // The client may have authenticated again meanwhile: only judge the token we checked.
    if (this.disposed || this.token !== token) return this.current !== undefined && !this.disposed;
    if (r.ok) {
      if (r.value.role !== this.current?.role) this.log.info({ sub: r.value.sub, role: r.value.role }, 'client role changed');
      this.current = r.value;
      return true;
    }
    this.drop(`token no longer valid (${r.error.message}); authenticate again`, r.error.message);
    return false;
  }

  /** The identity is gone: streams end, rights end, the unauthenticated deadline runs again. */
  private drop(message: string, reason: string): void {
    this.log.info({ sub: this.current?.sub, reason }, 'client token no longer valid');
    this.current = undefined;
    this.token = undefined;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.events.revoked(message);
    this.armDeadline();
  }

  /** Ends the identity when its token expires (wall time), not at the next periodic check. */
  private armExpiry(identity: Identity, token: string): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    if (identity.exp === undefined) return;
    // Timers take at most 2^31-1 ms; a longer-lived token is re-armed when that one fires.
    const ms = Math.min(identity.exp * 1000 - Date.now(), 2 ** 31 - 1);
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = undefined;
      if (this.disposed || this.token !== token) return;
      if (identity.exp! * 1000 > Date.now()) return this.armExpiry(identity, token);
      this.drop('token expired; authenticate again', 'expired');
    }, Math.max(0, ms));
    this.expiryTimer.unref();
  }

  private armDeadline(): void {
    const ms = this.limits.authTimeout_ms;
    if (ms <= 0 || this.deadline) return;
    this.deadline = setTimeout(() => {
      this.deadline = undefined;
      if (this.current || this.disposed) return;
      this.log.info({ after_ms: ms }, 'closing unauthenticated client');
      this.events.timedOut(ms);
    }, ms);
    this.deadline.unref();
  }
}
