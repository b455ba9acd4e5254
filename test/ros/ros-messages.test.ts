/**
 * The shared twin ⇄ ROS mapping, tested up to the wire: every message the twin publishes is
 * serialised with the real ROS 1 serializer (@foxglove/rosmsg-serialization) and the real ROS 2
 * CDR serializer (@foxglove/rosmsg2-serialization) against the standard definitions
 * (@foxglove/rosmsg-msgs-common: Noetic, Humble, Jazzy), read back, and compared; md5sums are those
 * Debian's `rosmsg md5` prints.
 */
import { describe, expect, it } from 'vitest';
import { MessageReader as Ros1Reader, MessageWriter as Ros1Writer } from '@foxglove/rosmsg-serialization';
import { MessageReader as CdrReader, MessageWriter as CdrWriter } from '@foxglove/rosmsg2-serialization';
import { decode as decodePng } from 'fast-png';
import {
  batteryState,
  clockMessage,
  compressedImage,
  missionStatusString,
  navSatFix,
  odometry,
  pointCloud2,
  poseStamped,
  rawImage,
  tfMessage,
  TWIN_ROS_TYPES,
  ros2TypeName,
} from '../../hardware/real/ros/messages/twin-to-ros.mapper.js';
import { messageDefinitions, ros1DefinitionText, ros1Md5, serviceDefinitions, srvText } from '../../hardware/real/ros/messages/ros-definitions.js';
import { headerOf, quaternionToHeading, rosTimeOf, timeToMs } from '../../hardware/real/ros/messages/ros-dialect.js';
import { cloudToXyzi, compressedToStored, rawToStored, withRos1Stamp } from '../../hardware/real/ros/messages/ros-to-twin.mapper.js';
import type { VehicleTelemetry } from '../../hardware/vehicle.port.js';

const pose = {
  vehicle: 'drone1',
  t_ms: 12_345.5,
  local: { north_m: 10, east_m: -3, down_m: -20 },
  position: { lat_deg: 47.1, lon_deg: 8.2, alt_m: 520 },
  alt_rel_m: 20,
  heading_deg: 90,
  velocity_ned_mps: { north_m: 0, east_m: 5, down_m: -1 },
};
const battery = { vehicle: 'drone1', t_ms: 2000, voltage_v: 15.8, current_a: 12, remaining_pct: 87, consumed_mah: 100 };
const telemetry = { vehicle: 'drone1', t_ms: 1000, position: { lat_deg: 47.1, lon_deg: 8.2, alt_m: 520 }, gps: { fix: '3d', satellites: 12, hdop: 0.8 } } as unknown as VehicleTelemetry;
const status = { vehicle: 'drone1', mission_id: 'm1', mission_name: 'survey', status: 'RUNNING', progress: { current_waypoint: 2, total_waypoints: 5, percent_complete: 40 } };
const points = new Uint8Array(new Float32Array([1, 2, 3, 0.5, 4, 5, 6, 0.25]).buffer);
const ref = { vehicle: 'drone1', sensor: 'ouster', t_ms: 3000, media_type: 'image/jpeg' };

type Dialect = 'ros1' | 'ros2';
const cases = (d: Dialect): [string, string, unknown][] => [
  ['pose', TWIN_ROS_TYPES.pose, poseStamped(pose, d)],
  ['odometry', TWIN_ROS_TYPES.odometry, odometry(pose, d)],
  ['tf', TWIN_ROS_TYPES.tf, tfMessage(pose, d)],
  ['fix', TWIN_ROS_TYPES.fix, navSatFix(telemetry, d)],
  ['battery', TWIN_ROS_TYPES.battery, batteryState(battery, d)],
  ['mission status', TWIN_ROS_TYPES.missionStatus, missionStatusString(status)],
  ['compressed image', TWIN_ROS_TYPES.compressedImage, compressedImage(ref, new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), d)],
  ['image', TWIN_ROS_TYPES.image, rawImage(ref, { width: 2, height: 1, encoding: 'rgb8', data: new Uint8Array([1, 2, 3, 4, 5, 6]) }, d)],
  ['point cloud', TWIN_ROS_TYPES.points, pointCloud2(ref, points, 2, d)],
  ['clock', TWIN_ROS_TYPES.clock, clockMessage(61_500, d)],
];

/** NaN ≠ NaN, float32 fields and typed arrays vs arrays: compare through a normal form (numbers at float32 precision). */
const norm = (v: unknown): unknown =>
  JSON.parse(
    JSON.stringify(v, (_k, x) =>
      typeof x === 'number' ? (Number.isNaN(x) ? 'NaN' : Math.fround(x)) : ArrayBuffer.isView(x) ? Array.from(x as Uint8Array) : typeof x === 'bigint' ? Number(x) : x,
    ),
  );

