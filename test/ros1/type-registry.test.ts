/**
 * md5sums and definitions: ours against the ROS tools' own (`rosmsg md5`, `rossrv md5`), and
 * serialization round trips.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { MessageWriter } from '@foxglove/rosmsg-serialization';
import type { MessageDefinition } from '@foxglove/message-definition';
import { ros1 } from '@foxglove/rosmsg-msgs-common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TypeRegistry } from '../../hardware/real/ros/ros1/internal/type-registry.js';
import { rosToolsAvailable } from './ros1-harness.js';

const MESSAGES = [
  'std_msgs/String',
  'std_msgs/Header',
  'geometry_msgs/PoseStamped',
  'nav_msgs/Odometry',
  'sensor_msgs/NavSatFix',
  'sensor_msgs/BatteryState',
  'sensor_msgs/Image',
  'sensor_msgs/PointCloud2',
  'tf2_msgs/TFMessage',
  // byte/char fields: hashed under their declared names, not the int8/uint8 they parse to
  'rosgraph_msgs/Log',
  'std_msgs/Byte',
  'std_msgs/Char',
  'std_msgs/ByteMultiArray',
];
const SERVICES = ['std_srvs/Trigger', 'std_srvs/Empty', 'std_srvs/SetBool'];
const tools = rosToolsAvailable();

function referenceWriter(type: string): MessageWriter {
  const seen = new Map<string, MessageDefinition>();
  const visit = (t: string) => {
    const d = (ros1 as Record<string, MessageDefinition>)[t]!;
    if (seen.has(t)) return;
    seen.set(t, { ...d, name: t });
    for (const f of d.definitions) if (f.isComplex === true) visit(f.type);
  };
  visit(type);
  const [root, ...rest] = [...seen.values()];
  return new MessageWriter([{ definitions: root!.definitions }, ...rest]);
}

describe('ROS 1 type registry', () => {
  const reg = new TypeRegistry();

  it.skipIf(!tools.ok)(`md5sums match rosmsg/rossrv md5 ${tools.ok ? '' : `(skipped: ${tools.reason})`}`, () => {
    for (const t of MESSAGES) {
      const theirs = execFileSync('rosmsg', ['md5', t], { encoding: 'utf8' }).trim();
      expect(reg.md5sum(t), t).toBe(theirs);
    }
    for (const t of SERVICES) {
      const theirs = execFileSync('rossrv', ['md5', t], { encoding: 'utf8' }).trim();
      expect(reg.md5sum(t), t).toBe(theirs);
    }
  });

  it('pinned md5sums (independent of the ROS tools)', () => {
    expect(reg.md5sum('geometry_msgs/PoseStamped')).toBe('d3812c3cbc69362b77dc0b19b345f8f5');
    expect(reg.md5sum('sensor_msgs/PointCloud2')).toBe('1158d486dd51d683ce2f1be655c3c181');
    expect(reg.md5sum('std_srvs/Trigger')).toBe('937c9679a518e3a18d831e57125ea522');
    // from genmsg.gentools.compute_md5 over Debian's ros-diagnostic-msgs 1.13.1 .msg files
    expect(reg.md5sum('diagnostic_msgs/DiagnosticStatus')).toBe('d0ce08bc6e5ba34c7754f563a9cabaf1');
    expect(reg.md5sum('diagnostic_msgs/DiagnosticArray')).toBe('60810da900de1dd6ddd437c3503511da');
    expect(reg.md5sum('rosgraph_msgs/Log')).toBe('acffd30cd6b6de30f120938c17c593fb');
  });

  it('registered byte/char fields and constants hash as declared', () => {
    expect(reg.register('x_msgs/Bytes', 'byte K=3 # a constant\nbyte a\nchar[4] b\nint8 c\n').ok).toBe(true);
    expect(reg.md5sum('x_msgs/Bytes')).toBe(createHash('md5').update('byte K=3\nbyte a\nchar[4] b\nint8 c').digest('hex'));
  });

  it('registers a custom service using unqualified and Header types', () => {
    const r1 = reg.register('overwatch_msgs/Waypoint', 'float64 lat\nfloat64 lon\nfloat32 alt_m\n');
    expect(r1.ok).toBe(true);
    const r2 = reg.register(
      'overwatch_msgs/LoadMission',
      'Header header\nWaypoint[] waypoints\nstring name\n---\nbool success\nstring message\nuint8 OK=0\n',
    );
    expect(r2.ok).toBe(true);
    const srv = reg.service('overwatch_msgs/LoadMission');
    expect(srv.ok).toBe(true);
    if (!srv.ok) return;
    const req = {
      header: { seq: 1, stamp: { sec: 2, nsec: 3 }, frame_id: 'map' },
      waypoints: [{ lat: 1.5, lon: 2.5, alt_m: 30 }],
      name: 'survey',
    };
    const framed = srv.value.request.encodeFramed(req);
    expect(framed.readUInt32LE(0)).toBe(framed.length - 4);
    expect(srv.value.request.decode(framed.subarray(4))).toEqual(req);
  });

  it('the byte-array fast path writes exactly what the reference writer writes (PointCloud2, Image)', () => {
    const fullDefs = (type: string) => {
      // the reference: foxglove's MessageWriter over the same definitions as the registry uses
      const r = reg.message(type);
      if (!r.ok) throw new Error(type);
      return r.value;
    };
    const cloud = fullDefs('sensor_msgs/PointCloud2');
    const image = fullDefs('sensor_msgs/Image');
    const refCloud = referenceWriter('sensor_msgs/PointCloud2');
    const refImage = referenceWriter('sensor_msgs/Image');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 10 }), fc.nat(1000), fc.boolean(), (data, frame, w, asArray) => {
        const header = { seq: w, stamp: { sec: w, nsec: 7 }, frame_id: frame };
        const c = {
          header, height: 1, width: w, is_bigendian: false, point_step: 16, row_step: 16 * w, is_dense: true,
          fields: [{ name: 'x', offset: 0, datatype: 7, count: 1 }],
          data: asArray ? Array.from(data) : data,
        };
        expect(cloud.encodeFramed(c).subarray(4)).toEqual(Buffer.from(refCloud.writeMessage(c)));
        const i = { header, height: 2, width: w, encoding: 'mono8', is_bigendian: 0, step: w, data };
        expect(image.encodeFramed(i).subarray(4)).toEqual(Buffer.from(refImage.writeMessage(i)));
        expect(cloud.decode(cloud.encodeFramed(c).subarray(4))).toMatchObject({ width: w, data: new Uint8Array(data) });
      }),
      { numRuns: 200 },
    );
    expect(() => cloud.encodeFramed({ header: {}, data: 'nope' })).toThrow();
  });

  it('refuses definitions with unknown types or malformed text, leaving the registry usable', () => {
    expect(reg.register('x_msgs/Bad', 'NoSuch thing\n').ok).toBe(false);
    const bad = reg.register('x_msgs/Bad2', 'float64[ x\n');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('ROS1.BAD_DEFINITION');
    expect(reg.register('notatype', 'int8 a\n').ok).toBe(false);
    expect(reg.hasMessage('x_msgs/Bad')).toBe(false);
    expect(reg.message('geometry_msgs/PoseStamped').ok).toBe(true);
    const unknown = reg.message('nope_msgs/Nope');
    expect(unknown.ok ? '' : unknown.error.code).toBe('ROS1.UNKNOWN_TYPE');
  });
});
