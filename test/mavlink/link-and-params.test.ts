import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { WallClock } from '../../core/clock.js';
import { openLink, type Link } from '../../hardware/real/mavlink/link.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { decodeParamValue, encodeParamValue, MAV_PARAM_TYPE, ParamProtocol } from '../../hardware/real/mavlink/param-protocol.js';
import { mavCrc } from '../../hardware/real/mavlink/codec.js';
import { HeartbeatPlugin } from '../../hardware/real/mavlink/heartbeat.js';
import { MavSession } from '../../hardware/real/mavlink/session.js';
import { silentLogger } from '../../core/logger.js';
import type { VehicleEvent, VehicleResult, VehicleTelemetry } from '../../hardware/vehicle.port.js';
import { ackCommands, sendReadyTelemetry, startScriptedAutopilot, until } from './scripted-autopilot.js';
import { minimal } from 'node-mavlink';

const code = (r: VehicleResult<unknown> | { ok: true } | { ok: false; error: { code: string } }) => (r.ok ? 'ok' : r.error.code);
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('one link, several systems, hostile bytes', () => {
  it('two vehicles share a link; random bytes are counted, never thrown, and vehicle 2 keeps its telemetry', async () => {
    const ap = await startScriptedAutopilot({ sysid: 1 });
    ackCommands(ap);
    const opened = await openLink(ap.url);
    if (!opened.ok) throw new Error(opened.error.message);
    const link: Link = opened.value;
    const clock = new WallClock();
    const v1 = createMavlinkVehiclePort({ id: 'v1', link, clock, targetSystem: 1, speedFactor: 10 });
    const v2 = createMavlinkVehiclePort({ id: 'v2', link, clock, targetSystem: 2, speedFactor: 10 });
    cleanup.push(() => ap.close(), () => link.close(), () => v1.dispose(), () => v2.dispose());
    // System 2 behind the same address (a router), plus a QGC heartbeat PX4 would forward.
    const beat2 = setInterval(() => {
      const hb = Object.assign(new minimal.Heartbeat(), { type: 2, autopilot: 12, baseMode: 129, customMode: 4 << 16 | 4 << 24, systemStatus: 4, mavlinkVersion: 3 });
      ap.send(hb, { sysid: 2 });
      ap.send(Object.assign(new minimal.Heartbeat(), { type: 6, autopilot: 8, baseMode: 0, customMode: 0, systemStatus: 4, mavlinkVersion: 3 }), { sysid: 255, compid: 190 });
    }, 50);
    cleanup.push(async () => clearInterval(beat2));
    const t2: VehicleTelemetry[] = [];
    const e1: VehicleEvent[] = [];
    v2.subscribeTelemetry((t) => t2.push(t));
    v1.subscribeEvents((e) => e1.push(e));
    const [r1, r2] = await Promise.all([v1.connect(), v2.connect()]);
    expect([code(r1), code(r2)]).toEqual(['ok', 'ok']);
    const pos = (n: number) => Object.assign(new common.GlobalPositionInt(), { lat: 473977420 + n, lon: 85455940, alt: 500_000, relativeAlt: 12_000, vx: 0, vy: 0, vz: 0, hdg: 0 });
    // v2 hears its sensors, so it publishes telemetry at once.
    ap.send(Object.assign(new common.SysStatus(), { voltageBattery: 15000, currentBattery: 100, batteryRemaining: 80 }), { sysid: 2 });
    ap.send(Object.assign(new common.GpsRawInt(), { fixType: 3, satellitesVisible: 10, eph: 90 }), { sysid: 2 });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), async (bytes, withStx) => {
        const buf = Buffer.from(bytes);
        if (withStx) buf[0] = 0xfd; // look like a frame start, to exercise resynchronisation
        ap.sendRaw(buf);
        const before = t2.length;
        ap.send(pos(++n), { sysid: 2 });
        await until(() => t2.length > before, 2000, 'vehicle 2 telemetry');
      }),
      { numRuns: 60 },
    );
    const s = v1.linkStats()!;
    expect(s.garbageBytes + s.badCrc + s.unknownMsg).toBeGreaterThan(0);
    expect(s.listenerErrors).toBe(0);
    expect(t2.at(-1)!.position.lat_deg).toBeCloseTo((473977420 + n) / 1e7, 7);
    expect(t2.at(-1)!.armed).toBe(true);
    expect(t2.at(-1)!.mode).toBe('mission');
    // v1 never saw v2's or QGC's state.
    expect(e1.filter((e) => e.type === 'armed').map((e) => (e as { armed: boolean }).armed)).toEqual([false]);
    expect(v1.targetSystem()).toBe(1);
    expect(v2.snapshot()!.vehicle).toBe('v2');
  });

  it('picks the first autopilot heard, ignoring a forwarded ground-station heartbeat', async () => {
    const ap = await startScriptedAutopilot({ sysid: 7 });
    ap.heartbeats(false);
    const port = createMavlinkVehiclePort({ id: 'd', url: ap.url, clock: new WallClock(), speedFactor: 10 });
    cleanup.push(() => ap.close(), () => port.dispose());
    const connecting = port.connect();
    await until(() => ap.received.length > 0, 2000, 'our heartbeat');
    ap.send(Object.assign(new minimal.Heartbeat(), { type: 6, autopilot: 8, baseMode: 0, customMode: 0, systemStatus: 4, mavlinkVersion: 3 }), { sysid: 255, compid: 190 });
    ap.send(Object.assign(new minimal.Heartbeat(), { type: 2, autopilot: 12, baseMode: 1, customMode: 0, systemStatus: 4, mavlinkVersion: 3 }), { sysid: 9, compid: 100 });
    ap.heartbeats(true);
    expect(code(await connecting)).toBe('ok');
    expect(port.targetSystem()).toBe(7);
    expect(port.capabilities.autopilot).toBe('px4');
  });

  it('connect fails with VEHICLE.NO_LINK on a bad URL or a silent peer', async () => {
    const bad = createMavlinkVehiclePort({ id: 'd', url: 'udpin://0.0.0.0:0', clock: new WallClock() });
    const r = await bad.connect();
    expect(code(r)).toBe('VEHICLE.NO_LINK');
    expect(!r.ok && r.error.message).toContain('port must be 1..65535');
    const ap = await startScriptedAutopilot();
    ap.heartbeats(false);
    const port = createMavlinkVehiclePort({ id: 'd', url: ap.url, clock: new WallClock(), speedFactor: 50 });
    cleanup.push(() => ap.close(), () => port.dispose());
    expect(code(await port.connect())).toBe('VEHICLE.NO_LINK');
  });
});

