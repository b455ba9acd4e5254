/**
 * The LIO adapter on a replayed FAST-LIVO2 stream (generated from the WEAVE flight): frames
 * (camera_init offset and rotated, NED), stamps onto the clock, twist from the message or from the
 * poses, tracking lost on silence and degeneracy through the real SLAM runtime and machine, and
 * bad messages refused with dotted codes while everything else carries on exactly as without them.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { VirtualClock } from '../../core/clock.js';
import { LocalFrame } from '../../core/geo.js';
import { Bus } from '../../actors/bus.js';
import { SlamRuntime } from '../../actors/slam-runtime.js';
import { slamActorId } from '../../machines/squad.machine.js';
import { createLioSlamPort, type LioRejection } from '../../hardware/real/slam/lio-slam.adapter.js';
import { parseCloud } from '../../hardware/real/slam/lio-messages.js';
import type { Ros1Odometry, Ros1PointCloud2 } from '../../hardware/real/slam/lio-source.js';
import type { SlamEvent, SlamOdometryEvent, SlamPoseEvent } from '../../hardware/slam.port.js';
import { WEAVE } from './slam-flight-fixtures.js';
import { enuTruth, LioReplaySource, lioMessages, type LioReplayOptions } from './lio-replay.js';

const poses = (ev: SlamEvent[]) => ev.filter((e): e is SlamPoseEvent => e.type === 'pose');
const odos = (ev: SlamEvent[]) => ev.filter((e): e is SlamOdometryEvent => e.type === 'odometry');

async function run(opts: Partial<LioReplayOptions> = {}, ms = 3000, adapter: Partial<Parameters<typeof createLioSlamPort>[0]> = {}, during?: (s: LioReplaySource, clock: VirtualClock) => void) {
  const clock = new VirtualClock();
  const source = new LioReplaySource(clock, { path: WEAVE, pathOffset_s: 5, ...opts });
  const rejected: LioRejection[] = [];
  const port = createLioSlamPort({ source, clock, backend: 'fast-livo2', onRejected: (r) => rejected.push(r), ...adapter });
  const events: SlamEvent[] = [];
  port.subscribe((e) => events.push(e));
  await port.start();
  source.begin();
  if (during) during(source, clock);
  clock.advanceSync(ms);
  return { clock, source, port, events, rejected };
}

describe('LIO adapter: frames and stamps', () => {
  it('re-bases camera_init at the first pose (translation + yaw): the estimate is the truth relative to the first pose, exactly', async () => {
    const { events } = await run({ initYaw_rad: 0.9, initOrigin_m: [40, -12, 3] });
    const ps = poses(events);
    expect(ps.length).toBeGreaterThan(25);
    expect(ps.every((p) => p.ok)).toBe(true);
    // Truth at each pose's path time, in the frame of the first pose (heading along x).
    const pathT = (t_ms: number) => (t_ms - 30) / 1000 + 5; // clock time = publish tick + 30 ms (the least latency)
    const t0 = enuTruth(WEAVE, pathT(ps[0]!.t_ms));
    for (const p of ps) {
      const t = enuTruth(WEAVE, pathT(p.t_ms));
      const d = [t.p[0] - t0.p[0], t.p[1] - t0.p[1], t.p[2] - t0.p[2]];
      const [c, s] = [Math.cos(-t0.yaw), Math.sin(-t0.yaw)];
      expect(p.position_m[0]).toBeCloseTo(c * d[0]! - s * d[1]!, 4);
      expect(p.position_m[1]).toBeCloseTo(s * d[0]! + c * d[1]!, 4);
      expect(p.position_m[2]).toBeCloseTo(d[2]!, 4);
      const yaw = 2 * Math.atan2(p.orientation[3], p.orientation[0]);
      expect(Math.cos(yaw - (t.yaw - t0.yaw))).toBeCloseTo(1, 9);
    }
  });

  it('stamps (ROS epoch, 30–50 ms late) map onto the clock at the least latency: publish time + 30 ms, never ahead of now', async () => {
    const { events } = await run();
    for (const p of poses(events)) expect((p.t_ms - 30) % 100).toBeCloseTo(0, 6);
  });

  it('a restarted LIO (stamps a minute back) is taken as a new time base; a slightly older stamp is refused', async () => {
    const { events, rejected, port } = await run({}, 1000, {}, (source, clock) => {
      // 0.35 s older than the last accepted one (published at 400 ms, arrived by 505 ms).
      clock.setTimeout(() => source.inject('odometry', lioMessages({ path: WEAVE, pathOffset_s: 5 }, 50).odometry), 505);
    });
    expect(rejected.map((r) => r.code)).toEqual(['LIO.STAMP_BACKWARDS']);
    expect(port.stats().rejected).toEqual({ 'LIO.STAMP_BACKWARDS': 1 });
    const restarted = await run({ epoch_s: 1.7e9 }, 800, {}, (source, clock) => {
      clock.setTimeout(() => source.inject('odometry', lioMessages({ path: WEAVE, pathOffset_s: 5, epoch_s: 1.7e9 - 60 }, 850).odometry), 845);
    });
    expect(restarted.rejected).toEqual([]);
    expect(poses(restarted.events).at(-1)!.t_ms).toBeLessThanOrEqual(restarted.clock.now());
    expect(poses(events).length).toBeGreaterThan(5);
  });

  it('a NED world (body FRD) gives the same estimate as the ENU one', async () => {
    const enu = await run({}, 1500);
    const clock = new VirtualClock();
    const inner = new LioReplaySource(clock, { path: WEAVE, pathOffset_s: 5 });
    // The same messages re-expressed NED/FRD: (x, y, z) → (y, x, −z); q_ned_frd = T · q_enu_flu · B.
    const toNed = (m: Ros1Odometry): Ros1Odometry => {
      const { x, y, z, w } = m.pose.pose.orientation;
      // T = rotation swapping x/y and flipping z = quaternion (0, √½, √½, 0); B = FRD←FLU = quaternion (0, 1, 0, 0).
      const r = Math.SQRT1_2;
      const mul = (a: number[], b: number[]) => [
        a[0]! * b[0]! - a[1]! * b[1]! - a[2]! * b[2]! - a[3]! * b[3]!,
        a[0]! * b[1]! + a[1]! * b[0]! + a[2]! * b[3]! - a[3]! * b[2]!,
        a[0]! * b[2]! - a[1]! * b[3]! + a[2]! * b[0]! + a[3]! * b[1]!,
        a[0]! * b[3]! + a[1]! * b[2]! - a[2]! * b[1]! + a[3]! * b[0]!,
      ];
      const q = mul(mul([0, r, r, 0], [w, x, y, z]), [0, 1, 0, 0]);
      const p = m.pose.pose.position;
      return { ...m, header: { ...m.header, frame_id: 'world' }, pose: { ...m.pose, pose: { position: { x: p.y, y: p.x, z: -p.z }, orientation: { w: q[0]!, x: q[1]!, y: q[2]!, z: q[3]! } } } };
    };
    const source = {
      onOdometry: (cb: (m: Ros1Odometry) => void) => inner.onOdometry((m) => cb(toNed(m))),
      onCloud: (cb: (m: Ros1PointCloud2) => void) => inner.onCloud((m) => cb({ ...m, header: { ...m.header, frame_id: 'world' } })),
      close: () => inner.close(),
    };
    const port = createLioSlamPort({ source, clock, worldAxes: 'ned' });
    const events: SlamEvent[] = [];
    port.subscribe((e) => events.push(e));
    await port.start();
    inner.begin();
    clock.advanceSync(1500);
    const [a, b] = [poses(enu.events), poses(events)];
    expect(b.length).toBe(a.length);
    a.forEach((p, i) => {
      for (let k = 0; k < 3; k++) expect(b[i]!.position_m[k]).toBeCloseTo(p.position_m[k]!, 9);
      const dot = p.orientation.reduce((s, v, k) => s + v * b[i]!.orientation[k]!, 0);
      expect(Math.abs(dot)).toBeCloseTo(1, 9);
    });
  });
});

describe('LIO adapter: stop and start', () => {
  it('a restart after stop continues in the same map frame (the runtime keeps its anchor); only reset re-bases', async () => {
    const { port, events, clock } = await run({}, 1000);
    const before = poses(events).at(-1)!;
    await port.stop();
    clock.advanceSync(500);
    events.length = 0;
    await port.start();
    clock.advanceSync(300);
    const after = poses(events).find((p) => p.ok)!;
    // 0.5–0.8 s later at ~5 m/s: a few metres on from where it stopped, not back at the origin.
    const moved = Math.hypot(...after.position_m.map((v, k) => v - before.position_m[k]!));
    expect(moved).toBeGreaterThan(2);
    expect(moved).toBeLessThan(6);
    expect(Math.hypot(...after.position_m)).toBeGreaterThan(Math.hypot(...before.position_m));
    await port.dispose();
  });
});

describe('LIO adapter: twist, map', () => {
  it('an empty twist (FAST-LIO) is the pose difference; a filled one is passed through; ~5 m/s forward either way', async () => {
    const zero = odos((await run({}, 2000)).events).slice(2);
    const filled = odos((await run({ twist: true }, 2000)).events).slice(2);
    for (const o of [...zero, ...filled]) {
      expect(o.linear_mps[0]).toBeGreaterThan(4);
      expect(o.linear_mps[0]).toBeLessThan(6);
    }
    expect(filled.some((o, i) => o.linear_mps[0] !== zero[i]!.linear_mps[0])).toBe(true);
  });

  it('registered clouds become a voxel map in the re-based frame, about once a second', async () => {
    const { events } = await run({}, 3500);
    const maps = events.filter((e) => e.type === 'map');
    expect(maps.length).toBe(4);
    const m = maps.at(-1)!;
    if (m.type !== 'map') throw new Error('not a map');
    expect(m.points.length / 3).toBeGreaterThan(200);
    // Ground points of the ring lie 6 m around the sensor at world height 0: in the re-based frame
    // their z is the (camera_init) ground minus the first pose's height (8 m up − 1 m init origin … ) — constant.
    const zs = new Set<number>();
    for (let i = 2; i < m.points.length; i += 3) zs.add(Math.round(m.points[i]! * 10) / 10);
    expect(zs.size).toBeLessThan(12);
  });
});

describe('LIO adapter: tracking through the SLAM machine', () => {
  async function withMachine(opts: Partial<LioReplayOptions>, ms: number) {
    const clock = new VirtualClock();
    const source = new LioReplaySource(clock, { path: WEAVE, pathOffset_s: 5, ...opts });
    const port = createLioSlamPort({ source, clock, lostAfter_ms: 300 });
    const log: { type: string; data?: Record<string, unknown> }[] = [];
    const frame = new LocalFrame({ lat_deg: 47.39, lon_deg: 8.54, alt_m: 400 });
    const rt = new SlamRuntime(
      { clock, bus: new Bus(), append: (_s, type, data) => void log.push({ type, ...(data ? { data } : {}) }), anchor: () => ({ ned: { north_m: 0, east_m: 0, down_m: 0 }, heading_deg: 0, frame }) },
      [{ id: 'd1', slam: { port } }],
    );
    const ref = createActor(rt.logic(), { input: { vehicleId: 'd1' }, clock });
    ref.start();
    rt.start();
    rt.spawned(slamActorId('d1'), ref);
    source.begin();
    clock.advanceSync(ms);
    rt.stop();
    ref.stop();
    return log.filter((l) => l.type === 'state').map((l) => `${l.data!.value as string}${l.data!.code ? `:${l.data!.code as string}` : ''}`);
  }

  it('odometry stops for a second: lost (SLAM.NO_ODOMETRY), then tracking again when it returns', async () => {
    const states = await withMachine({ silent: (t) => t >= 6.5 && t < 7.5 }, 4000);
    expect(states).toEqual(['initializing', 'tracking', 'lost:SLAM.NO_ODOMETRY', 'tracking']);
  });

  it("the LIO's covariance grows past 1 m σ: lost (SLAM.DEGENERATE), then tracking", async () => {
    const states = await withMachine({ positionStd: (t) => (t >= 6.5 && t < 7.2 ? 3 : 0.05) }, 4000);
    expect(states).toEqual(['initializing', 'tracking', 'lost:SLAM.DEGENERATE', 'tracking']);
  });
});

describe('LIO adapter: bad messages', () => {
  it('each bad message is refused with a dotted code and changes nothing: the estimate is the clean run\'s, byte for byte', async () => {
    const clean = await run({}, 2000);
    const base = lioMessages({ path: WEAVE, pathOffset_s: 5 }, 1000);
    const o = base.odometry;
    const c = base.cloud;
    const pose = (p: Partial<Ros1Odometry['pose']['pose']>) => ({ ...o, pose: { ...o.pose, pose: { ...o.pose.pose, ...p } } });
    const bad: [string, 'odometry' | 'cloud', unknown][] = [
      ['LIO.NON_FINITE', 'odometry', pose({ position: { x: NaN, y: 0, z: 0 } })],
      ['LIO.NON_FINITE', 'odometry', { ...o, twist: { ...o.twist, twist: { ...o.twist.twist, angular: { x: 0, y: Infinity, z: 0 } } } }],
      ['LIO.BAD_QUATERNION', 'odometry', pose({ orientation: { x: 0, y: 0, z: 0.5, w: 1 } })],
      ['LIO.BAD_QUATERNION', 'odometry', pose({ orientation: { x: 0, y: 0, z: 0, w: 0 } })],
      ['LIO.BAD_MESSAGE', 'odometry', { ...o, pose: undefined }],
      ['LIO.BAD_MESSAGE', 'odometry', 'not a message'],
      ['LIO.FRAME_MISMATCH', 'odometry', { ...o, header: { ...o.header, frame_id: 'velodyne' } }],
      ['LIO.BAD_CLOUD', 'cloud', { ...c, point_step: 8 }],
      ['LIO.BAD_CLOUD', 'cloud', { ...c, data: c.data.subarray(0, 100) }],
      ['LIO.BAD_CLOUD', 'cloud', { ...c, fields: c.fields.filter((f) => f.name !== 'z') }],
      ['LIO.BAD_CLOUD', 'cloud', { ...c, fields: c.fields.map((f) => (f.name === 'y' ? { ...f, datatype: 2 } : f)) }],
      ['LIO.BAD_CLOUD', 'cloud', { ...c, row_step: 3 }],
      ['LIO.BAD_MESSAGE', 'cloud', { ...c, data: [1, 2, 3] }],
      ['LIO.FRAME_MISMATCH', 'cloud', { ...c, header: { ...c.header, frame_id: 'os_sensor' } }],
    ];
    const dirty = await run({}, 2000, {}, (source, clock) => {
      bad.forEach(([, kind, msg], i) => clock.setTimeout(() => source.inject(kind as 'odometry', msg), 1005 + i));
    });
    expect(dirty.rejected.map((r) => r.code)).toEqual(bad.map(([code]) => code));
    for (const r of dirty.rejected) expect(r.message.length).toBeGreaterThan(10);
    expect(dirty.rejected[0]!.message).toContain('pose.pose.position.x');
    expect(JSON.stringify(dirty.events, (_k, v) => (v instanceof Float32Array ? [...v] : v))).toBe(JSON.stringify(clean.events, (_k, v) => (v instanceof Float32Array ? [...v] : v)));
    expect(dirty.port.stats().odometry).toBe(clean.port.stats().odometry);
  });

  it('a quaternion off by float rounding (norm 1.0005) is normalised and accepted; relocalize before any pose is refused', async () => {
    const clock = new VirtualClock();
    const source = new LioReplaySource(clock, { path: WEAVE });
    const port = createLioSlamPort({ source, clock });
    const events: SlamEvent[] = [];
    port.subscribe((e) => events.push(e));
    await port.start();
    const r = await port.relocalize({ position_m: [1, 2, 3] });
    expect(!r.ok && r.error.code).toBe('SLAM.RELOCALIZE_FAILED');
    const o = lioMessages({ path: WEAVE }, 0).odometry;
    const q = o.pose.pose.orientation;
    const k = 1.0005;
    source.inject('odometry', { ...o, pose: { ...o.pose, pose: { ...o.pose.pose, orientation: { x: q.x * k, y: q.y * k, z: q.z * k, w: q.w * k } } } });
    expect(poses(events)).toHaveLength(1);
    expect(Math.hypot(...poses(events)[0]!.orientation)).toBeCloseTo(1, 12);
    await port.dispose();
    expect(source.closed).toBe(true);
  });
});

describe('PointCloud2 layouts', () => {
  it('reads float64 big-endian fields from an organised cloud with row padding; skips non-finite points', () => {
    const width = 3, height = 2, point_step = 32, row_step = width * point_step + 8;
    const data = new Uint8Array(row_step * height);
    const dv = new DataView(data.buffer);
    let n = 0;
    for (let r = 0; r < height; r++)
      for (let c = 0; c < width; c++) {
        const at = r * row_step + c * point_step;
        dv.setFloat64(at + 8, n, false);
        dv.setFloat64(at + 16, n + 0.5, false);
        dv.setFloat64(at + 24, r === 1 && c === 1 ? NaN : -n, false);
        n++;
      }
    const r = parseCloud({
      header: { stamp: { secs: 5, nsecs: 500_000_000 }, frame_id: 'camera_init' },
      height, width, point_step, row_step, is_bigendian: true, is_dense: false, data,
      fields: [{ name: 'x', offset: 8, datatype: 8, count: 1 }, { name: 'y', offset: 16, datatype: 8, count: 1 }, { name: 'z', offset: 24, datatype: 8, count: 1 }],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.stamp_ms).toBe(5500);
    expect([...r.value.xyz]).toEqual([0, 0.5, -0, 1, 1.5, -1, 2, 2.5, -2, 3, 3.5, -3, 5, 5.5, -5]);
  });
});
