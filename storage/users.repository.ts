/**
 * Users: a name, a slow password hash (never the password), a role and a token version.
 *
 * @remarks
 * Every access token carries the user's `token_version` at issue time; changing the password
 * or the role, or {@link UsersRepository.revokeTokens}, increments it, so every token issued
 * before stops verifying at its next check (REST: every request; bridge: every command).
 */
import type { Database, Statement } from 'better-sqlite3';
import { ok } from '../core/result.js';
import { fromSqliteError, notFound, type StoreResult } from './errors.js';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface UserRecord {
  readonly username: string;
  readonly password_hash: string;
  readonly role: Role;
  readonly created_at: string;
  /** Tokens issued with a lower version are revoked. */
  readonly token_version: number;
}

/** A user as the API shows it: no hash, no token version. */
export type PublicUser = Omit<UserRecord, 'password_hash' | 'token_version'>;

export class UsersRepository {
  private readonly byName: Statement<[string], UserRecord>;
  private readonly all: Statement<[], PublicUser>;
  private readonly insertStmt: Statement<[string, string, string, string]>;
  private readonly countStmt: Statement<[], { n: number }>;
  private readonly setHashStmt: Statement<[string, string]>;
  private readonly rehashStmt: Statement<[string, string, string]>;
  private readonly setRoleStmt: Statement<[string, string]>;
  private readonly revokeStmt: Statement<[string]>;
  private readonly deleteStmt: Statement<[string]>;

  constructor(private readonly db: Database, private readonly now: () => string) {
    this.byName = db.prepare('SELECT username, password_hash, role, created_at, token_version FROM users WHERE username = ?');
    this.all = db.prepare('SELECT username, role, created_at FROM users ORDER BY username');
    this.insertStmt = db.prepare('INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)');
    this.countStmt = db.prepare('SELECT count(*) AS n FROM users');
    this.setHashStmt = db.prepare('UPDATE users SET password_hash = ?, token_version = token_version + 1 WHERE username = ?');
    this.rehashStmt = db.prepare('UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?');
    this.setRoleStmt = db.prepare('UPDATE users SET role = ?, token_version = token_version + 1 WHERE username = ?');
    this.revokeStmt = db.prepare('UPDATE users SET token_version = token_version + 1 WHERE username = ?');
    this.deleteStmt = db.prepare('DELETE FROM users WHERE username = ?');
  }

  /** Replaces a user's password hash and revokes the user's tokens; `STORE.NOT_FOUND` for an unknown user. */
  setPasswordHash(username: string, password_hash: string): StoreResult<void> {
    return this.setHashStmt.run(password_hash, username).changes === 1 ? ok(undefined) : notFound(`user '${username}'`);
  }

  /**
   * Replaces the hash of the *same* password with a stronger one (rehash on login): tokens stay
   * valid, and nothing happens if the hash changed meanwhile (a password change wins).
   */
  upgradeHash(username: string, previous: string, password_hash: string): boolean {
    return this.rehashStmt.run(password_hash, username, previous).changes === 1;
  }

  /** Changes a user's role and revokes the user's tokens (they log in again with the new role). */
  setRole(username: string, role: Role): StoreResult<void> {
    return this.setRoleStmt.run(role, username).changes === 1 ? ok(undefined) : notFound(`user '${username}'`);
  }

  /** Revokes every token issued to the user so far. */
  revokeTokens(username: string): StoreResult<void> {
    return this.revokeStmt.run(username).changes === 1 ? ok(undefined) : notFound(`user '${username}'`);
  }

  /** Deletes a user (its tokens stop verifying: the subject is unknown). */
  delete(username: string): StoreResult<void> {
    return this.deleteStmt.run(username).changes === 1 ? ok(undefined) : notFound(`user '${username}'`);
  }

  /** `STORE.CONFLICT` when the name is taken. */
  create(user: { username: string; password_hash: string; role: Role }): StoreResult<PublicUser> {
    const created_at = this.now();
    try {
      this.insertStmt.run(user.username, user.password_hash, user.role, created_at);
    } catch (error) {
      return fromSqliteError(error, `user '${user.username}'`);
    }
    return ok({ username: user.username, role: user.role, created_at });
  }

  get(username: string): StoreResult<UserRecord> {
    const row = this.byName.get(username);
    return row ? ok(row) : notFound(`user '${username}'`);
  }

  list(): PublicUser[] {
    return this.all.all();
  }

  count(): number {
    return this.countStmt.get()!.n;
  }
}