describe('parameter protocol against a scripted PX4', () => {
  it('reads INT32 bytewise, sets with verification, lists with gaps re-requested', async () => {
    const ap = await startScriptedAutopilot();
    const params = new Map<string, { value: number; type: number }>([
      ['NAV_DLL_ACT', { value: 2, type: MAV_PARAM_TYPE.INT32 }],
      ['MPC_XY_CRUISE', { value: 5, type: MAV_PARAM_TYPE.REAL32 }],
      ['COM_DISARM_LAND', { value: 2, type: MAV_PARAM_TYPE.REAL32 }],
      ['SYS_AUTOSTART', { value: 10016, type: MAV_PARAM_TYPE.INT32 }],
    ]);
    const names = [...params.keys()];
    const value = (name: string, index: number) => {
      const p = params.get(name)!;
      return Object.assign(new common.ParamValue(), { paramId: name, paramValue: encodeParamValue(p.value, p.type, 'px4'), paramType: p.type, paramCount: names.length, paramIndex: index });
    };
    let dropped = false;
    ap.onMessage((m) => {
      if (m instanceof common.ParamRequestRead) {
        const i = m.paramIndex >= 0 ? m.paramIndex : names.indexOf(m.paramId.replace(/\0.*$/s, ''));
        if (i >= 0 && i < names.length) ap.send(value(names[i]!, i));
      } else if (m instanceof common.ParamRequestList) {
        names.forEach((n, i) => {
          if (i === 2 && !dropped) return void (dropped = true); // a gap
          ap.send(value(n, i));
        });
      } else if (m instanceof common.ParamSet) {
        const name = m.paramId.replace(/\0.*$/s, '');
        const p = params.get(name)!;
        const bits = new DataView(new Float32Array([m.paramValue]).buffer);
        const v = p.type === MAV_PARAM_TYPE.INT32 ? bits.getInt32(0, true) : m.paramValue;
        p.value = name === 'MPC_XY_CRUISE' ? Math.min(v, 20) : v; // the vehicle clamps
        ap.send(value(name, names.indexOf(name)));
      }
    });
    const port = createMavlinkVehiclePort({ id: 'd', url: ap.url, clock: new WallClock(), speedFactor: 10 });
    cleanup.push(() => ap.close(), () => port.dispose());
    expect(code(await port.connect())).toBe('ok');
    const r = await port.params.read('SYS_AUTOSTART');
    expect(r.ok && r.value.value).toBe(10016);
    expect(code(await port.params.set('NAV_DLL_ACT', 3))).toBe('ok');
    expect(params.get('NAV_DLL_ACT')!.value).toBe(3);
    const clamped = await port.params.set('MPC_XY_CRUISE', 30);
    expect(code(clamped)).toBe('PARAM.NOT_SET');
    const all = await port.params.list();
    expect(all.ok && [...all.value.keys()].sort()).toEqual([...names].sort());
    expect(dropped).toBe(true);
  });
});

