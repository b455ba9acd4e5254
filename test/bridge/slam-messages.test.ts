/**
 * The SLAM message builders on hand-computed cases: an estimator frame anchored at NED (10, 20, -5)
 * with heading 30°, the body 4 m forward of it — where the map → odom transform, the pose and the
 * map cloud must land (ENU, REP 105), and the map decimation.
 */
import { describe, expect, it } from 'vitest';
import type { SlamOdometryMsg } from '../../actors/bus.js';
import { decimateMap, odomInMap, slamMapCloud, slamOdometry, slamPoseStamped, slamTf } from '../../bridge/slam-messages.js';

const deg = Math.PI / 180;
// The body 4 m forward (estimator x) and turned 10° left (yaw +10° about z up) since the anchor.
const yawEst = 10 * deg;
const msg: SlamOdometryMsg = {
  vehicle: 'd1',
  t_ms: 12_345.5,
  local: { north_m: 10 + 4 * Math.cos(30 * deg), east_m: 20 + 4 * Math.sin(30 * deg), down_m: -5 },
  position: { lat_deg: 0, lon_deg: 0, alt_m: 0 },
  alt_rel_m: 5,
  heading_deg: 30 - 10, // compass heading: anchor heading minus the estimate's (counter-clockwise) yaw
  velocity_ned_mps: { north_m: 0, east_m: 0, down_m: 0 },
  map_position_m: [4, 0, 0],
  map_orientation: [Math.cos(yawEst / 2), 0, 0, Math.sin(yawEst / 2)],
  linear_mps: [1, 0, 0],
  angular_radps: [0, 0, 0],
  sigma_m: 0.2,
};

describe('SLAM messages', () => {
  it('map → odom is the anchor: ENU (east 20, north 10, up 5), yaw 60° (heading 30°)', () => {
    const a = odomInMap(msg);
    expect(a.translation[0]).toBeCloseTo(20, 9);
    expect(a.translation[1]).toBeCloseTo(10, 9);
    expect(a.translation[2]).toBeCloseTo(5, 9);
    expect(a.yaw_rad).toBeCloseTo(60 * deg, 12);
    const tf = slamTf(msg).transforms;
    expect(tf[0]).toMatchObject({ header: { frame_id: 'map', stamp: { sec: 12, nanosec: 345_500_000 } }, child_frame_id: 'd1/odom' });
    expect(tf[0]!.transform.rotation.z).toBeCloseTo(Math.sin(30 * deg), 12);
    expect(tf[1]).toMatchObject({ header: { frame_id: 'd1/odom' }, child_frame_id: 'd1/base_link', transform: { translation: { x: 4, y: 0, z: 0 } } });
  });

  it('the pose is the body in map (ENU) with yaw 60° + 10°; odometry stays in the odom frame', () => {
    const p = slamPoseStamped({ ...msg, ok: true, state: 'tracking' });
    expect(p.header.frame_id).toBe('map');
    expect(p.pose.position.x).toBeCloseTo(20 + 2, 9);
    expect(p.pose.position.y).toBeCloseTo(10 + 4 * Math.cos(30 * deg), 9);
    expect(p.pose.position.z).toBeCloseTo(5, 9);
    expect(2 * Math.atan2(p.pose.orientation.z, p.pose.orientation.w)).toBeCloseTo(70 * deg, 12);
    const o = slamOdometry(msg);
    expect(o).toMatchObject({ header: { frame_id: 'd1/odom' }, child_frame_id: 'd1/base_link', pose: { pose: { position: { x: 4, y: 0, z: 0 } } } });
    expect(o.pose.pose.orientation.w).toBeCloseTo(Math.cos(yawEst / 2), 12);
  });

  it('the map is decimated by stride to the budget, whole (no copy) when it fits', () => {
    const pts = new Float32Array(30).map((_, i) => i);
    const all = decimateMap(pts, 10);
    expect(all.count).toBe(10);
    expect(all.data.buffer).toBe(pts.buffer);
    const four = decimateMap(pts, 4);
    expect(four.count).toBe(4);
    expect([...new Float32Array(four.data.buffer)]).toEqual([0, 1, 2, 9, 10, 11, 18, 19, 20, 27, 28, 29]);
    expect(decimateMap(pts, 0).count).toBe(0);
    const cloud = slamMapCloud({ vehicle: 'd1', t_ms: 1000, seq: 1, points: pts }, 3);
    expect(cloud).toMatchObject({ width: 3, height: 1, point_step: 12, row_step: 36, header: { frame_id: 'd1/odom', stamp: { sec: 1, nanosec: 0 } } });
  });
});

describe('SLAM map topic throttle', () => {
  it('about one map per period of map time (10 % slack), the same map never twice, a reset map (time back) at once', async () => {
    const { slamTopics } = await import('../../bridge/slam-topics.js');
    let map: { vehicle: string; t_ms: number; seq: number; points: Float32Array } | undefined;
    const defs = slamTopics({ list: () => [{ vehicle: 'd1', backend: 'x' }], map: () => map }, { mapPeriod_ms: 1000 });
    const def = defs.find((d) => d.name === '/d1/slam/map')!;
    const load = def.load as (ref: unknown) => Promise<unknown>;
    const at = async (t_ms: number, seq: number) => {
      map = { vehicle: 'd1', t_ms, seq, points: new Float32Array(30) };
      return (await load({ vehicle: 'd1', t_ms, points: 10 })) !== undefined;
    };
    expect(await at(1000, 1)).toBe(true);
    expect(await load({})).toBeUndefined(); // the same map again
    expect(await at(1500, 2)).toBe(false);
    expect(await at(1950, 3)).toBe(true); // 950 ms: within the slack of a 1 s port period
    expect(await at(2500, 4)).toBe(false);
    expect(await at(200, 5)).toBe(true); // a reset map: its time went back
    expect(defs.map((d) => d.name)).toEqual(['/d1/slam/pose', '/d1/slam/odometry', '/d1/slam/map', '/tf']);
  });
});