describe('twin → ROS 1 (TCPROS serialization, Noetic definitions)', () => {
  it.each(cases('ros1'))('%s (%s) serialises and reads back unchanged', (_name, type, msg) => {
    const defs = messageDefinitions(type, 'ros1');
    expect(defs.ok).toBe(true);
    if (!defs.ok) return;
    const bytes = new Ros1Writer(defs.value).writeMessage(msg);
    const back = new Ros1Reader(defs.value).readMessage(bytes);
    expect(norm(back)).toEqual(norm(msg));
  });

  it('md5sums are the ones Debian rosmsg prints (a TCPROS handshake with rostopic/rospy agrees)', () => {
    const md5 = (t: string) => {
      const r = ros1Md5(t);
      return r.ok ? r.value : r.error.code;
    };
    expect(md5('geometry_msgs/PoseStamped')).toBe('d3812c3cbc69362b77dc0b19b345f8f5');
    expect(md5('sensor_msgs/BatteryState')).toBe('4ddae7f048e32fda22cac764685e3974');
    expect(md5('std_msgs/String')).toBe('992ce8a1687cec8c8bd883ec73ca41d1');
    expect(md5('nav_msgs/Odometry')).toBe('cd5e73d190d741a2f92e81eda573aca7');
    expect(md5('tf2_msgs/TFMessage')).toBe('94810edda583a504dfda3829e70d7eec');
    expect(md5('sensor_msgs/PointCloud2')).toBe('1158d486dd51d683ce2f1be655c3c181');
    expect(md5('sensor_msgs/NavSatFix')).toBe('2d3a8cd499b9b4a0249fb98fd05cfa48');
    expect(md5('no_such/Type')).toBe('ROS.UNKNOWN_TYPE');
    const text = ros1DefinitionText('geometry_msgs/PoseStamped');
    expect(text.ok && text.value).toContain('MSG: std_msgs/Header');
  });

  it('ROS 1 headers carry seq and {sec, nsec}; ROS 2 {sec, nanosec} and no seq', () => {
    expect(headerOf(1500.25, 'map', 'ros1')).toEqual({ seq: 0, stamp: { sec: 1, nsec: 500_250_000 }, frame_id: 'map' });
    expect(headerOf(1500.25, 'map', 'ros2')).toEqual({ stamp: { sec: 1, nanosec: 500_250_000 }, frame_id: 'map' });
    expect(rosTimeOf(999.9999999, 'ros1')).toEqual({ sec: 1, nsec: 0 });
    expect(timeToMs({ sec: 2, nanosec: 5e8 })).toBe(2500);
    expect(timeToMs({ sec: 'x' })).toBeUndefined();
  });

  it('the service texts: std_srvs/Trigger and overwatch_msgs/LoadMission', () => {
    expect(srvText('std_srvs/Trigger')).toEqual({ ok: true, value: '---\nbool success\nstring message\n' });
    const req = serviceDefinitions('overwatch_msgs/LoadMission', 'request', 'ros1');
    expect(req.ok && req.value[0]!.definitions.map((f) => f.name)).toEqual(['mission_json', 'plan_path']);
    expect(srvText('nope/Nope').ok).toBe(false);
  });
});

describe.each(['humble', 'jazzy'] as const)('twin → ROS 2 %s (CDR)', (distro) => {
  it.each(cases('ros2'))('%s (%s) serialises to CDR and reads back unchanged', (_name, type, msg) => {
    const defs = messageDefinitions(ros2TypeName(type), 'ros2', distro);
    expect(defs.ok).toBe(true);
    if (!defs.ok) return;
    const bytes = new CdrWriter(defs.value).writeMessage(msg);
    // CDR encapsulation header: little-endian plain CDR.
    expect([...bytes.subarray(0, 2)]).toEqual([0, 1]);
    const back = new CdrReader(defs.value).readMessage(bytes);
    expect(norm(back)).toEqual(norm(msg));
  });
});

describe('frames (REP 103/105)', () => {
  it('pose and TF: ENU position, heading east is yaw 0, map → <vehicle>/base_link', () => {
    const p = poseStamped(pose, 'ros1');
    expect(p.pose.position).toEqual({ x: -3, y: 10, z: 20 });
    expect(p.pose.orientation.w).toBeCloseTo(1);
    const tf = tfMessage(pose, 'ros2').transforms[0]!;
    expect(tf.header.frame_id).toBe('map');
    expect(tf.child_frame_id).toBe('drone1/base_link');
    expect(quaternionToHeading(tf.transform.rotation)).toBeCloseTo(90);
  });

  it('odometry twist is in the body frame: flying east while heading east is +x forward, climbing +z', () => {
    const o = odometry(pose, 'ros1');
    expect(o.child_frame_id).toBe('drone1/base_link');
    expect(o.twist.twist.linear.x).toBeCloseTo(5);
    expect(o.twist.twist.linear.y).toBeCloseTo(0);
    expect(o.twist.twist.linear.z).toBeCloseTo(1);
    // heading north, moving east: the body moves to its right, i.e. -y (y is left)
    expect(odometry({ ...pose, heading_deg: 0 }, 'ros1').twist.twist.linear.y).toBeCloseTo(-5);
    expect(o.pose.covariance[0]).toBe(-1);
  });

  it('battery: unknowns are NaN on the wire, discharge current negative, percentage 0..1', () => {
    const b = batteryState(battery, 'ros1');
    expect(b.current).toBe(-12);
    expect(b.percentage).toBeCloseTo(0.87);
    expect(Number.isNaN(b.temperature)).toBe(true);
  });
});

