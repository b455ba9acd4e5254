/**
 * The health-and-arming-check protocol on top of events (libevents
 * `health_and_arming_checks.py`, PX4 Commander `HealthAndArmingChecks/Common.cpp`): a report is
 * an `arming_check` summary event (chunk, error/warning components, can_arm/can_run mode
 * groups), one event per failing check (first arguments: affected mode groups, health component
 * index), then a `health` summary (present/error/warning components). Assembled into one
 * {@link HealthReport}: which checks fail, which components are unhealthy, which modes can arm
 * or run.
 *
 * @remarks
 * Events out of that order reset the assembly (as libevents does); only a report closed by its
 * health summary replaces the current one. Several chunks are combined (modes AND, health OR).
 */
import type { EnumDef } from './events-metadata.js';
import type { EventArg } from './event-format.js';

export interface HealthCheck {
  /** Event name, e.g. `check_modes_mission`. */
  readonly name: string;
  readonly id: number;
  /** The check's message as the operator reads it. */
  readonly text: string;
  /** Bitmask of navigation-mode groups this check blocks. */
  readonly modeGroups: number;
  /** Health component the check belongs to, if any. */
  readonly component?: string;
  readonly severity: string;
}

export interface ModeGroupState {
  readonly index: number;
  readonly name: string;
  readonly description: string;
  readonly canArm: boolean;
  readonly canRun: boolean;
}

export interface HealthComponentState {
  readonly name: string;
  readonly description: string;
  readonly present: boolean;
  readonly error: boolean;
  readonly warning: boolean;
  readonly armingError: boolean;
  readonly armingWarning: boolean;
}

export interface HealthReport {
  /** Time the report completed, ms of the client's clock. */
  readonly t_ms: number;
  readonly checks: readonly HealthCheck[];
  readonly modeGroups: readonly ModeGroupState[];
  readonly components: readonly HealthComponentState[];
}

/** What the assembler needs from a decoded event. */
export interface HealthEventInput {
  readonly id: number;
  readonly name: string;
  readonly group: string;
  readonly type: string | undefined;
  readonly args: readonly EventArg[];
  readonly text: string;
  readonly severity: string;
}

interface Chunk {
  readonly index: number;
  readonly healthEnum: EnumDef;
  readonly error: bigint;
  readonly warning: bigint;
  readonly modeEnum: EnumDef;
  readonly canArm: bigint;
  readonly canRun: bigint;
  readonly checks: HealthCheck[];
}

const big = (v: number | bigint | undefined): bigint => (v === undefined ? 0n : BigInt(v));

export class HealthReportAssembler {
  private expected: 'arming_check' | 'other' = 'arming_check';
  private chunk: Chunk | undefined;
  private readonly chunks = new Map<number, { chunk: Chunk; present: bigint; error: bigint; warning: bigint }>();
  private report: HealthReport | undefined;

  get current(): HealthReport | undefined {
    return this.report;
  }

  /** Feeds one event; returns the new report when this event completed one. */
  handle(e: HealthEventInput, now: number): HealthReport | undefined {
    let kind: 'arming_check' | 'health' | 'other';
    if (e.group === 'arming_check' && e.type === 'summary') kind = 'arming_check';
    else if (e.group === 'health' && e.type === 'summary') kind = 'health';
    else if ((e.group === 'arming_check' || e.group === 'health') && !e.type) kind = 'other';
    else return undefined;

    if (kind !== this.expected && !(this.expected === 'other' && kind === 'health') && kind !== 'arming_check') {
      this.expected = 'arming_check';
      return undefined;
    }
    if (kind === 'arming_check') {
      this.expected = 'arming_check';
      const [chunk, err, warn, canArm, canRun] = e.args;
      if (!chunk || !err?.enum || !warn || !canArm?.enum || !canRun) return undefined;
      const index = Number(chunk.value);
      if (index === 0) this.chunks.clear();
      this.chunk = {
        index, healthEnum: err.enum, error: big(err.value), warning: big(warn.value), modeEnum: canArm.enum,
        canArm: big(canArm.value), canRun: big(canRun.value), checks: [],
      };
      this.expected = 'other';
      return undefined;
    }
    const chunk = this.chunk;
    if (kind === 'other') {
      if (!chunk) return undefined;
      const compIdx = Number(e.args[1]?.value ?? 0);
      const compEntry = compIdx > 0 && compIdx < 64 ? chunk.healthEnum.entries[(1n << BigInt(compIdx)).toString()] : undefined;
      chunk.checks.push({
        name: e.name, id: e.id, text: e.text, modeGroups: Number(e.args[0]?.value ?? 0), severity: e.severity,
        ...(compEntry ? { component: compEntry.name } : {}),
      });
      return undefined;
    }
    // health summary closes the chunk
    this.expected = 'arming_check';
    this.chunk = undefined;
    const [c, present, error, warning] = e.args;
    if (!chunk || !c || Number(c.value) !== chunk.index) return undefined;
    this.chunks.set(chunk.index, { chunk, present: big(present?.value), error: big(error?.value), warning: big(warning?.value) });
    this.report = this.combine(now);
    return this.report;
  }

  private combine(now: number): HealthReport {
    const modes = new Map<number, ModeGroupState>();
    const comps = new Map<string, HealthComponentState>();
    const checks: HealthCheck[] = [];
    for (const { chunk, present, error, warning } of this.chunks.values()) {
      for (const [key, entry] of Object.entries(chunk.modeEnum.entries)) {
        const bit = BigInt(key);
        if (bit === 0n) continue;
        const index = bit.toString(2).length - 1;
        const prev = modes.get(index);
        const canArm = (chunk.canArm & bit) !== 0n, canRun = (chunk.canRun & bit) !== 0n;
        modes.set(index, {
          index, name: entry.name, description: entry.description ?? entry.name,
          canArm: prev ? prev.canArm && canArm : canArm, canRun: prev ? prev.canRun && canRun : canRun,
        });
      }
      for (const [key, entry] of Object.entries(chunk.healthEnum.entries)) {
        const bit = BigInt(key);
        const prev = comps.get(entry.name);
        const s = {
          present: (present & bit) !== 0n, error: (error & bit) !== 0n, warning: (warning & bit) !== 0n,
          armingError: (chunk.error & bit) !== 0n, armingWarning: (chunk.warning & bit) !== 0n,
        };
        comps.set(entry.name, {
          name: entry.name, description: entry.description ?? entry.name,
          present: s.present || !!prev?.present, error: s.error || !!prev?.error, warning: s.warning || !!prev?.warning,
          armingError: s.armingError || !!prev?.armingError, armingWarning: s.armingWarning || !!prev?.armingWarning,
        });
      }
      checks.push(...chunk.checks);
    }
    return {
      t_ms: now, checks,
      modeGroups: [...modes.values()].sort((a, b) => a.index - b.index),
      components: [...comps.values()],
    };
  }
}

/** The messages of the checks that block mode group `index` (for `append_health_and_arming_messages`). */
export function checksForModeGroup(report: HealthReport | undefined, index: number | undefined): HealthCheck[] {
  if (!report || index === undefined || index < 0 || index > 31) return [];
  return report.checks.filter((c) => (c.modeGroups >>> 0) & (1 << index));
}
