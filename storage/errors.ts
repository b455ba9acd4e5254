/**
 * Storage failures as values with stable dotted codes (STYLE §9).
 */
import { fail, type Result } from '../core/result.js';

export type StoreErrorCode = 'STORE.NOT_FOUND' | 'STORE.CONFLICT' | 'STORE.CONSTRAINT' | 'STORE.IO';
export type StoreResult<T> = Result<T, StoreErrorCode>;

/** Maps a better-sqlite3 exception to a coded failure (constraint codes are `SQLITE_CONSTRAINT_*`). */
export function fromSqliteError(error: unknown, what: string): StoreResult<never> {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') {
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE')
      return fail('STORE.CONFLICT', `${what}: already exists`, { cause: error });
    if (code.startsWith('SQLITE_CONSTRAINT')) return fail('STORE.CONSTRAINT', `${what}: ${(error as Error).message}`, { cause: error });
  }
  return fail('STORE.IO', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

export const notFound = (what: string): StoreResult<never> => fail('STORE.NOT_FOUND', `${what} not found`);
