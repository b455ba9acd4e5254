/**
 * One connection's authentication: who it is, the token that proved it, the re-verification of
 * that token on a live connection, and the deadline for a connection that never authenticates.
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
    const settle = (r: Result<Identity, string>) => {
      // The client may have authenticated again meanwhile: only judge the token we checked.
      if (this.disposed || this.token !== token) return;
      if (r.ok) {
        if (r.value.role !== this.current?.role) this.log.info({ sub: r.value.sub, role: r.value.role }, 'client role changed');
        this.current = r.value;
        return;
      }
      this.log.info({ sub: this.current?.sub, reason: r.error.message }, 'client token no longer valid');
      this.current = undefined;
      this.token = undefined;
      this.events.revoked(`token no longer valid (${r.error.message}); authenticate again`);
      this.armDeadline();
    };
    const result = this.verify(token);
    if (result instanceof Promise) void result.then(settle);
    else settle(result);
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
