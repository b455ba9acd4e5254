/**
 * The sim-to-field parity table: for every scenario, each expectation's verdict on every backend
 * (sim, built-in SITL, PX4 at each speed factor), mission completion times with their difference
 * from sim, and whether all backends agree. Pure: reads `twin run --report` JSON and `--events`
 * JSON lines, renders Markdown and a terminal table.
 */

/** What the parity runner keeps of one `twin run` (a report, or why there is none). */
export interface RunRecord {
  readonly scenario: string;
  /** `sim`, `sitl`, `px4@1`, `px4@4`, … */
  readonly backend: string;
  readonly report?: ReportLike;
  /** Mission completion time per vehicle, in the run's clock seconds (sim seconds; PX4: wall × speed). */
  readonly missionTimes?: Record<string, MissionTime>;
  /** Why there is no report, or what went wrong around it (PX4 not ready, timeout, exit code). */
  readonly error?: string;
  readonly wallSeconds?: number;
}

export interface MissionTime {
  /** Clock seconds from the mission's LOAD to its terminal state. */
  readonly seconds: number;
  readonly status: string;
}

/** The parts of a ScenarioReport (actors/scenario/scenario.runner.ts) the table reads. */
export interface ReportLike {
  readonly passed: boolean;
  readonly simulatedSeconds?: number;
  readonly expectations: readonly { kind: string; vehicle?: string; held: boolean; expected_to_fail: boolean; passed: boolean; reason: string }[];
  readonly errors?: readonly string[];
}

export interface EventLike {
  readonly t_ms: number;
  readonly source: string;
  readonly type: string;
  readonly data?: Record<string, unknown>;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'ABORTED']);

/** Mission times from an event log: first LOAD request → first terminal state, per `mission:<vehicle>`. */
export function missionTimesFromEvents(jsonl: string): Record<string, MissionTime> {
  const start = new Map<string, number>();
  const out: Record<string, MissionTime> = {};
  for (const line of jsonl.split('\n')) {
    if (!line.trim()) continue;
    let e: EventLike;
    try {
      e = JSON.parse(line) as EventLike;
    } catch {
      continue;
    }
    if (typeof e.source !== 'string' || !e.source.startsWith('mission:')) continue;
    const vehicle = e.source.slice('mission:'.length);
    if (e.type === 'request' && e.data?.type === 'LOAD' && !start.has(vehicle)) start.set(vehicle, e.t_ms);
    if (e.type === 'state' && typeof e.data?.value === 'string' && TERMINAL.has(e.data.value) && !(vehicle in out) && start.has(vehicle))
      out[vehicle] = { seconds: (e.t_ms - start.get(vehicle)!) / 1000, status: e.data.value };
  }
  return out;
}

export interface ParityRow {
  readonly scenario: string;
  /** `kind[vehicle]`, with `(xfail)` when the file expects it to fail; or `PASSED`, `mission time`. */
  readonly what: string;
  readonly cells: Record<string, string>;
  /** Every backend that ran gave the same verdict (undefined for the time row when not applicable). */
  readonly same: boolean | undefined;
  readonly note?: string;
}

const verdict = (passed: boolean, held: boolean) => (passed ? 'pass' : 'FAIL') + (held ? '' : ' (not held)');

/** Largest completion time over a run's vehicles and the statuses, e.g. `612 s COMPLETED`. */
function runTime(r: RunRecord): { s: number; label: string } | undefined {
  const times = Object.values(r.missionTimes ?? {});
  if (!times.length) return undefined;
  const s = Math.max(...times.map((t) => t.seconds));
  const statuses = [...new Set(times.map((t) => t.status))].join('/');
  return { s, label: `${s.toFixed(0)} s ${statuses}` };
}

/**
 * Builds the rows for the scenarios in order. Expectations are matched by position (the same file
 * gives the same list on every backend). `tolerance` is the allowed completion-time difference
 * from sim (0.15 = 15 %).
 */