describe('ROS → twin', () => {
  /** A driver-style cloud: x, y, z float64 big-endian, intensity uint16, padding, two rows. */
  function driverCloud() {
    const step = 32;
    const width = 2;
    const height = 2;
    const data = new Uint8Array(step * width * height + 8);
    const dv = new DataView(data.buffer);
    const pts = [
      [1, 2, 3, 100],
      [0, 0, 0, 0], // no return
      [NaN, 1, 1, 7], // no return
      [-4, 5.5, 6, 65535],
    ];
    pts.forEach(([x, y, z, i], k) => {
      dv.setFloat64(k * step, x!, false);
      dv.setFloat64(k * step + 8, y!, false);
      dv.setFloat64(k * step + 16, z!, false);
      dv.setUint16(k * step + 24, i!, false);
    });
    return {
      header: { seq: 1, stamp: { sec: 10, nsec: 250_000_000 }, frame_id: 'os_sensor' },
      height,
      width,
      fields: [
        { name: 'x', offset: 0, datatype: 8, count: 1 },
        { name: 'y', offset: 8, datatype: 8, count: 1 },
        { name: 'z', offset: 16, datatype: 8, count: 1 },
        { name: 'intensity', offset: 24, datatype: 4, count: 1 },
      ],
      is_bigendian: true,
      point_step: step,
      row_step: step * width,
      data,
      is_dense: false,
    };
  }

  it('a PointCloud2 of any layout, after the ROS 1 wire, becomes packed x,y,z,intensity float32 without the no-return points', () => {
    const defs = messageDefinitions('sensor_msgs/PointCloud2', 'ros1');
    if (!defs.ok) throw new Error(defs.error.message);
    const wire = new Ros1Writer(defs.value).writeMessage(driverCloud());
    const decoded = new Ros1Reader(defs.value).readMessage(wire);
    const r = cloudToXyzi(decoded);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ t_ms: 10_250, frame_id: 'os_sensor', count: 2, dropped: 2 });
    expect(Array.from(new Float32Array(r.value.data.slice().buffer))).toEqual([1, 2, 3, 100, -4, 5.5, 6, 65535]);
  });

  it('a PointCloud2 whose sizes contradict each other is refused, never read out of bounds', () => {
    const c = driverCloud();
    expect(cloudToXyzi({ ...c, row_step: 1000 })).toMatchObject({ ok: false, error: { code: 'ROS.BAD_MESSAGE' } });
    expect(cloudToXyzi({ ...c, point_step: 20 })).toMatchObject({ ok: false, error: { code: 'ROS.BAD_MESSAGE' } });
    expect(cloudToXyzi({ ...c, fields: c.fields.slice(1) })).toMatchObject({ ok: false, error: { message: expect.stringContaining('x, y, z') } });
    expect(cloudToXyzi({ ...c, data: [1, 2, 3] })).toMatchObject({ ok: false });
    expect(cloudToXyzi(null)).toMatchObject({ ok: false });
  });

  it('a bgr8 Image becomes a lossless RGB PNG; a CompressedImage keeps its bytes', () => {
    const img = { header: { stamp: { sec: 1, nanosec: 0 }, frame_id: 'cam' }, height: 1, width: 2, encoding: 'bgr8', is_bigendian: 0, step: 8, data: new Uint8Array([10, 20, 30, 40, 50, 60, 0, 0]) };
    const r = rawToStored(img);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.media_type).toBe('image/png');
    const png = decodePng(r.value.bytes);
    expect(Array.from(png.data)).toEqual([30, 20, 10, 60, 50, 40]);
    expect(rawToStored({ ...img, encoding: 'yuv422' })).toMatchObject({ ok: false, error: { code: 'ROS.BAD_MESSAGE' } });
    expect(rawToStored({ ...img, step: 100 })).toMatchObject({ ok: false });
    const c = compressedToStored({ header: { stamp: { secs: 2, nsecs: 0 }, frame_id: 'cam' }, format: 'rgb8; jpeg compressed bgr8', data: new Uint8Array([0xff, 0xd8]) });
    expect(c).toMatchObject({ ok: true, value: { t_ms: 2000, media_type: 'image/jpeg' } });
  });

  it('ROS 2 stamps are given to the LIO adapter in ROS 1 spelling', () => {
    const m = withRos1Stamp({ header: { stamp: { sec: 3, nanosec: 7 }, frame_id: 'camera_init' }, x: 1 });
    expect(m.header.stamp).toEqual({ sec: 3, nsec: 7 });
    const r1 = { header: { stamp: { sec: 3, nsec: 7 }, frame_id: 'f' } };
    expect(withRos1Stamp(r1)).toBe(r1);
  });
});
