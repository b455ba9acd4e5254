/**
 * The behaviours every {@link CameraPort} must show, run against each adapter (STYLE §4): the
 * simulated camera (helper S, `test/contract/camera-sim.contract.test.ts`) and the MAVLink camera
 * adapter against the built-in SITL's camera component (`test/mavlink/camera-sitl.test.ts`).
 *
 * @remarks
 * Only the port's promises are checked, with tolerances that hold on a real device: captures
 * carry increasing indices and a geotag near where the vehicle truly was; interval capture keeps
 * the profile's minimum interval; bad settings are refused without changing anything; a failed
 * sensor says so in its health and refuses captures; after `dispose` nothing more is emitted.
 * Time passes only through the harness (`advance`/`waitFor`: sim time under a virtual clock,
 * wall time for a real device). Each test gets a fresh harness with a connected port.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haversine_m } from '../../core/geo.js';
import type { CameraPort, CaptureRef, SensorEvent, SensorPose, SensorResult, SensorSettings } from '../../hardware/sensor.port.js';

export interface CameraHarness {
  /** A port whose `connect()` has succeeded. */
  readonly port: CameraPort;
  /** Lets `ms` of the camera's time pass. */
  advance(ms: number): Promise<void>;
  /** Lets time pass until `pred()` holds or `timeoutMs` elapsed; resolves to `pred()`. */
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean>;
  /** Where the carrying vehicle truly is now (the simulator's truth). */
  truePose(): SensorPose | undefined;
  /**
   * Makes the sensor fail the way this kind of device does (sim: `injectFault`; MAVLink: the
   * camera component itself reports the failure on the wire).
   */
  fail(): Promise<void>;
  dispose(): Promise<void>;
  /** Settings this camera accepts (used to check a mix of good and bad is refused as a whole). */
  readonly validSettings?: SensorSettings;
  /** How far a geotag may be from the true pose at trigger time, metres (default 2). */
  readonly geotagToleranceM?: number;
}

const code = (r: SensorResult<unknown>) => (r.ok ? 'ok' : r.error.code);

