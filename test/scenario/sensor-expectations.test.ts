import { describe, expect, it } from 'vitest';
import { evaluateExpectations, type RunFacts } from '../../actors/scenario/expectations.js';
import { RunTrace } from '../../actors/scenario/run-trace.js';
import type { LogEntry } from '../../actors/event-log.js';
import { ExpectationSchema } from '../../actors/scenario/scenario.schema.js';

const entry = (seq: number, source: string, type: string, data: Record<string, unknown>): LogEntry => ({ seq, t_ms: seq * 1000, source, type, data });

function facts(log: LogEntry[], cameras: string[] = ['cam']): RunFacts {
  return {
    vehicleIds: ['d1'],
    trace: new RunTrace(['d1'], () => undefined, false),
    log,
    missions: new Map(),
    failsafes: new Map(),
    plannedCaptures: new Map([['d1', 3]]),
    end_ms: 10_000,
    sensors: {
      ids: (_v, kind) => (kind === 'camera' ? cameras : []),
      geotag: () => ({ captures: 0, unjudged: 0, max_m: 0 }),
      coverage: () => undefined,
      truth: 'simulator',
    },
  };
}

describe('captures with cameras', () => {
  const spec = ExpectationSchema.parse({ kind: 'captures', vehicle: 'd1' });

  it('an image announced then lost in storage is not taken', () => {
    const log = [
      entry(0, 'd1/cam', 'port.capture', { index: 0 }),
      entry(1, 'd1/cam', 'port.capture', { index: 1 }),
      entry(2, 'd1/cam', 'port.capture', { index: 2 }),
      entry(3, 'd1/cam', 'port.capture.lost', { index: 1, reason: 'BLOB.FULL' }),
    ];
    const [r] = evaluateExpectations([spec], facts(log));
    expect(r).toMatchObject({ held: false, reason: 'cam: 2 taken, 1 lost, planned 3' });
    const [ok] = evaluateExpectations([spec], facts(log.slice(0, 3)));
    expect(ok).toMatchObject({ held: true, reason: 'cam: 3 taken (planned 3)' });
  });

  it('each camera is judged on its own; the vehicle autopilot events do not count for a camera', () => {
    const log = [
      ...[0, 1, 2].map((i) => entry(i, 'd1/a', 'port.capture', { index: i })),
      entry(5, 'd1/b', 'port.capture', { index: 0 }),
      ...[0, 1, 2].map((i) => entry(10 + i, 'd1', 'port.capture', { seq: i })),
    ];
    const [r] = evaluateExpectations([spec], facts(log, ['a', 'b']));
    expect(r).toMatchObject({ held: false, reason: 'a: 3 taken; b: 1 taken, planned 3' });
    // Without cameras: the vehicle's own capture events, as before sensors existed.
    const [v] = evaluateExpectations([spec], facts(log, []));
    expect(v).toMatchObject({ held: true, reason: '3 captures (wanted 3)' });
  });

  it('capture_geotag and lidar_coverage say why when there is nothing to judge', () => {
    const geo = ExpectationSchema.parse({ kind: 'capture_geotag', vehicle: 'd1', max_error_m: 2 });
    const cov = ExpectationSchema.parse({ kind: 'lidar_coverage', vehicle: 'd1', min_pct: 50 });
    const [g, c] = evaluateExpectations([geo, cov], facts([]));
    expect(g).toMatchObject({ held: false, reason: 'cam: no captures' });
    expect(c).toMatchObject({ held: false, reason: 'no LiDAR declared on this vehicle' });
  });
});
