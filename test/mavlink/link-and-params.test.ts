import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { WallClock } from '../../core/clock.js';
import { openLink, type Link } from '../../hardware/real/mavlink/link.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { encodeParamValue, MAV_PARAM_TYPE } from '../../hardware/real/mavlink/param-protocol.js';
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
