/**
 * The SLAM port contract (STYLE §4): every SlamPort adapter's test calls {@link slamPortContract}
 * with a rig that drives it on a virtual clock along a known trajectory — the simulated KISS-ICP
 * port on the simulated Ouster, the LIO adapter on a replayed LIO message stream.
 *
 * What every adapter must do: refuse reset/relocalize before start (`SLAM.NOT_STARTED`); start
 * idempotently; publish poses in its map frame (finite, unit quaternion, times on the clock, never
 * ahead of it, non-decreasing), odometry with the body twist, maps as x, y, z triplets when it
 * has a map; move as the truth moves; start a new map at the sensor on reset; move the estimate to
 * a relocalization hint; publish nothing after stop; refuse to start once disposed
 * (`SLAM.DISPOSED`); and deliver nothing to an unsubscribed listener.
 */
import { expect, it } from 'vitest';
import type { VirtualClock } from '../../core/clock.js';
import type { SlamEvent, SlamOdometryEvent, SlamPoseEvent, SlamPort } from '../../hardware/slam.port.js';

export interface SlamRig {
  readonly port: SlamPort;
  readonly clock: VirtualClock;
  /** Starts the data (the LiDAR streams, the LIO publishes). */
  begin(): void;
  /** The sensor's true displacement between two clock times, m. */
  truthDistance(t0_ms: number, t1_ms: number): number;
  close(): Promise<void>;
}

const norm = (v: readonly number[]) => Math.hypot(...v);

export function slamPortContract(name: string, make: () => Promise<SlamRig> | SlamRig, timeout_ms = 120_000): void {
  it(`${name}: SLAM port contract (lifecycle, estimates vs truth, reset, relocalize, stop, dispose)`, async () => {
    const rig = await make();
    const { port, clock } = rig;
    const events: SlamEvent[] = [];
    port.subscribe((e) => events.push(e));
    const ignored: SlamEvent[] = [];
    port.subscribe((e) => ignored.push(e))();
    try {
      for (const r of [await port.reset(), await port.relocalize({ position_m: [0, 0, 0] })]) expect(!r.ok && r.error.code).toBe('SLAM.NOT_STARTED');
      expect((await port.start()).ok).toBe(true);
      expect((await port.start()).ok).toBe(true);
      rig.begin();
      clock.advanceSync(3000);

      const poses = events.filter((e): e is SlamPoseEvent => e.type === 'pose');
      const odometry = events.filter((e): e is SlamOdometryEvent => e.type === 'odometry');
      expect(poses.length).toBeGreaterThanOrEqual(20);
      let prev = -Infinity;
      for (const p of poses) {
        expect(p.frame_id).toBe('map');
        expect(p.position_m.every(Number.isFinite)).toBe(true);
        expect(Math.abs(norm(p.orientation) - 1)).toBeLessThan(1e-6);
        expect(p.t_ms).toBeGreaterThanOrEqual(prev);
        expect(p.t_ms).toBeLessThanOrEqual(clock.now());
        if (!p.ok) expect(p.reason).toMatch(/^SLAM\.[A-Z_]+$/);
        prev = p.t_ms;
      }
      const trusted = poses.filter((p) => p.ok);
      expect(trusted.length).toBeGreaterThan(poses.length * 0.8);
      expect(odometry.length).toBeGreaterThanOrEqual(trusted.length * 0.9);
      for (const o of odometry) {
        expect(o.child_frame_id).toBe('base_link');
        expect([...o.linear_mps, ...o.angular_radps, o.sigma_m].every(Number.isFinite)).toBe(true);
        expect(o.sigma_m).toBeGreaterThanOrEqual(0);
      }
      if (port.capabilities.map) {
        const maps = events.filter((e) => e.type === 'map');
        expect(maps.length).toBeGreaterThanOrEqual(1);
        for (const m of maps) {
          expect(m.type === 'map' && m.points.length % 3 === 0 && m.points.length > 0).toBe(true);
          if (m.type === 'map') expect(m.points.every(Number.isFinite)).toBe(true);
        }
      }
      // Moves as the truth moves (distance from the first trusted pose to the last).
      const [a, b] = [trusted[0]!, trusted.at(-1)!];
      const moved = norm(a.position_m.map((v, i) => b.position_m[i]! - v));
      const truth = rig.truthDistance(a.t_ms, b.t_ms);
      expect(truth).toBeGreaterThan(3);
      expect(Math.abs(moved - truth)).toBeLessThan(0.25 * truth + 1);

      // Reset: a new map frame at the sensor.
      expect((await port.reset()).ok).toBe(true);
      events.length = 0;
      clock.advanceSync(300);
      const first = events.find((e): e is SlamPoseEvent => e.type === 'pose');
      expect(first).toBeDefined();
      expect(norm(first!.position_m)).toBeLessThan(0.5);

      if (port.capabilities.relocalize) {
        expect((await port.relocalize({ position_m: [100, 0, 0] })).ok).toBe(true);
        events.length = 0;
        clock.advanceSync(300);
        const after = events.find((e): e is SlamPoseEvent => e.type === 'pose');
        expect(after).toBeDefined();
        expect(Math.abs(after!.position_m[0] - 100)).toBeLessThan(3);
      }

      expect((await port.stop()).ok).toBe(true);
      events.length = 0;
      clock.advanceSync(500);
      expect(events).toHaveLength(0);
      expect(ignored).toHaveLength(0);
      await port.dispose();
      const again = await port.start();
      expect(!again.ok && again.error.code).toBe('SLAM.DISPOSED');
    } finally {
      await rig.close();
    }
  }, timeout_ms);
}
