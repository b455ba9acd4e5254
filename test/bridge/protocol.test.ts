/**
 * The pure parts of the bridge: op parsing, ROS message mapping, frame encoding, command parsing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode as pngDecode } from 'fast-png';
import { decode as cbor2Decode } from 'cbor2';
import { encode as cborEncode } from 'cbor-x';
import { parseClientMessage, parseClientValue, sameRosType, statusPasses } from '../../bridge/protocol.js';
import { batteryState, headingToQuaternion, navSatFix, poseStamped, quaternionToHeading, rosTime } from '../../bridge/ros-messages.js';
import { fragment, OutgoingMessage, pngBase64 } from '../../bridge/encoding.js';
import { commandFromMessage, commandFromService } from '../../bridge/commands.js';
import type { VehicleTelemetry } from '../../hardware/vehicle.port.js';

const parse = (v: unknown, max = 1 << 20) => parseClientMessage(typeof v === 'string' ? v : JSON.stringify(v), false, max);

describe('parseClientMessage', () => {
  it('accepts the ops roslib sends, stripping fields we do not use', () => {
    const r = parse({ op: 'subscribe', id: 'subscribe:/drone1/pose:1', type: 'geometry_msgs/PoseStamped', topic: '/drone1/pose', compression: 'none', throttle_rate: 0, queue_length: 0 });
    expect(r).toEqual({ ok: true, op: { op: 'subscribe', id: 'subscribe:/drone1/pose:1', type: 'geometry_msgs/PoseStamped', topic: '/drone1/pose', compression: 'none', throttle_rate: 0, queue_length: 0 } });
    expect(parse({ op: 'advertise', id: 7, topic: '/d/cmd', type: 'std_msgs/String', latch: false, queue_size: 100 })).toEqual({
      ok: true,
      op: { op: 'advertise', id: '7', topic: '/d/cmd', type: 'std_msgs/String' },
    });
    expect(parse({ op: 'call_service', id: 'x', service: 'rosapi/topics', args: {} }).ok).toBe(true);
    expect(parse({ op: 'call_service', service: '/a', args: [{ a: 1 }] }).ok).toBe(true);
    expect(parse({ op: 'auth', mac: 'jwt', client: '1.2.3.4', dest: 'x', rand: 'r', t: 1, level: 'user', end: 2 }).ok).toBe(true);
  });

  it('names what is wrong, with a dotted code and the op id', () => {
    expect(parse('{"op":')).toMatchObject({ ok: false, code: 'BRIDGE.BAD_JSON' });
    expect(parse([1, 2])).toMatchObject({ ok: false, code: 'BRIDGE.NOT_AN_OP' });
    expect(parse({ id: 'a' })).toMatchObject({ ok: false, code: 'BRIDGE.NOT_AN_OP', id: 'a' });
    expect(parse({ op: 'teleport', id: 'q' })).toMatchObject({ ok: false, code: 'BRIDGE.UNKNOWN_OP', id: 'q', message: 'unknown op "teleport"' });
    expect(parse({ op: 'advertise_service', service: '/x', type: 't' })).toMatchObject({ ok: false, code: 'BRIDGE.UNSUPPORTED_OP' });
    const bad = parse({ op: 'subscribe', id: 3, topic: 42 });
    expect(bad).toMatchObject({ ok: false, code: 'BRIDGE.INVALID_FIELDS', id: '3' });
    expect((bad as { message: string }).message).toMatch(/^subscribe: topic: /);
    expect(parse({ op: 'subscribe', topic: '/a', compression: 'zip' })).toMatchObject({ code: 'BRIDGE.INVALID_FIELDS' });
    expect(parse({ op: 'auth' })).toMatchObject({ code: 'BRIDGE.INVALID_FIELDS' });
    expect(parse({ op: 'set_level', level: 'loud' })).toMatchObject({ code: 'BRIDGE.INVALID_FIELDS' });
  });

  it('checks the size before decoding anything', () => {
    const big = JSON.stringify({ op: 'publish', topic: '/d/cmd', msg: { data: 'x'.repeat(2000) } });
    expect(parseClientMessage(big, false, 1000)).toMatchObject({ ok: false, code: 'BRIDGE.TOO_LARGE' });
  });

  it('reads CBOR binary frames', () => {
    const r = parseClientMessage(cborEncode({ op: 'unsubscribe', topic: '/a' }), true, 1000);
    expect(r).toEqual({ ok: true, op: { op: 'unsubscribe', topic: '/a' } });
    expect(parseClientMessage(Buffer.from([0xff, 0x00, 0x12]), true, 1000)).toMatchObject({ ok: false });
  });

  it('never throws, whatever the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.oneof(fc.constantFrom('subscribe', 'publish', 'call_service', 'auth', 'fragment', 'set_level', 'advertise'), fc.string()), (v, op) => {
        const withOp = v && typeof v === 'object' && !Array.isArray(v) ? { ...v, op } : v;
        const r = parseClientValue(withOp);
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) expect(r.code).toMatch(/^BRIDGE\./);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on random binary (CBOR) or text frames', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, binary) => {
        const r = parseClientMessage(bytes, binary, 1 << 20);
        if (!r.ok) expect(r.code).toMatch(/^BRIDGE\./);
      }),
      { numRuns: 3000 },
    );
    // A CBOR header that declares a 2^32-element array in five bytes.
    expect(parseClientMessage(Uint8Array.from([0x9a, 0xff, 0xff, 0xff, 0xff]), true, 1000)).toMatchObject({ ok: false, code: 'BRIDGE.BAD_CBOR' });
  });

  it('status levels and type spellings', () => {
    expect(statusPasses('error', 'error')).toBe(true);
    expect(statusPasses('warning', 'error')).toBe(false);
    expect(statusPasses('info', 'info')).toBe(true);
    expect(statusPasses('error', 'none')).toBe(false);
    expect(sameRosType('geometry_msgs/msg/PoseStamped', 'geometry_msgs/PoseStamped')).toBe(true);
    expect(sameRosType('std_msgs/String', 'geometry_msgs/PoseStamped')).toBe(false);
  });
});

describe('ROS message mapping', () => {
  it('stamps sim time as {sec, nanosec}', () => {
    expect(rosTime(0)).toEqual({ sec: 0, nanosec: 0 });
    expect(rosTime(12_345.5)).toEqual({ sec: 12, nanosec: 345_500_000 });
  });

  it('headings become ENU quaternions (REP 103): north = +90° yaw, east = 0°', () => {
    const north = headingToQuaternion(0);
    expect(2 * Math.atan2(north.z, north.w)).toBeCloseTo(Math.PI / 2);
    const east = headingToQuaternion(90);
    expect(east.z).toBeCloseTo(0);
    expect(east.w).toBeCloseTo(1);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 359.999, noNaN: true }), (h) => {
        const q = headingToQuaternion(h);
        expect(Math.hypot(q.x, q.y, q.z, q.w)).toBeCloseTo(1, 12);
        const back = quaternionToHeading(q);
        expect(Math.min(Math.abs(back - h), 360 - Math.abs(back - h))).toBeLessThan(1e-9);
      }),
    );
  });

  it('pose: x east, y north, z up, frame map', () => {
    const m = poseStamped({
      vehicle: 'd',
      t_ms: 1500,
      local: { north_m: 10, east_m: -3, down_m: -20 },
      position: { lat_deg: 47, lon_deg: 8, alt_m: 508 },
      alt_rel_m: 20,
      heading_deg: 90,
      velocity_ned_mps: { north_m: 0, east_m: 0, down_m: 0 },
    });
    expect(m.header).toEqual({ stamp: { sec: 1, nanosec: 500_000_000 }, frame_id: 'map' });
    expect(m.pose.position).toEqual({ x: -3, y: 10, z: 20 });
  });

  it('battery: percentage 0..1 and discharge current negative; NavSatFix fix status', () => {
    const b = batteryState({ vehicle: 'd', t_ms: 0, voltage_v: 15.8, current_a: 12, remaining_pct: 87, consumed_mah: 100 });
    expect(b).toMatchObject({ voltage: 15.8, current: -12, percentage: 0.87, present: true });
    const t = {
      vehicle: 'd',
      t_ms: 0,
      position: { lat_deg: 47.1, lon_deg: 8.2, alt_m: 500 },
      gps: { fix: 'none', satellites: 0, hdop: 99 },
    } as unknown as VehicleTelemetry;
    expect(navSatFix(t)).toMatchObject({ latitude: 47.1, longitude: 8.2, altitude: 500, status: { status: -1, service: 1 } });
    expect(navSatFix({ ...t, gps: { fix: '3d', satellites: 12, hdop: 0.8 } }).status.status).toBe(0);
  });
});

describe('frame encoding', () => {
  const op = { op: 'publish' as const, topic: '/t', msg: { data: 'héllo wörld '.repeat(40) } };

  it('encodes once per compression and shares the buffer', () => {
    const m = new OutgoingMessage(op);
    expect(m.frames('none')).toBe(m.frames('none'));
    expect(m.frames('none')[0]!.data).toBe(m.frames('none')[0]!.data);
    expect(JSON.parse(m.frames('none')[0]!.data.toString())).toEqual(op);
    const cbor = m.frames('cbor')[0]!;
    expect(cbor.binary).toBe(true);
    // roslib decodes CBOR with cbor2.
    expect(cbor2Decode(cbor.data)).toEqual(op);
  });

  it('fragments rejoin to the original JSON', () => {
    const text = JSON.stringify(op);
    const parts = fragment(text, 50, 'id1').map((s) => JSON.parse(s) as { op: string; id: string; data: string; num: number; total: number });
    expect(parts.every((p) => p.op === 'fragment' && p.id === 'id1' && p.total === parts.length)).toBe(true);
    expect(parts.map((p) => p.data).join('')).toBe(text);
    const frames = new OutgoingMessage(op).frames('none', 100);
    expect(frames.length).toBe(Math.ceil(text.length / 100));
  });

  it('png: the JSON as greyscale pixels that fast-png (roslib) decodes back', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify({ op: 'publish', topic: '/x', msg: { v } });
        const img = pngDecode(Buffer.from(pngBase64(text), 'base64'));
        expect(JSON.parse(new TextDecoder().decode(img.data as Uint8Array))).toEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });
});

describe('commands', () => {
  it('service args in MAVROS and our own spellings', () => {
    expect(commandFromService('arm', {})).toEqual({ ok: true, value: { kind: 'arm' } });
    expect(commandFromService('arm', { value: false })).toEqual({ ok: true, value: { kind: 'disarm' } });
    expect(commandFromService('arm', { data: false })).toEqual({ ok: true, value: { kind: 'disarm' } });
    expect(commandFromService('takeoff', { altitude: 30 })).toEqual({ ok: true, value: { kind: 'takeoff', alt_m: 30 } });
    expect(commandFromService('takeoff', { alt_m: -5 })).toMatchObject({ ok: false, error: { code: 'BRIDGE.SERVICE_ARGS' } });
    expect(commandFromService('arm', { value: 'yes' })).toMatchObject({ ok: false });
  });

  it('/<vehicle>/cmd messages: a name or JSON', () => {
    expect(commandFromMessage({ data: 'land' })).toEqual({ ok: true, value: { kind: 'land' } });
    expect(commandFromMessage({ data: '{"kind":"goto","lat_deg":47,"lon_deg":8,"alt_m":30}' })).toEqual({
      ok: true,
      value: { kind: 'goto', lat_deg: 47, lon_deg: 8, alt_m: 30 },
    });
    expect(commandFromMessage({ data: 'selfdestruct' })).toMatchObject({ ok: false, error: { code: 'BRIDGE.BAD_COMMAND' } });
    expect(commandFromMessage({ data: '{nope' })).toMatchObject({ ok: false });
    expect(commandFromMessage({ text: 'land' })).toMatchObject({ ok: false });
  });
});

describe('CommandWaiter', () => {
  it('pairs results with waiters of the same cid in arrival order, and times out', async () => {
    const { EventLog } = await import('../../actors/event-log.js');
    const { CommandWaiter } = await import('../../bridge/internal/command-waiter.js');
    const log = new EventLog();
    const w = new CommandWaiter(log);
    const a = w.wait('call_service:/d/arm:1', 1000);
    const b = w.wait('call_service:/d/arm:1', 1000);
    const lost = w.wait('never', 20);
    log.append(0, 'vehicle:d', 'command.result', { kind: 'arm', ok: false, code: 'VEHICLE.COMMAND_DENIED', message: 'no' }, 'call_service:/d/arm:1');
    log.append(1, 'vehicle:d', 'command.result', { kind: 'arm', ok: true }, 'call_service:/d/arm:1');
    expect(await a).toEqual({ ok: false, code: 'VEHICLE.COMMAND_DENIED', message: 'no' });
    expect(await b).toEqual({ ok: true });
    expect(await lost).toBeUndefined();
    expect(w.size).toBe(0);
  });
});