describe('telemetry mapping against a scripted PX4', () => {
  it('maps messages to telemetry and events, and waits for readiness before arming', async () => {
    const ap = await startScriptedAutopilot();
    ackCommands(ap);
    const port = createMavlinkVehiclePort({ id: 'd', url: ap.url, clock: new WallClock(), speedFactor: 10, readinessTimeoutMs: 3000 });
    cleanup.push(() => ap.close(), () => port.dispose());
    const events: VehicleEvent[] = [];
    port.subscribeEvents((e) => events.push(e));
    expect(code(await port.connect())).toBe('ok');
    // Not ready yet: no fix, no home. The vehicle explains why.
    ap.send(Object.assign(new common.StatusText(), { severity: 4, text: 'Preflight Fail: GPS fix too low', id: 0, chunkSeq: 0 }));
    const notReady = await port.arm();
    expect(code(notReady)).toBe('VEHICLE.NOT_READY');
    expect(!notReady.ok && notReady.error.message).toContain('GPS fix too low');
    sendReadyTelemetry(ap);
    ap.send(Object.assign(new common.ExtendedSysState(), { landedState: 1, vtolState: 0 }));
    await until(() => port.snapshot() !== undefined && port.home() !== undefined, 2000, 'telemetry');
    expect(code(await port.arm())).toBe('ok');
    const t = port.snapshot()!;
    expect(t.gps).toEqual({ fix: '3d', satellites: 12, hdop: 0.8 });
    expect(t.battery.voltage_v).toBe(16);
    expect(t.battery.remaining_pct).toBe(95);
    expect(t.heading_deg).toBe(90);
    expect(t.landed).toBe('on_ground');
    expect(t.local.north_m).toBeCloseTo(0, 3);
    // Reached repeats ~1 Hz on PX4: reported once (no plan uploaded → nothing to map; upload one).
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('link');
    expect(types).toContain('home');
    expect(types).toContain('statustext');
    expect(events.find((e) => e.type === 'mode')).toMatchObject({ mode: 'hold' });
    ap.send(Object.assign(new common.CameraTrigger(), { seq: 4, timeUsec: 1n }));
    ap.send(Object.assign(new common.CameraTrigger(), { seq: 4, timeUsec: 1n }));
    await until(() => events.some((e) => e.type === 'capture'), 2000, 'capture');
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.type === 'capture')).toHaveLength(1);
  });
});

