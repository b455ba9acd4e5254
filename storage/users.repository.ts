/**
 * Users: a name, a slow password hash (never the password) and a role.
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
}

/** A user as the API shows it: no hash. */
export type PublicUser = Omit<UserRecord, 'password_hash'>;

export class UsersRepository {
  private readonly byName: Statement<[string], UserRecord>;
  private readonly all: Statement<[], PublicUser>;
  private readonly insertStmt: Statement<[string, string, string, string]>;
  private readonly countStmt: Statement<[], { n: number }>;
  private readonly setHashStmt: Statement<[string, string]>;
  private readonly setRoleStmt: Statement<[string, string]>;

  constructor(private readonly db: Database, private readonly now: () => string) {
    this.byName = db.prepare('SELECT username, password_hash, role, created_at FROM users WHERE username = ?');
    this.all = db.prepare('SELECT username, role, created_at FROM users ORDER BY username');
    this.insertStmt = db.prepare('INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)');
    this.countStmt = db.prepare('SELECT count(*) AS n FROM users');
    this.setHashStmt = db.prepare('UPDATE users SET password_hash = ? WHERE username = ?');
    this.setRoleStmt = db.prepare('UPDATE users SET role = ? WHERE username = ?');
  }

  /** Replaces a user's password hash; `STORE.NOT_FOUND` for an unknown user. */
  setPasswordHash(username: string, password_hash: string): StoreResult<void> {
    return this.setHashStmt.run(password_hash, username).changes === 1 ? ok(undefined) : notFound(`user '${username}'`);
  }

  /** Changes a user's role (live bridge connections lose rights at their next re-check). */
  setRole(username: string, role: Role): StoreResult<void> {
    return this.setRoleStmt.run(role, username).changes === 1 ? ok(undefined) : notFound(`user '${username}'`);
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
