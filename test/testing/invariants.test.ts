/**
 * Invariants: every shipped scenario satisfies them; recording the ground truth leaves the event
 * log untouched; each invariant catches its violation; the legal-transition graph is derived
 * from the machines.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';
import type { LogEntry } from '../../actors/event-log.js';
import type { Scenario } from '../../actors/scenario/scenario.schema.js';
import { invariants, runChecked, type TruthTrace, type VehicleTruth } from '../../testing/index.js';

async function load(file: string): Promise<Scenario> {
  const l = await loadScenarioFile(file);
  if (!l.ok) throw new Error(l.error.message);
  return l.value;
}

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();

describe('invariants on the shipped scenarios', () => {
  it.each(files)('%s: every invariant holds, and the event log hash is that of a plain run', async (f) => {
    const s = await load(`scenarios/${f}`);
    const checked = await runChecked(s);
    expect(checked.invariants.filter((v) => !v.result.ok)).toEqual([]);
    const plain = await runScenario(s);
    expect(checked.report.eventLogSha256).toBe(plain.report.eventLogSha256);
    expect(checked.trace.vehicles.get(s.vehicles[0]!.id)!.t_ms.length).toBeGreaterThan(10);
  });
});

/** A one-vehicle truth trace from rows. */
function truth(rows: Partial<Record<keyof Omit<VehicleTruth, 'id'>, unknown>>[]): TruthTrace {
  const v: VehicleTruth = { id: 'd1', t_ms: [], north_m: [], east_m: [], alt_m: [], battery_pct: [], mode: [], landed: [], armed: [], link: [], gps: [], crashed: [] };
  rows.forEach((r, k) => {
    const row = { t_ms: k * 1000, north_m: 0, east_m: 0, alt_m: 30, battery_pct: 80, mode: 'mission', landed: 'in_air', armed: true, link: true, gps: true, crashed: false, ...r };
    for (const [key, val] of Object.entries(row)) (v[key as keyof Omit<VehicleTruth, 'id'>] as unknown[]).push(val);
  });
  return { hz: 1, vehicles: new Map([['d1', v]]) };
}