/** The four bytes a JS number becomes in a float32 field (little-endian), as hex. */
const floatBytes = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeFloatLE(v, 0);
  return b.toString('hex');
};

/** A MAVLink 2 frame built byte by byte (so no float ever carries the parameter's bits). */
function rawFrame(msgid: number, crcExtra: number, payload: Buffer, sysid = 1, compid = 1, seq = 0): Buffer {
  const f = Buffer.alloc(10 + payload.length + 2);
  f.set([0xfd, payload.length, 0, 0, seq, sysid, compid, msgid & 0xff, (msgid >> 8) & 0xff, msgid >> 16]);
  payload.copy(f, 10);
  const crc = mavCrc(f, 1, 10 + payload.length, crcExtra);
  f.writeUInt16LE(crc, 10 + payload.length);
  return f;
}

/** PARAM_VALUE (22, CRC extra 220): value bytes, count, index, id[16], type. */
function paramValueFrame(name: string, valueBytes: number[], type: number, index: number, count: number): Buffer {
  const p = Buffer.alloc(25);
  p.set(valueBytes, 0);
  p.writeUInt16LE(count, 4);
  p.writeUInt16LE(index, 6);
  p.write(name, 8, 16, 'ascii');
  p[24] = type;
  return rawFrame(22, 220, p);
}

