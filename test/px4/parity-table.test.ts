/**
 * The parity table (scripts/px4/parity-table.ts) on real runs of the in-process simulator: mission
 * times read from the event log agree with the runner's own judgement, and disagreements between
 * backends show up as such. Runs everywhere (no PX4 needed).
 */
import { describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario, simBackend } from '../../actors/scenario/scenario.runner.js';
import { missionTimesFromEvents, parityCompactMarkdown, parityMarkdown, parityRows, paritySummary, type RunRecord } from '../../scripts/px4/parity-table.js';

async function simRun(name: string, seed?: number) {
  const loaded = await loadScenarioFile(`scenarios/${name}.yaml`);
  if (!loaded.ok) throw new Error(loaded.error.message);
  return runScenario(loaded.value, { backend: simBackend, ...(seed !== undefined ? { seed } : {}) });
}

describe('parity table', () => {
  it('reads the mission time from the event log as the runner judges it (LOAD → COMPLETED)', async () => {
    const run = await simRun('survey');
    const times = missionTimesFromEvents(run.log.toJsonl());
    const judged = run.report.expectations.find((e) => e.kind === 'mission_completed')!;
    const seconds = Number(/completed in ([\d.]+) s/.exec(judged.reason)![1]);
    expect(times.drone1!.status).toBe('COMPLETED');
    expect(times.drone1!.seconds).toBeCloseTo(seconds, 0);
  });

  it('a failed mission is timed to its FAILED state', async () => {
    const run = await simRun('battery-failsafe');
    expect(missionTimesFromEvents(run.log.toJsonl()).drone1).toMatchObject({ status: 'FAILED' });
  });

  it('marks agreement, disagreement, missing runs and time differences beyond 15 %', async () => {
    const run = await simRun('battery-failsafe');
    const sim: RunRecord = { scenario: 'battery-failsafe', backend: 'sim', report: run.report, missionTimes: { drone1: { seconds: 100, status: 'FAILED' } } };
    // A backend where the first expectation flipped and the mission took 30 % longer.
    const flipped = {
      ...run.report,
      passed: false,
      expectations: run.report.expectations.map((e, i) => (i === 0 ? { ...e, held: !e.held, passed: !e.passed, reason: 'no battery_low failsafe' } : e)),
    };
    const px4: RunRecord = { scenario: 'battery-failsafe', backend: 'px4@1', report: flipped, missionTimes: { drone1: { seconds: 130, status: 'FAILED' } } };
    const lost: RunRecord = { scenario: 'battery-failsafe', backend: 'px4@4', error: 'PX4 not ready' };
    const same: RunRecord = { scenario: 'battery-failsafe', backend: 'sitl', report: run.report, missionTimes: { drone1: { seconds: 110, status: 'FAILED' } } };
    const backends = ['sim', 'sitl', 'px4@1', 'px4@4'];
    const rows = parityRows(['battery-failsafe'], backends, [sim, same, px4, lost]);
    expect(rows[0]).toMatchObject({ what: 'scenario verdict', same: false });
    expect(rows[0]!.cells['px4@4']).toBe('no run: PX4 not ready');
    expect(rows[1]).toMatchObject({ what: 'failsafe[drone1]', same: false });
    expect(rows[1]!.note).toContain('px4@1: no battery_low failsafe');
    expect(rows.slice(2, -1).every((r) => r.same)).toBe(true);
    const time = rows.at(-1)!;
    expect(time.cells.sitl).toBe('110 s FAILED (+10.0 %)');
    expect(time.cells['px4@1']).toBe('130 s FAILED (+30.0 %)');
    expect(time.same).toBe(false);
    const md = parityMarkdown(rows, backends);
    expect(md).toContain('| `battery-failsafe` | scenario verdict | PASS | PASS | FAIL | no run: PX4 not ready | **NO** |');
    expect(parityCompactMarkdown(rows, backends)).toContain(
      `| \`battery-failsafe\` | PASS, 100 s | PASS, 110 s (+10.0 %) | FAIL, 130 s (+30.0 %) | no run: PX4 not ready | ${run.report.expectations.length - 1}/${run.report.expectations.length} | **NO** |`,
    );
    expect(paritySummary(rows)).toEqual({ expectations: run.report.expectations.length, agree: run.report.expectations.length - 1, timed: 1, timesWithin: 0 });
  });
});