describe('each invariant catches its violation', async () => {
  const scenario = await load('scenarios/datalink-blind.yaml');
  const one = { ...scenario, vehicles: [{ ...scenario.vehicles[0]!, id: 'd1' }] };
  const options = invariants.defaultInvariantOptions();
  const facts = (trace: TruthTrace, log: LogEntry[] = []) => ({ scenario: one, log, trace, options, end_ms: 60_000 });
  const e = (seq: number, t_ms: number, source: string, type: string, data?: Record<string, unknown>): LogEntry => ({ seq, t_ms, source, type, ...(data ? { data } : {}) });

  it('battery_failsafe: low in the air for longer than N s without going home', () => {
    const rows = Array.from({ length: 30 }, (_, k) => ({ battery_pct: k < 5 ? 40 : 20, link: k < 3 }));
    const r = invariants.batteryFailsafeInvariant.check(facts(truth(rows)));
    expect(r).toMatchObject({ ok: false });
    expect(!r.ok && r.reason).toMatch(/battery 20.0 % .*datalink down since 3.0 s/);
    const handled = rows.map((x, k) => ({ ...x, mode: k >= 8 ? 'rtl' : 'mission' }));
    expect(invariants.batteryFailsafeInvariant.check(facts(truth(handled)))).toEqual({ ok: true });
  });

  it('altitude, geofence and battery reserve judge the ground truth', () => {
    const high = truth([{}, { alt_m: 130 }]);
    expect(invariants.altitudeInvariant.check(facts(high)).ok).toBe(false);
    const out = truth([{}, { north_m: 700 }, { north_m: 700 }]);
    expect(invariants.geofenceInvariant.check({ ...facts(out), fence: undefined }).ok).toBe(true);
    const fence = { violation: (p: { north_m: number }) => (p.north_m > 500 ? 'outside fence polygon' : undefined), distanceToBoundary_m: (p: { north_m: number }) => 500 - p.north_m };
    const withFence = { ...facts(out), fence: fence as never };
    expect(invariants.geofenceInvariant.check(withFence).ok).toBe(false);
    expect(invariants.geofenceInvariant.check({ ...withFence, log: [e(0, 1500, 'vehicle:d1', 'failsafe', { kind: 'geofence' })] }).ok).toBe(true);
    const crash = truth([{}, { battery_pct: 0, crashed: true, landed: 'on_ground' }]);
    expect(invariants.batteryReserveInvariant.check(facts(crash))).toMatchObject({ ok: false });
  });

  it('mission progress monotonic, mission outcome recorded', () => {
    const t = truth([{}]);
    const back = [e(0, 1, 'mission:d1', 'progress', { current_waypoint: 2, percent_complete: 40 }), e(1, 2, 'mission:d1', 'progress', { current_waypoint: 1, percent_complete: 20 })];
    expect(invariants.missionProgressInvariant.check(facts(t, back)).ok).toBe(false);
    const reload = [back[0]!, e(1, 2, 'mission:d1', 'state', { value: 'LOADED.uploading' }), back[1]!];
    expect(invariants.missionProgressInvariant.check(facts(t, reload)).ok).toBe(true);
    expect(invariants.missionOutcomeInvariant.check(facts(t, [e(0, 1, 'mission:d1', 'state', { value: 'FAILED' })])).ok).toBe(false);
    expect(invariants.missionOutcomeInvariant.check(facts(t, [e(0, 1, 'mission:d1', 'state', { value: 'FAILED', reason: 'failsafe: x' })])).ok).toBe(true);
    expect(invariants.missionOutcomeInvariant.check(facts(t, [e(0, 1, 'mission:d1', 'state', { value: 'RUNNING.active' })]))).toMatchObject({ ok: false, reason: expect.stringMatching(/still RUNNING.active/) });
  });

  it('link_failsafe: a long outage needs a link_lost failsafe right after the timeout', () => {
    const t = truth([{}]);
    const outage = [e(0, 1000, 'd1', 'port.link', { up: false }), e(1, 30_000, 'd1', 'port.link', { up: true })];
    expect(invariants.linkFailsafeInvariant.check(facts(t, outage)).ok).toBe(false);
    expect(invariants.linkFailsafeInvariant.check(facts(t, [...outage, e(2, 6000, 'vehicle:d1', 'failsafe', { kind: 'link_lost' })])).ok).toBe(true);
  });

  it('legal_transitions: a change the machine cannot make is caught, a restart is allowed', () => {
    const t = truth([{}]);
    const m = (seq: number, value: string) => e(seq, seq, 'mission:d1', 'state', { value });
    const ok = [m(0, 'IDLE'), m(1, 'LOADED.uploading'), m(2, 'RUNNING.launching'), m(3, 'RUNNING.active'), m(4, 'COMPLETED')];
    expect(invariants.legalTransitionsInvariant.check(facts(t, ok))).toEqual({ ok: true });
    const bad = [...ok, m(5, 'RUNNING.active')];
    expect(invariants.legalTransitionsInvariant.check(facts(t, bad))).toMatchObject({ ok: false, reason: expect.stringMatching(/COMPLETED → RUNNING.active/) });
    const restarted = [m(0, 'IDLE'), m(1, 'LOADED.uploading'), e(2, 2, 'fleet', 'child.restarted', { id: 'mission:d1' }), m(3, 'IDLE')];
    expect(invariants.legalTransitionsInvariant.check(facts(t, restarted))).toEqual({ ok: true });
    const v = (seq: number, value: string) => e(seq, seq, 'vehicle:d1', 'state', { value });
    expect(invariants.legalTransitionsInvariant.check(facts(t, [v(0, 'flight.connected.standby|failsafes.watching|commands.idle'), v(1, 'flight.disconnected|failsafes.watching|commands.idle')])).ok).toBe(false);
  });
});

describe('the legal-transition graph is derived from the machine definitions', () => {
  it('mission machine: the documented lifecycle, and nothing out of a terminal state but LOAD', () => {
    const g = invariants.machineGraphs().mission;
    expect(g.initial.get('')).toBe('IDLE');
    expect([...g.next.get('IDLE')!]).toEqual(['LOADED.uploading']);
    expect(g.next.get('RUNNING.active')).toEqual(new Set(['COMPLETED', 'PAUSED', 'ABORTED', 'FAILED']));
    for (const t of ['COMPLETED', 'ABORTED', 'FAILED']) expect([...g.next.get(t)!]).toEqual(['LOADED.uploading']);
  });

  it('vehicle machine: per region; transient routing states are never resting states', () => {
    const g = invariants.machineGraphs().vehicle;
    expect(g.regions).toEqual(['flight', 'failsafes', 'commands']);
    expect(g.initial.get('flight')).toBe('flight.disconnected');
    expect(g.next.get('flight.disconnected')!.has('flight.connected.standby')).toBe(true);
    expect(g.next.get('flight.disconnected')!.has('flight.linkLost')).toBe(false);
    for (const targets of g.next.values()) for (const t of targets) expect(t).not.toMatch(/routing$/);
  });
});