describe('PX4 bytewise parameter encoding (MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE), literal bytes', () => {
  it('INT32 values travel as their own bytes in the float field; ArduPilot casts', () => {
    expect(encodeParamValue(1, MAV_PARAM_TYPE.INT32, 'px4')).toBe(1.401298464324817e-45);
    expect(floatBytes(encodeParamValue(1, MAV_PARAM_TYPE.INT32, 'px4'))).toBe('01000000');
    expect(floatBytes(encodeParamValue(10, MAV_PARAM_TYPE.INT32, 'px4'))).toBe('0a000000');
    expect(floatBytes(encodeParamValue(10016, MAV_PARAM_TYPE.INT32, 'px4'))).toBe('20270000');
    expect(floatBytes(encodeParamValue(-2147483648, MAV_PARAM_TYPE.INT32, 'px4'))).toBe('00000080');
    expect(floatBytes(encodeParamValue(1, MAV_PARAM_TYPE.INT32, 'ardupilot'))).toBe('0000803f');
    expect(floatBytes(encodeParamValue(2.5, MAV_PARAM_TYPE.REAL32, 'px4'))).toBe('00002040');
    // PX4's PARAM_VALUE: the raw four bytes, read as the declared type.
    expect(decodeParamValue(0x00000001, MAV_PARAM_TYPE.INT32, 'px4')).toBe(1);
    expect(decodeParamValue(0x0000000a, MAV_PARAM_TYPE.INT32, 'px4')).toBe(10);
    expect(decodeParamValue(0xffffffff, MAV_PARAM_TYPE.INT32, 'px4')).toBe(-1);
    expect(decodeParamValue(0xfffffff6, MAV_PARAM_TYPE.INT32, 'px4')).toBe(-10);
    expect(decodeParamValue(0x80000000, MAV_PARAM_TYPE.INT32, 'px4')).toBe(-2147483648);
    expect(decodeParamValue(0x3f800000, MAV_PARAM_TYPE.INT32, 'ardupilot')).toBe(1);
    expect(decodeParamValue(0x40200000, MAV_PARAM_TYPE.REAL32, 'px4')).toBe(2.5);
  });

  it('PARAM_SET goes out in the type the vehicle declares, with the literal bytes (negatives too, whose bytes are a float NaN)', async () => {
    const ap = await startScriptedAutopilot();
    // PX4 v1.15 as it declares them: COM_DL_LOSS_T and COM_FLTMODE1 are INT32, MPC_XY_CRUISE REAL32.
    const vehicle = new Map<string, { bytes: number[]; type: number }>([
      ['COM_DL_LOSS_T', { bytes: [10, 0, 0, 0], type: MAV_PARAM_TYPE.INT32 }],
      ['COM_FLTMODE1', { bytes: [0xff, 0xff, 0xff, 0xff], type: MAV_PARAM_TYPE.INT32 }],
      ['MPC_XY_CRUISE', { bytes: [0, 0, 0xa0, 0x40], type: MAV_PARAM_TYPE.REAL32 }],
    ]);
    const names = [...vehicle.keys()];
    const sets: { name: string; bytes: string; type: number }[] = [];
    const answer = (name: string) => {
      const p = vehicle.get(name)!;
      ap.sendRaw(paramValueFrame(name, p.bytes, p.type, names.indexOf(name), names.length));
    };
    ap.onMessage((m, frame) => {
      if (m instanceof common.ParamRequestRead) answer(m.paramId.replace(/\0.*$/s, ''));
      if (m instanceof common.ParamSet) {
        const pl = Buffer.concat([frame.payload, Buffer.alloc(23)]);
        const name = pl.subarray(6, 22).toString('ascii').replace(/\0.*$/s, '');
        const type = pl[22]!;
        sets.push({ name, bytes: pl.subarray(0, 4).toString('hex'), type });
        const p = vehicle.get(name)!;
        // PX4 mavlink_parameters.cpp: only (INT32, INT32) or (FLOAT, REAL32); else "param types mismatch", nothing set, no answer.
        if (type !== p.type) return;
        p.bytes = [...pl.subarray(0, 4)];
        answer(name);
      }
    });
    const opened = await openLink(ap.url);
    if (!opened.ok) throw new Error(opened.error.message);
    const link = opened.value;
    const session = new MavSession({ link, clock: new WallClock(), logger: silentLogger, gcsSysid: 245, gcsCompid: 190, speedFactor: 10 });
    const hb = new HeartbeatPlugin(session);
    const params = new ParamProtocol(session);
    cleanup.push(() => ap.close(), () => link.close(), async () => { hb.stop(); params.dispose(); session.close(); });
    hb.start();
    expect(await hb.waitFirst(2000)).toBe(true);
    const read = await params.read('COM_FLTMODE1');
    expect(read.ok && [read.value.value, read.value.type]).toEqual([-1, MAV_PARAM_TYPE.INT32]);
    // Not read before: the type is looked up first; an explicit REAL32 does not override what the vehicle declares.
    const a = await params.setParam('COM_DL_LOSS_T', 5);
    expect(a.ok && a.value.value).toBe(5);
    const b = await params.set('COM_DL_LOSS_T', 7, MAV_PARAM_TYPE.REAL32);
    expect(b.ok && b.value.value).toBe(7);
    const c = await params.setParam('COM_FLTMODE1', -1);
    expect(c.ok && c.value.value).toBe(-1);
    const d = await params.setParam('COM_FLTMODE1', -10);
    expect(d.ok && d.value.value).toBe(-10);
    const e = await params.setParam('MPC_XY_CRUISE', 2.5);
    expect(e.ok && e.value.value).toBe(2.5);
    expect(sets).toEqual([
      { name: 'COM_DL_LOSS_T', bytes: '05000000', type: MAV_PARAM_TYPE.INT32 },
      { name: 'COM_DL_LOSS_T', bytes: '07000000', type: MAV_PARAM_TYPE.INT32 },
      { name: 'COM_FLTMODE1', bytes: 'ffffffff', type: MAV_PARAM_TYPE.INT32 },
      { name: 'COM_FLTMODE1', bytes: 'f6ffffff', type: MAV_PARAM_TYPE.INT32 },
      { name: 'MPC_XY_CRUISE', bytes: '00002040', type: MAV_PARAM_TYPE.REAL32 },
    ]);
  });
});

