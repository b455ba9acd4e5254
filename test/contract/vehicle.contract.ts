/**
 * The behaviours every {@link VehiclePort} must show, run against each adapter (STYLE §4).
 *
 * @remarks
 * Written to make sense against a real PX4 too: only the port is used, tolerances are generous,
 * and time passes through the harness (`advance`/`waitFor` run in sim time for the virtual
 * clock, in wall time for a real vehicle). Each test gets a fresh harness: a landed, disarmed,
 * not yet connected vehicle.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFrame, haversine_m, type GeoPoint } from '../../core/geo.js';
import type { MissionItem } from '../../core/mission.js';
import type { VehicleEvent, VehiclePort, VehicleResult, VehicleTelemetry } from '../../hardware/vehicle.port.js';

export interface VehicleHarness {
  port: VehiclePort;
  /** Lets `ms` of the vehicle's time pass. */
  advance(ms: number): Promise<void>;
  /** Lets time pass until `pred()` holds or `timeoutMs` elapsed; resolves to `pred()`. */
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean>;
  dispose(): Promise<void>;
}

/** Height of the survey pattern flown by the mission tests, metres above home. */
const ALT = 15;

export function describeVehicleContract(name: string, makeHarness: () => Promise<VehicleHarness>): void {
  describe(`VehiclePort contract: ${name}`, () => {
    let h: VehicleHarness;
    let port: VehiclePort;
    let events: VehicleEvent[];
    let latest: VehicleTelemetry | undefined;

    /** Waits (in harness time) for a command's answer. */
    async function settle<T>(p: Promise<T>, timeoutMs = 15_000): Promise<T> {
      let done = false;
      let value: T | undefined;
      void p.then((v) => { done = true; value = v; });
      const settled = await h.waitFor(() => done, timeoutMs);
      if (!settled) throw new Error(`command did not settle within ${timeoutMs} ms`);
      return value as T;
    }
    const expectOk = (r: VehicleResult) => expect(r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`).toBe('ok');
    const code = (r: VehicleResult) => (r.ok ? 'ok' : r.error.code);
    const of = <T extends VehicleEvent['type']>(type: T) => events.filter((e): e is Extract<VehicleEvent, { type: T }> => e.type === type);
    const last = <T extends VehicleEvent['type']>(type: T) => of(type).at(-1);
    const homeFrame = () => new LocalFrame(port.home()!);
    const at = (north_m: number, east_m: number) => homeFrame().toLatLon(north_m, east_m);
    const waypoint = (north_m: number, east_m: number, extra: Partial<MissionItem> = {}): MissionItem =>
      ({ kind: 'waypoint', ...at(north_m, east_m), alt_m: ALT, hold_s: 0, acceptance_m: 3, capture: false, ...extra }) as MissionItem;
    const distanceTo = (p: { lat_deg: number; lon_deg: number }) => haversine_m(port.snapshot()!.position, p);
    const isLandedDisarmed = () => last('landed')?.state === 'on_ground' && last('armed')?.armed === false;

    async function connect(): Promise<void> {
      expectOk(await settle(port.connect()));
      expect(await h.waitFor(() => latest !== undefined && port.home() !== undefined, 10_000)).toBe(true);
    }
    async function armAndTakeoff(alt_m: number): Promise<void> {
      await connect();
      expectOk(await settle(port.arm()));
      expectOk(await settle(port.takeoff(alt_m)));
      expect(await h.waitFor(() => Math.abs(port.snapshot()!.alt_rel_m - alt_m) < 1.5 && last('landed')?.state === 'in_air', 60_000)).toBe(true);
    }
    async function flyMissionToEnd(timeoutMs = 600_000): Promise<void> {
      expect(await h.waitFor(() => of('mission.finished').length > 0, timeoutMs)).toBe(true);
    }

    beforeEach(async () => {
      h = await makeHarness();
      port = h.port;
      events = [];
      latest = undefined;
      port.subscribeEvents((e) => events.push(e));
      port.subscribeTelemetry((t) => { latest = t; });
    });
    afterEach(async () => {
      await h.dispose();
    });

    it('connect reports link up, home and telemetry', async () => {
      await connect();
      expect(of('link').some((e) => e.up)).toBe(true);
      const home = port.home() as GeoPoint;
      expect(Number.isFinite(home.lat_deg) && Number.isFinite(home.lon_deg) && Number.isFinite(home.alt_m)).toBe(true);
      const t = latest!;
      expect(t.vehicle).toBe(port.id);
      expect(haversine_m(t.position, home)).toBeLessThan(10);
      expect(t.battery.remaining_pct).toBeGreaterThan(10);
      expect(t.armed).toBe(false);
      expect(t.gps.fix).toBe('3d');
    });

    it('refuses takeoff while disarmed', async () => {
      await connect();
      expect(code(await settle(port.takeoff(10)))).toBe('VEHICLE.COMMAND_DENIED');
      await h.advance(2000);
      expect(port.snapshot()!.alt_rel_m).toBeLessThan(1.5);
    });

    it('arms and reports it', async () => {
      await connect();
      expectOk(await settle(port.arm()));
      expect(await h.waitFor(() => last('armed')?.armed === true, 5000)).toBe(true);
    });

    it('takes off to the requested altitude', async () => {
      await armAndTakeoff(12);
      await h.advance(3000);
      expect(port.snapshot()!.alt_rel_m).toBeGreaterThan(10.5);
      expect(port.snapshot()!.alt_rel_m).toBeLessThan(13.5);
      expect(port.snapshot()!.armed).toBe(true);
    });

    it('flies a 3-waypoint mission ending in RTL: every item in order, lands home, disarms', async () => {
      await connect();
      const items = [waypoint(40, 0), waypoint(40, 40), waypoint(0, 40), { kind: 'rtl' } as MissionItem];
      expectOk(await settle(port.uploadMission(items)));
      expectOk(await settle(port.arm()));
      expectOk(await settle(port.startMission()));
      await flyMissionToEnd();
      expect(of('mission.reached').map((e) => e.seq)).toEqual([0, 1, 2, 3]);
      expect(await h.waitFor(isLandedDisarmed, 120_000)).toBe(true);
      expect(distanceTo(port.home()!)).toBeLessThan(5);
    });

    it('starts a 561-item survey right after its upload and arm (PX4 checks a new plan after its ACK)', async () => {
      await connect();
      // A lawnmower of 561 waypoints, 17 legs of 33 points, 5 m apart, within 170 m of home.
      const items = Array.from({ length: 561 }, (_, i) => {
        const leg = Math.floor(i / 33), k = i % 33;
        return waypoint(20 + (leg % 2 === 0 ? k : 32 - k) * 5, leg * 10 - 80);
      });
      expectOk(await settle(port.uploadMission(items), 120_000));
      expectOk(await settle(port.arm()));
      expectOk(await settle(port.startMission(), 30_000));
      expect(await h.waitFor(() => last('mode')?.mode === 'mission', 10_000)).toBe(true);
      // It flies the survey from its first item.
      expect(await h.waitFor(() => of('mission.reached').length > 0, 120_000)).toBe(true);
      expect(of('mission.reached')[0]!.seq).toBe(0);
      expect(of('mission.current').at(-1)!.total).toBe(561);
    });

    it('hold pauses a mission and startMission resumes it', async () => {
      await armAndTakeoff(ALT);
      const items = [waypoint(150, 0), waypoint(150, 30)];
      expectOk(await settle(port.uploadMission(items)));
      expectOk(await settle(port.startMission()));
      // Somewhere along the long first leg.
      expect(await h.waitFor(() => distanceTo(at(0, 0)) > 40, 60_000)).toBe(true);
      expectOk(await settle(port.hold()));
      expect(await h.waitFor(() => last('mode')?.mode === 'hold', 5000)).toBe(true);
      await h.advance(8000); // let it brake
      const paused = port.snapshot()!.position;
      await h.advance(10_000);
      expect(haversine_m(port.snapshot()!.position, paused)).toBeLessThan(3);
      expect(of('mission.reached')).toHaveLength(0);
      expectOk(await settle(port.startMission()));
      await flyMissionToEnd();
      expect(of('mission.reached').map((e) => e.seq)).toEqual([0, 1]);
      expect(distanceTo(at(150, 30))).toBeLessThan(5);
    });

    it('rejects an invalid upload with MISSION.INVALID and keeps flying the previous mission', async () => {
      await connect();
      const good = [waypoint(30, 0), waypoint(30, 30)];
      expectOk(await settle(port.uploadMission(good)));
      expect(code(await settle(port.uploadMission([])))).toBe('MISSION.INVALID');
      expect(code(await settle(port.uploadMission([waypoint(0, 0, { lat_deg: 0, lon_deg: 0 } as Partial<MissionItem>)])))).toBe('MISSION.INVALID');
      expect(code(await settle(port.uploadMission([waypoint(10, 10, { alt_m: 20_000 } as Partial<MissionItem>)])))).toBe('MISSION.INVALID');
      expectOk(await settle(port.arm()));
      expectOk(await settle(port.startMission()));
      expect(await h.waitFor(() => of('mission.reached').length > 0, 120_000)).toBe(true);
      expect(distanceTo(at(30, 0))).toBeLessThan(6);
      await flyMissionToEnd();
      expect(of('mission.reached').map((e) => e.seq)).toEqual([0, 1]);
    });

    it('refuses a mission planned for another place: MISSION.INVALID with the item and its distance, the previous mission stays', async () => {
      await connect();
      expectOk(await settle(port.uploadMission([waypoint(30, 0), waypoint(30, 30)])));
      const home = port.home()!;
      // A .plan from ~6,000 km away whose takeoff the twin put at home; and one just past 10 km.
      const elsewhere = { ...waypoint(0, 0), lat_deg: home.lat_deg + 12, lon_deg: home.lon_deg + 70 } as MissionItem;
      const r1 = await settle(port.uploadMission([{ kind: 'takeoff', alt_m: ALT } as MissionItem, elsewhere]));
      expect(code(r1)).toBe('MISSION.INVALID');
      expect(!r1.ok && r1.error.message).toMatch(/items\.1: [\d,]+ km from the vehicle's home/);
      expect(!r1.ok && (r1.error.context?.['distance_m'] as number)).toBeGreaterThan(4_000_000);
      const r2 = await settle(port.uploadMission([waypoint(20, 0), waypoint(20, 20), waypoint(12_500, 0)]));
      expect(code(r2)).toBe('MISSION.INVALID');
      expect(!r2.ok && r2.error.context?.['index']).toBe(2);
      expectOk(await settle(port.arm()));
      expectOk(await settle(port.startMission()));
      expect(await h.waitFor(() => of('mission.reached').length > 0, 120_000)).toBe(true);
      expect(distanceTo(at(30, 0))).toBeLessThan(6);
    });

    it('returns to launch and lands', async () => {
      await armAndTakeoff(ALT);
      expectOk(await settle(port.goto({ ...at(60, -30), alt_m: ALT })));
      expect(await h.waitFor(() => distanceTo(at(60, -30)) < 4, 90_000)).toBe(true);
      expectOk(await settle(port.returnToLaunch()));
      expect(await h.waitFor(() => last('mode')?.mode === 'rtl', 5000)).toBe(true);
      expect(await h.waitFor(isLandedDisarmed, 240_000)).toBe(true);
      expect(distanceTo(port.home()!)).toBeLessThan(5);
    });

    it('setParameters (where offered): sets a parameter the vehicle has, names one it has not', async () => {
      if (!port.setParameters) return;
      await connect();
      const r = await settle(port.setParameters({ COM_DL_LOSS_T: 7 }));
      expectOk(r as VehicleResult);
      expect(r.ok && r.value.map((x) => [x.name, x.ok, x.value])).toEqual([['COM_DL_LOSS_T', true, 7]]);
      const bad = await settle(port.setParameters({ NO_SUCH_PARAM: 1 }), 30_000);
      expect(code(bad as VehicleResult)).toBe('VEHICLE.UNSUPPORTED');
      expect(!bad.ok && bad.error.message).toContain('NO_SUCH_PARAM');
    });

    it('fails commands after dispose with VEHICLE.DISPOSED', async () => {
      await connect();
      await port.dispose();
      for (const r of [await port.arm(), await port.takeoff(10), await port.startMission(), await port.connect()])
        expect(code(r)).toBe('VEHICLE.DISPOSED');
    });
  });
}
