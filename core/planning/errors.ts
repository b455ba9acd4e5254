/**
 * Thrown by the planners on input a caller should never have passed (STYLE §9: exceptions are
 * for bugs). Scenario files are validated with zod before they reach these pure functions, so a
 * `PlanningInputError` means a programming error, not an operator mistake.
 */
export type PlanningErrorCode =
  | 'PLANNING.INVALID_POLYGON'
  | 'PLANNING.INVALID_ARGUMENT'
  | 'PLANNING.TOO_MANY_WAYPOINTS';

export class PlanningInputError extends Error {
  override readonly name = 'PlanningInputError';
  readonly code: PlanningErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: PlanningErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.context = context;
  }
}

/** Throws `PLANNING.INVALID_ARGUMENT` unless `value` is a finite number satisfying `ok`. */
export function requireNumber(
  where: string,
  field: string,
  value: unknown,
  ok: (v: number) => boolean,
  expectation: string,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new PlanningInputError(
      'PLANNING.INVALID_ARGUMENT',
      `${where}: ${field} must be ${expectation} (got ${String(value)})`,
      { field, value },
    );
  }
  return value;
}
