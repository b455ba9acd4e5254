/**
 * A twin restarted mid-flight resumes its missions from the store: the vehicle (here a simulated
 * one that flies on with no ground station, NAV_DLL_ACT = 0) keeps flying while the first twin
 * is gone, and the second twin picks the mission up where the first left it and sees it finish.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createTwin, type Twin } from '../../actors/twin.js';
import { DEFAULT_HOME } from '../../actors/scenario/backends.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import { openStore } from '../../storage/store.js';
import { MissionSchema } from '../../core/mission.js';
import { persistMissionState, restoreMissionState, restoreSavedMissions, savedMissions } from '../../storage/mission-state.sink.js';

async function startTwin(clock: VirtualClock, world: SimWorld): Promise<Twin> {
  const twin = createTwin({ clock, origin: 'home', vehicles: [{ id: 'd1', port: createSimVehiclePort(world, 'd1') }] });
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: clock.now() + 10_000 });
  await p;
  return twin;
}

describe('mission state survives a twin restart', () => {
  it('saves every change, restores RUNNING with its progress, and the mission completes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-resume-'));
    const store = openStore({ dir });
    try {
      const clock = new VirtualClock();
      const world = new SimWorld({ clock, rng: new Rng(3), origin: DEFAULT_HOME });
      world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 }, params: { NAV_DLL_ACT: 0 } });
      world.start();

      const first = await startTwin(clock, world);
      const detach = persistMissionState(store, first);
      const at = (n: number, e: number) => first.frame().toLatLon(n, e);
      first.mission('d1').load({
        id: 'm1',
        name: 'patrol',
        vehicle: 'd1',
        items: [
          { kind: 'waypoint', ...at(80, 0), alt_m: 25 },
          { kind: 'waypoint', ...at(80, 80), alt_m: 25 },
          { kind: 'waypoint', ...at(0, 80), alt_m: 25 },
          { kind: 'rtl' },
        ],
      });
      first.mission('d1').start();
      await clock.run({ until: clock.now() + 600_000, stopWhen: () => first.mission('d1').context().reached >= 1 });
      expect(first.missionStatus('d1')).toBe('RUNNING');
      const saved = store.missionState.list();
      expect(saved).toHaveLength(1);
      expect(saved[0]!.saved).toMatchObject({ status: 'RUNNING', reached: 1, mission: { id: 'm1' } });
      // The first twin goes away (a crash, an update); the vehicle flies on.
      detach();
      await first.stop();
      await clock.advance(5_000);

      const second = await startTwin(clock, world);
      persistMissionState(store, second);
      expect(second.missionStatus('d1')).toBe('IDLE');
      expect(restoreMissionState(store, second)).toEqual(['d1']);
      expect(second.missionStatus('d1')).toBe('RUNNING');
      expect(second.mission('d1').context().reached).toBeGreaterThanOrEqual(1);
      await clock.run({ until: clock.now() + 900_000, stopWhen: () => second.missionStatus('d1') !== 'RUNNING' });
      expect(second.missionStatus('d1')).toBe('COMPLETED');
      // Nothing was re-commanded: the restored actor never uploaded, launched or resumed.
      const missionStates = second.log.entries.filter((e) => e.source === 'mission:d1' && e.type === 'state').map((e) => e.data?.value);
      expect(missionStates).toEqual(['RUNNING.active', 'COMPLETED']);
      expect(second.log.entries.filter((e) => e.type === 'command')).toHaveLength(0);
      expect(second.log.entries.find((e) => e.type === 'restored')?.data).toEqual({ status: 'RUNNING', from: 'store' });
      // A finished mission is not restored again.
      await second.stop();
      const third = await startTwin(clock, world);
      expect(restoreMissionState(store, third)).toEqual([]);
      await third.stop();
      world.stop();
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('persistence attached before start (as the services are) never writes the start-up IDLE over a saved mission', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twin-resume-'));
    const store = openStore({ dir });
    try {
      const saved = {
        status: 'PAUSED' as const,
        mission: MissionSchema.parse({ id: 'm9', name: 'kept', vehicle: 'd1', items: [{ kind: 'waypoint', lat_deg: 47.4, lon_deg: 8.5, alt_m: 20 }] }),
        progress: { current_waypoint: 1, total_waypoints: 1, percent_complete: 0 },
        reached: 0,
      };
      store.missionState.save('d1', saved);
      store.missionState.save('d2', { ...saved, status: 'RUNNING' });
      const clock = new VirtualClock();
      const world = new SimWorld({ clock, rng: new Rng(5), origin: DEFAULT_HOME });
      world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
      world.addVehicle('d2', { spawn: { north_m: 0, east_m: 5 } });
      world.start();
      const twin = createTwin({
        clock,
        origin: 'home',
        vehicles: ['d1', 'd2'].map((id) => ({ id, port: createSimVehiclePort(world, id) })),
      });
      // What the last session left is read first; persistence is attached before the twin starts.
      const before = savedMissions(store);
      persistMissionState(store, twin);
      let up = false;
      const p = twin.start().then(() => (up = true));
      await clock.run({ stopWhen: () => up, until: 10_000 });
      await p;
      expect(twin.missionStatus('d1')).toBe('IDLE');
      // Start-up wrote nothing: both rows are still what the last session saved.
      expect(store.missionState.list().map((r) => [r.vehicle, r.saved.status])).toEqual([['d1', 'PAUSED'], ['d2', 'RUNNING']]);
      // Restoring d1 only (d2's row is left for later): the restored state is saved from then on.
      const r = await restoreSavedMissions(twin, before.filter((b) => b.vehicle === 'd1'));
      expect(r).toEqual({ restored: ['d1'], skipped: [] });
      expect(twin.missionStatus('d1')).toBe('PAUSED');
      expect(twin.mission('d1').context().progress).toEqual(saved.progress);
      twin.mission('d1').abort('operator');
      await clock.advance(1_000);
      expect(store.missionState.list().map((r) => [r.vehicle, r.saved.status])).toEqual([['d1', 'ABORTED'], ['d2', 'RUNNING']]);
      await twin.stop();
      world.stop();
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