export function parityRows(scenarios: readonly string[], backends: readonly string[], runs: readonly RunRecord[], tolerance = 0.15): ParityRow[] {
  const rows: ParityRow[] = [];
  for (const scenario of scenarios) {
    const by = new Map(runs.filter((r) => r.scenario === scenario).map((r) => [r.backend, r]));
    const ran = backends.filter((b) => by.get(b)?.report);
    const reference = by.get('sim')?.report ?? ran.map((b) => by.get(b)!.report!)[0];
    const overall: Record<string, string> = {};
    for (const b of backends) {
      const r = by.get(b);
      overall[b] = !r ? '—' : r.report ? (r.report.passed ? 'PASS' : 'FAIL') : `no run: ${r.error ?? 'unknown'}`;
    }
    const passes = ran.map((b) => by.get(b)!.report!.passed);
    rows.push({ scenario, what: 'scenario verdict', cells: overall, same: ran.length === backends.filter((b) => by.has(b)).length && passes.every((p) => p === passes[0]) });
    const n = Math.max(0, ...ran.map((b) => by.get(b)!.report!.expectations.length));
    for (let i = 0; i < n; i++) {
      const ref = reference?.expectations[i] ?? ran.map((b) => by.get(b)!.report!.expectations[i]).find(Boolean)!;
      const cells: Record<string, string> = {};
      const verdicts: boolean[] = [];
      const reasons: string[] = [];
      for (const b of backends) {
        const e = by.get(b)?.report?.expectations[i];
        if (!e) {
          cells[b] = by.has(b) ? 'n/a' : '—';
          continue;
        }
        cells[b] = verdict(e.passed, e.held);
        verdicts.push(e.passed);
        reasons.push(`${b}: ${e.reason}`);
      }
      const same = verdicts.length > 0 && verdicts.length === ran.length && verdicts.every((v) => v === verdicts[0]);
      rows.push({
        scenario,
        what: `${ref.kind}${ref.vehicle ? `[${ref.vehicle}]` : ''}${ref.expected_to_fail ? ' (xfail)' : ''}`,
        cells,
        same,
        ...(same ? {} : { note: reasons.join(' | ') }),
      });
    }
    const simRun = by.get('sim');
    const sim = simRun ? runTime(simRun) : undefined;
    const timeCells: Record<string, string> = {};
    let within = true;
    let any = false;
    for (const b of backends) {
      const r = by.get(b);
      const t = r ? runTime(r) : undefined;
      if (!t) {
        timeCells[b] = r ? 'n/a' : '—';
        continue;
      }
      if (b === 'sim' || !sim || !simRun) {
        timeCells[b] = t.label;
        continue;
      }
      any = true;
      // judged vehicle by vehicle: the worst relative difference from the same vehicle in sim
      const diffs = Object.entries(r!.missionTimes ?? {}).flatMap(([v, mt]) => {
        const ref = simRun.missionTimes?.[v];
        return ref && ref.seconds > 0 ? [(mt.seconds - ref.seconds) / ref.seconds] : [];
      });
      const missing = Object.keys(simRun.missionTimes ?? {}).some((v) => !(v in (r!.missionTimes ?? {})));
      const worst = diffs.reduce((w, d) => (Math.abs(d) > Math.abs(w) ? d : w), 0);
      if (missing || Math.abs(worst) > tolerance) within = false;
      const pct = (d: number) => `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)} %`;
      const diff = (t.s - sim.s) / sim.s;
      timeCells[b] = `${t.label} (${pct(diff)}${diffs.length > 1 ? `; worst vehicle ${pct(worst)}` : ''}${missing ? '; a vehicle never ended its mission' : ''})`;
    }
    rows.push({ scenario, what: `mission time (±${(tolerance * 100).toFixed(0)} % of sim)`, cells: timeCells, same: any ? within : undefined });
  }
  return rows;
}

const mark = (same: boolean | undefined) => (same === undefined ? '' : same ? 'yes' : '**NO**');

/** The table as Markdown (one line per row; disagreements list each backend's reason below). */
export function parityMarkdown(rows: readonly ParityRow[], backends: readonly string[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const out = [`| scenario | expectation | ${backends.join(' | ')} | same verdict |`, `| --- | --- | ${backends.map(() => '---').join(' | ')} | --- |`];
  let last = '';
  for (const r of rows) {
    out.push(`| ${r.scenario === last ? '' : `\`${r.scenario}\``} | ${esc(r.what)} | ${backends.map((b) => esc(r.cells[b] ?? '—')).join(' | ')} | ${mark(r.same)} |`);
    last = r.scenario;
  }
  const notes = rows.filter((r) => r.note);
  if (notes.length) {
    out.push('', 'Disagreements (each backend\'s reason):', '');
    for (const r of notes) out.push(`- \`${r.scenario}\` ${esc(r.what)}: ${esc(r.note!)}`);
  }
  return out.join('\n') + '\n';
}

/** Counts for a one-line summary: expectation rows that agree, scenarios whose times are within tolerance. */
export function paritySummary(rows: readonly ParityRow[]): { expectations: number; agree: number; timed: number; timesWithin: number } {
  const exp = rows.filter((r) => r.what !== 'scenario verdict' && !r.what.startsWith('mission time'));
  const times = rows.filter((r) => r.what.startsWith('mission time') && r.same !== undefined);
  return { expectations: exp.length, agree: exp.filter((r) => r.same).length, timed: times.length, timesWithin: times.filter((r) => r.same).length };
}

/**
 * One line per scenario (for a README): each backend's verdict with its mission-time difference
 * from sim, how many expectations agree on every backend, and the overall same-verdict mark.
 */
export function parityCompactMarkdown(rows: readonly ParityRow[], backends: readonly string[]): string {
  const out = [`| scenario | ${backends.join(' | ')} | expectations alike | same verdict |`, `| --- | ${backends.map(() => '---').join(' | ')} | --- | --- |`];
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  for (const sc of scenarios) {
    const rs = rows.filter((r) => r.scenario === sc);
    const verdict = rs.find((r) => r.what === 'scenario verdict')!;
    const time = rs.find((r) => r.what.startsWith('mission time'));
    const exp = rs.filter((r) => r !== verdict && r !== time);
    const cell = (b: string) => {
      const v = verdict.cells[b] ?? '—';
      const t = time?.cells[b];
      const m = t ? /^(\d+) s (\S+)(?: \(([+-][\d.]+ %))?/.exec(t) : null;
      return m ? `${v}, ${m[1]} s${m[3] ? ` (${m[3]})` : ''}` : v;
    };
    out.push(`| \`${sc}\` | ${backends.map(cell).join(' | ')} | ${exp.filter((r) => r.same).length}/${exp.length} | ${verdict.same && exp.every((r) => r.same) ? 'yes' : '**NO**'} |`);
  }
  return out.join('\n') + '\n';
}