export function describeCameraContract(name: string, makeHarness: () => Promise<CameraHarness>): void {
  describe(`CameraPort contract: ${name}`, () => {
    let h: CameraHarness;
    let port: CameraPort;
    let events: SensorEvent[];
    let off: () => void;

    async function settle<T>(p: Promise<T>, timeoutMs = 10_000): Promise<T> {
      let box: { v: T } | undefined;
      void p.then((v) => { box = { v }; });
      if (!(await h.waitFor(() => box !== undefined, timeoutMs))) throw new Error(`did not settle within ${timeoutMs} ms`);
      return box!.v;
    }
    const captures = () => events.flatMap((e) => (e.type === 'capture' ? [e.capture] : []));
    const minIntervalMs = () => (port.info()?.camera?.min_interval_s ?? 0) * 1000;

    beforeEach(async () => {
      h = await makeHarness();
      port = h.port;
      events = [];
      off = port.subscribeEvents((e) => events.push(e));
    });
    afterEach(async () => {
      off();
      await h.dispose();
    });

    it('describes itself as a camera with a profile', () => {
      const info = port.info();
      expect(info?.kind).toBe('camera');
      expect(info?.camera?.min_interval_s).toBeGreaterThan(0);
      expect(info?.camera?.resolution_px.width).toBeGreaterThan(0);
      expect(port.health().state).toBe('ok');
    });

    it('capture gives increasing indices and a geotag near the true pose', async () => {
      const tol = h.geotagToleranceM ?? 2;
      const refs: CaptureRef[] = [];
      for (let k = 0; k < 3; k++) {
        const truth = h.truePose();
        const r = await settle(port.capture());
        expect(r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`).toBe('ok');
        if (!r.ok) return;
        refs.push(r.value);
        expect(r.value.sensor).toBe(port.id);
        expect(truth).toBeDefined();
        expect(haversine_m(r.value.pose.position, truth!.position)).toBeLessThan(tol);
        expect(Math.abs(r.value.pose.position.alt_m - truth!.position.alt_m)).toBeLessThan(tol);
        await h.advance(minIntervalMs() + 50);
      }
      for (let k = 1; k < refs.length; k++) expect(refs[k]!.index).toBeGreaterThan(refs[k - 1]!.index);
      // Every capture is also an event, once.
      expect(await h.waitFor(() => captures().length >= 3, 3000)).toBe(true);
      expect(captures().map((c) => c.index)).toEqual(refs.map((c) => c.index));
      expect(port.health().count).toBeGreaterThanOrEqual(3);
    });

    it('interval capture refuses an interval below the minimum and keeps the minimum', async () => {
      const minMs = minIntervalMs();
      expect(code(await settle(port.startInterval(minMs / 2000, 3)))).toBe('SENSOR.INVALID');
      expect(code(await settle(port.startInterval(-1, 3)))).toBe('SENSOR.INVALID');
      const interval_s = Math.max(minMs / 1000, 0.5);
      expect(code(await settle(port.startInterval(interval_s, 3)))).toBe('ok');
      expect(await h.waitFor(() => captures().length >= 3, interval_s * 1000 * 3 + 5000)).toBe(true);
      await h.advance(interval_s * 1000 * 3);
      const got = captures();
      expect(got.length).toBe(3);
      for (let k = 1; k < got.length; k++) {
        expect(got[k]!.index).toBeGreaterThan(got[k - 1]!.index);
        expect(got[k]!.t_ms - got[k - 1]!.t_ms).toBeGreaterThanOrEqual(minMs - 1);
      }
      expect(code(await settle(port.stopCapture()))).toBe('ok');
    });

    it('stopCapture ends an endless interval capture', async () => {
      const interval_s = Math.max(minIntervalMs() / 1000, 0.5);
      expect(code(await settle(port.startInterval(interval_s, 0)))).toBe('ok');
      expect(await h.waitFor(() => captures().length >= 2, interval_s * 1000 * 2 + 5000)).toBe(true);
      expect(code(await settle(port.stopCapture()))).toBe('ok');
      await h.advance(1000);
      const n = captures().length;
      await h.advance(interval_s * 1000 * 3);
      expect(captures().length).toBe(n);
    });

    it('configure refuses bad settings and changes nothing', async () => {
      const before = JSON.stringify(port.info());
      expect(code(await settle(port.configure({ no_such_setting: 1 })))).toBe('SENSOR.INVALID');
      if (h.validSettings) {
        expect(code(await settle(port.configure({ ...h.validSettings, no_such_setting: 1 })))).toBe('SENSOR.INVALID');
      }
      expect(JSON.stringify(port.info())).toBe(before);
      expect(port.health().state).toBe('ok');
      if (h.validSettings) expect(code(await settle(port.configure(h.validSettings)))).toBe('ok');
      // Still captures.
      expect(code(await settle(port.capture()))).toBe('ok');
    });

    it('reports health at about 1 Hz', async () => {
      const t0 = events.length;
      await h.advance(5000);
      const health = events.slice(t0).filter((e) => e.type === 'health');
      expect(health.length).toBeGreaterThanOrEqual(4);
      expect(health.length).toBeLessThanOrEqual(7);
    });

    it('a failed sensor reports health failed and refuses captures', async () => {
      await h.fail();
      expect(await h.waitFor(() => port.health().state === 'failed', 5000)).toBe(true);
      expect(events.some((e) => e.type === 'health' && e.health.state === 'failed')).toBe(true);
      const r = await settle(port.capture());
      expect(code(r)).toBe('SENSOR.FAILED');
    });

    it('after dispose nothing more is emitted and commands say DISPOSED', async () => {
      const interval_s = Math.max(minIntervalMs() / 1000, 0.5);
      expect(code(await settle(port.startInterval(interval_s, 0)))).toBe('ok');
      await h.advance(interval_s * 1000 + 200);
      await port.dispose();
      const n = events.length;
      await h.advance(3000);
      expect(events.length).toBe(n);
      expect(code(await settle(port.capture()))).toBe('SENSOR.DISPOSED');
    });
  });
}
