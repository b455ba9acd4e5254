/**
 * Expected failures are values, not exceptions (STYLE §9). Each carries a stable dotted code,
 * a human message, and optional cause and context for logs.
 */
export interface Failure<C extends string = string> {
  readonly code: C;
  readonly message: string;
  readonly cause?: unknown;
  readonly context?: Readonly<Record<string, unknown>>;
}

export type Result<T, C extends string = string> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Failure<C> };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const okVoid: Result<void, never> = { ok: true, value: undefined };

export function fail<C extends string>(
  code: C,
  message: string,
  extra: { cause?: unknown; context?: Record<string, unknown> } = {},
): Result<never, C> {
  return { ok: false, error: { code, message, ...extra } };
}

/** Throws with the failure's code in the message; for places where a failure is a bug. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  const err = new Error(`${r.error.code}: ${r.error.message}`, { cause: r.error.cause });
  throw err;
}
