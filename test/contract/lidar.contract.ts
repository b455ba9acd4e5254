/**
 * The behaviours every {@link LidarPort} must show, run against each adapter (STYLE §4): the
 * simulated Ouster in-process under the virtual clock, and the Ouster adapter on real UDP sockets
 * fed by the simulator's datagrams (or, with OUSTER_HOST set, a real sensor).
 *
 * @remarks
 * Only the port is used; time passes through the harness. The harness places the sensor
 * upright and level `ground_below_m` above flat ground, so points can be checked against it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LidarPort, ScanRef, SensorEvent, SensorHealth } from '../../hardware/sensor.port.js';

export interface LidarHarness {
  port: LidarPort;
  /** The stored bytes of a blob the port wrote, or undefined. */
  blob(key: string): Uint8Array | undefined;
  /** Makes the blob sink refuse (true) or accept (false) writes. */
  setSinkFailing(failing: boolean): void;
  /** Metres between the sensor and flat ground below it (undefined: unknown scene, skip geometry). */
  readonly ground_below_m?: number;
  advance(ms: number): Promise<void>;
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean>;
  dispose(): Promise<void>;
}

export function describeLidarContract(name: string, makeHarness: () => Promise<LidarHarness>): void {
  describe(`LidarPort contract: ${name}`, () => {
    let h: LidarHarness;
    let port: LidarPort;
    let events: SensorEvent[];
    const scans = (): ScanRef[] => events.flatMap((e) => (e.type === 'scan' ? [e.scan] : []));
    const healths = (): SensorHealth[] => events.flatMap((e) => (e.type === 'health' ? [e.health] : []));

    beforeEach(async () => {
      h = await makeHarness();
      port = h.port;
      events = [];
      port.subscribeEvents((e) => events.push(e));
    });
    afterEach(async () => {
      await h.dispose();
    });

    async function connectAndStream(): Promise<void> {
      const c = await port.connect();
      expect(c.ok, c.ok ? '' : `${c.error.code}: ${c.error.message}`).toBe(true);
      expect((await port.startStreaming()).ok).toBe(true);
    }

    it('connects and describes itself as a LiDAR', async () => {
      expect(port.health().state).toBe('offline');
      const c = await port.connect();
      expect(c.ok, c.ok ? '' : `${c.error.code}: ${c.error.message}`).toBe(true);
      if (!c.ok) return;
      expect(c.value).toMatchObject({ id: port.id, vehicle: port.vehicle, kind: 'lidar' });
      expect(c.value.lidar!.beams).toBeGreaterThan(0);
      expect(c.value.lidar!.columns_per_frame).toBeGreaterThan(0);
      expect(c.value.lidar!.frame_rate_hz).toBeGreaterThan(0);
      expect(port.info()).toEqual(c.value);
      expect((await port.connect()).ok).toBe(true); // idempotent
      expect(port.health().state).not.toBe('offline');
    });

    it('streams scans: increasing frame ids, blobs stored before the reference, 16 bytes a point', async () => {
      await connectAndStream();
      expect(await h.waitFor(() => scans().length >= 4, 5000)).toBe(true);
      const s = scans();
      for (let i = 1; i < s.length; i++) expect(((s[i]!.frame_id - s[i - 1]!.frame_id) & 0xffff) > 0).toBe(true);
      for (const sc of s) {
        expect(sc).toMatchObject({ vehicle: port.vehicle, sensor: port.id });
        expect(sc.points).toBeGreaterThan(0);
        expect(sc.bytes).toBe(sc.points * 16);
        const b = h.blob(sc.blob_key!);
        expect(b?.byteLength).toBe(sc.bytes);
      }
      // Loss on loopback is rare; a complete frame is the norm.
      expect(s.filter((x) => x.missing_columns === 0).length).toBeGreaterThanOrEqual(s.length / 2);
      expect(events.some((e) => e.type === 'streaming' && e.on)).toBe(true);
      expect(events.some((e) => e.type === 'link' && e.up)).toBe(true);
    });

    it('points are where the world is: flat ground below the sensor', async () => {
      if (h.ground_below_m === undefined) return;
      await connectAndStream();
      expect(await h.waitFor(() => scans().length >= 2, 5000)).toBe(true);
      const sc = scans()[1]!;
      const b = h.blob(sc.blob_key!)!;
      const p = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      let onGround = 0;
      for (let i = 0; i < p.length; i += 4) if (Math.abs(p[i + 2]! + h.ground_below_m) < 0.1) onGround++;
      expect(onGround / (p.length / 4)).toBeGreaterThan(0.95);
    });

    it('publishes health about once a second with the frame count', async () => {
      await connectAndStream();
      expect(await h.waitFor(() => healths().length >= 2, 5000)).toBe(true);
      const hs = healths();
      expect(hs.at(-1)!.state).toBe('ok');
      expect(hs.at(-1)!.count).toBeGreaterThan(0);
      expect(hs.at(-1)!.t_ms - hs.at(-2)!.t_ms).toBeGreaterThan(500);
      expect(port.health().count).toBeGreaterThanOrEqual(hs.at(-1)!.count);
    });

    it('stopStreaming stops scans; startStreaming resumes them', async () => {
      await connectAndStream();
      expect(await h.waitFor(() => scans().length >= 1, 5000)).toBe(true);
      expect((await port.stopStreaming()).ok).toBe(true);
      await h.advance(300);
      const n = scans().length;
      await h.advance(700);
      expect(scans().length).toBe(n);
      expect((await port.startStreaming()).ok).toBe(true);
      expect(await h.waitFor(() => scans().length > n, 5000)).toBe(true);
    });

    it('sensor_failure: health failed and no scans; restore brings them back', async () => {
      await connectAndStream();
      expect(await h.waitFor(() => scans().length >= 1, 5000)).toBe(true);
      expect((await port.injectFault({ kind: 'sensor_failure' })).ok).toBe(true);
      expect(port.health().state).toBe('failed');
      await h.advance(300);
      const n = scans().length;
      await h.advance(700);
      expect(scans().length).toBe(n);
      expect((await port.injectFault({ kind: 'sensor_restore' })).ok).toBe(true);
      expect(await h.waitFor(() => scans().length > n, 5000)).toBe(true);
      expect(port.health().state).not.toBe('failed');
    });

    it('configure: range limits apply to points; unknown or bad settings change nothing', async () => {
      await port.connect();
      const bad = await port.configure({ lidar_mode: '2048x10' });
      expect(!bad.ok && bad.error.code).toBe('SENSOR.UNSUPPORTED');
      const worse = await port.configure({ max_range_m: -3 });
      expect(!worse.ok && worse.error.code).toBe('SENSOR.INVALID');
      expect((await port.configure({ max_range_m: 15 })).ok).toBe(true);
      await port.startStreaming();
      expect(await h.waitFor(() => scans().length >= 2, 5000)).toBe(true);
      const b = h.blob(scans()[1]!.blob_key!)!;
      const p = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      for (let i = 0; i < p.length; i += 4) expect(Math.hypot(p[i]!, p[i + 1]!, p[i + 2]!)).toBeLessThan(15.1);
    });

    it('a refusing blob sink: no references for unstored scans, degraded health, recovery', async () => {
      await connectAndStream();
      expect(await h.waitFor(() => scans().length >= 1, 5000)).toBe(true);
      h.setSinkFailing(true);
      await h.advance(400);
      const n = scans().length;
      await h.advance(1200);
      expect(scans().length).toBe(n);
      expect(port.health().state).toBe('degraded');
      expect(port.health().message).toMatch(/storage/);
      h.setSinkFailing(false);
      expect(await h.waitFor(() => scans().length > n, 5000)).toBe(true);
      expect(port.health().state).toBe('ok');
    });

    it('after dispose every command answers SENSOR.DISPOSED', async () => {
      await connectAndStream();
      await port.dispose();
      for (const r of [await port.connect(), await port.startStreaming(), await port.stopStreaming(), await port.configure({}), await port.injectFault({ kind: 'sensor_restore' })]) {
        expect(!r.ok && r.error.code).toBe('SENSOR.DISPOSED');
      }
      expect(port.health().state).toBe('offline');
    });
  });
}
