/**
 * A fuzz case as a scenario file: YAML that `twin run` loads and replays exactly (same seed, same
 * event log hash), with a header saying where it came from and what it shows.
 *
 * @remarks
 * The scenario is written in its parsed (defaults-filled) form, which the schema accepts as
 * input, so nothing depends on defaults staying the same between versions. The `fuzz:` block
 * goes along, marked with the failure's origin, so `twin run` checks the invariants as well.
 */
import { stringify } from 'yaml';
import type { Scenario } from '../../actors/scenario/scenario.schema.js';

export interface CaseFileInfo {
  /** The scenario the case varies. */
  readonly base: string;
  /** The failing check's key and reason. */
  readonly failure: { readonly key: string; readonly reason: string };
  readonly fuzzSeed: number;
  readonly eventLogSha256: string;
  /** Shrinking summary for the header. */
  readonly shrink?: { readonly runs: number; readonly steps: number };
}

/** File-name-safe slug of a failure key: `invariant:battery_failsafe` → `battery-failsafe`. */
export const failureSlug = (key: string): string =>
  key.replace(/^(invariant|expect):/, '').replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase() || 'failure';

/** The case as a scenario object that names its origin. */
export function caseScenario(scenario: Scenario, info: CaseFileInfo): Scenario {
  const fuzz = { ...(scenario.fuzz ?? {}), origin: { scenario: info.base, failure: info.failure.key, fuzz_seed: info.fuzzSeed } };
  return { ...scenario, name: `${info.base}-min-${failureSlug(info.failure.key)}`.slice(0, 200), fuzz };
}

/** The YAML text of a minimal failing case. */
export function caseFileText(scenario: Scenario, info: CaseFileInfo): string {
  const comment = (s: string) => s.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n');
  const header = [
    `Minimal failing case found by \`twin fuzz\` from '${info.base}' (fuzz seed ${info.fuzzSeed}).`,
    `Fails: ${info.failure.key}`,
    `  ${info.failure.reason}`,
    info.shrink ? `Shrunk in ${info.shrink.steps} steps (${info.shrink.runs} runs).` : '',
    `Replay: twin run <this file>   (event log sha256 ${info.eventLogSha256})`,
  ].filter(Boolean);
  return `${comment(header.join('\n'))}\n${stringify(caseScenario(scenario, info), { lineWidth: 0, flowCollectionPadding: true })}`;
}
