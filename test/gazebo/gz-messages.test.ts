/**
 * The message set from protos/gz: field numbers as upstream (checked on bytes), strict shape on
 * encode, and decoding of arbitrary bytes for every type as a result value (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GZ_PROTO_FILES, gzMessages, gzTypeName } from '../../hardware/sim/gazebo/gz-messages.js';

const msgs = gzMessages();
const TYPES = ['Boolean', 'Clock', 'Discovery', 'Double', 'Empty', 'Header', 'Image', 'Int32', 'LaserScan', 'PointCloudPacked', 'Pose', 'Pose_V', 'Quaternion', 'StringMsg', 'Time', 'Vector3d'];

describe('Gazebo message definitions', () => {
  it('loads every type under ignition.msgs and answers gz.msgs names too', () => {
    expect(GZ_PROTO_FILES.length).toBeGreaterThan(10);
    for (const t of TYPES) {
      expect(msgs.type(gzTypeName(t))?.fullName).toBe(`.ignition.msgs.${t}`);
      expect(msgs.type(`gz.msgs.${t}`)?.fullName).toBe(`.ignition.msgs.${t}`);
    }
    expect(msgs.type('ignition.msgs.NoSuch')).toBeUndefined();
  });

  it('writes the upstream field numbers (Pose: name 2, id 3, position 4, orientation 5; Clock: sim 4)', () => {
    const pose = msgs.encode('Pose', { name: 'a', id: 7, position: { x: 1 }, orientation: { w: 1 } });
    if (!pose.ok) throw new Error(pose.error.message);
    // 0x12 = field 2 LEN, 0x18 = field 3 varint, 0x22 = field 4 LEN (Vector3d x = field 2 double: 0x11), 0x2a = field 5 LEN (w = field 5 double: 0x29).
    expect(Buffer.from(pose.value).toString('hex')).toBe('1201611807' + '2209' + '11000000000000f03f' + '2a09' + '29000000000000f03f');
    const clock = msgs.encode('Clock', { sim: { sec: 1, nsec: 2 } });
    if (!clock.ok) throw new Error(clock.error.message);
    expect(Buffer.from(clock.value).toString('hex')).toBe('2204' + '0801' + '1002');
  });

  it('refuses values of the wrong shape instead of coercing them', () => {
    const code = (t: string, v: Record<string, unknown>) => {
      const r = msgs.encode(t, v);
      return r.ok ? 'ok' : r.error.code;
    };
    expect(code('Pose', { position: { x: 'abc' } })).toBe('GZ.ENCODE_FAILED');
    expect(code('Pose', { id: 1.5 })).toBe('GZ.ENCODE_FAILED');
    expect(code('Pose', { nme: 'typo' })).toBe('GZ.ENCODE_FAILED');
    expect(code('Pose_V', { pose: {} })).toBe('GZ.ENCODE_FAILED');
    expect(code('Image', { pixel_format_type: 'NOT_A_FORMAT' })).toBe('GZ.ENCODE_FAILED');
    expect(code('Image', { pixel_format_type: 'RGB_INT8', data: new Uint8Array(3) })).toBe('ok');
    expect(code('Time', { sec: '12345678901234' })).toBe('ok');
    expect(code('NoSuch', {})).toBe('GZ.UNKNOWN_TYPE');
  });

  it('decodes arbitrary bytes of every type to a result, never an exception (fast-check)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.uint8Array({ maxLength: 200 }), fc.boolean(), (t, bytes, asBuffer) => {
        const r = msgs.decode(t, asBuffer ? Buffer.from(bytes) : bytes);
        if (!r.ok) expect(r.error.code).toBe('GZ.DECODE_FAILED');
      }),
      { numRuns: 5000 },
    );
  });

  it('round-trips what it encodes (fast-check on Pose)', () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.nat(), finite, finite, finite, (name, id, x, y, z) => {
        const enc = msgs.encode('Pose', { name, id, position: { x, y, z } });
        if (!enc.ok) throw new Error(enc.error.message);
        const dec = msgs.decode('Pose', Buffer.from(enc.value));
        expect(dec.ok && dec.value).toMatchObject({ name, id, position: { x: x === 0 ? 0 : x, y: y === 0 ? 0 : y, z: z === 0 ? 0 : z } });
      }),
      { numRuns: 500 },
    );
  });
});
