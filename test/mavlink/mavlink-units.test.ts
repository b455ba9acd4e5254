import { describe, expect, it } from 'vitest';
import type { MissionItem } from '../../core/mission.js';
import { copterModeToFlightMode, COPTER_MODE } from '../../hardware/real/mavlink/ardupilot-modes.js';
import { parseConnectionUrl } from '../../hardware/real/mavlink/connection-url.js';
import { fromMavItems, MAV_CMD, toMavPlan } from '../../hardware/real/mavlink/mission-items.js';
import { MissionProgress, type ProgressEvent } from '../../hardware/real/mavlink/mission-progress.js';
import { flightModeOf, setModeCommand } from '../../hardware/real/mavlink/modes.js';
import { decodeParamValue, encodeParamValue, MAV_PARAM_TYPE } from '../../hardware/real/mavlink/param-protocol.js';
import { packPx4Mode, PX4_MODE_FOR } from '../../hardware/real/mavlink/px4-modes.js';
import { failsafeOf } from '../../hardware/real/mavlink/telemetry-mapper.js';

const HOME = { lat_deg: 47.397742, lon_deg: 8.545594, alt_m: 488 };

describe('connection URLs', () => {
  it.each([
    ['udpin://0.0.0.0:14540', { kind: 'udpin', host: '0.0.0.0', port: 14540 }],
    ['udp://:14540', { kind: 'udpin', host: '0.0.0.0', port: 14540 }],
    ['udpout://192.168.1.10:14550', { kind: 'udpout', host: '192.168.1.10', port: 14550 }],
    ['tcp://localhost:5760', { kind: 'tcp', host: 'localhost', port: 5760 }],
    ['udpin://[::1]:14540', { kind: 'udpin', host: '::1', port: 14540 }],
    ['serial:///dev/ttyUSB0:57600', { kind: 'serial', path: '/dev/ttyUSB0', baud: 57600 }],
  ])('%s', (url, want) => {
    const r = parseConnectionUrl(url);
    expect(r.ok && r.value).toEqual(want);
  });
  it.each([
    ['', 'empty'],
    ['udpin://0.0.0.0', 'host:port'],
    ['udpin://0.0.0.0:99999', '1..65535'],
    ['tcp://:5760', 'host'],
    ['http://x:1', 'unknown scheme'],
    ['serial:///dev/ttyUSB0:12345', 'baud'],
    ['serial://ttyUSB0:57600', 'absolute'],
    ['14540', 'scheme'],
    [42, 'string'],
  ])('rejects %j with a reason (%s)', (url, reason) => {
    const r = parseConnectionUrl(url);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('LINK.BAD_URL');
      expect(r.error.message.toLowerCase()).toContain(reason.toLowerCase());
    }
  });
});

describe('flight modes', () => {
  it('PX4: DO_SET_MODE carries main and sub modes unpacked; HEARTBEAT packed words map back', () => {
    for (const [mode, m] of Object.entries(PX4_MODE_FOR)) {
      const c = setModeCommand('px4', mode as keyof typeof PX4_MODE_FOR)!;
      expect(c.command).toBe(176);
      expect(c.params!.slice(0, 3)).toEqual([1, m.main, m.sub]);
      expect(flightModeOf('px4', 1 | 128, packPx4Mode(m))).toBe(mode);
    }
    expect(flightModeOf('px4', 0, packPx4Mode(PX4_MODE_FOR.mission))).toBe('unknown'); // custom mode not enabled
  });
  it('ArduCopter: param2 is the mode number; numbers map to domain modes', () => {
    expect(setModeCommand('ardupilot', 'mission')!.params!.slice(0, 2)).toEqual([1, COPTER_MODE.AUTO]);
    expect(setModeCommand('ardupilot', 'hold')!.params!.slice(0, 2)).toEqual([1, COPTER_MODE.LOITER]);
    expect(setModeCommand('ardupilot', 'rtl')!.params!.slice(0, 2)).toEqual([1, COPTER_MODE.RTL]);
    expect(setModeCommand('ardupilot', 'land')!.params!.slice(0, 2)).toEqual([1, COPTER_MODE.LAND]);
    expect(setModeCommand('ardupilot', 'unknown')).toBeUndefined();
    const table: [number, string][] = [[0, 'manual'], [2, 'manual'], [3, 'mission'], [4, 'offboard'], [5, 'hold'], [6, 'rtl'], [9, 'land'], [16, 'manual'], [17, 'hold'], [21, 'rtl'], [27, 'rtl'], [99, 'unknown']];
    for (const [n, m] of table) expect(copterModeToFlightMode(n), `mode ${n}`).toBe(m);
    expect(flightModeOf('ardupilot', 1, 3)).toBe('mission');
  });
});

describe('mission items ⇄ MAVLink', () => {
  const items: MissionItem[] = [
    { kind: 'takeoff', alt_m: 15 },
    { kind: 'waypoint', lat_deg: 47.3981, lon_deg: 8.5461, alt_m: 30, hold_s: 2, acceptance_m: 3, speed_mps: 4, capture: true },
    { kind: 'waypoint', lat_deg: 47.3985, lon_deg: 8.5466, alt_m: 30, hold_s: 0, acceptance_m: 2, capture: false },
    { kind: 'land', lat_deg: 47.399, lon_deg: 8.547 },
    { kind: 'rtl' },
  ];
  it('PX4: commands, frames, params and the port ⇄ seq mapping', () => {
    const r = toMavPlan(items, { autopilot: 'px4', home: HOME });
    if (!r.ok) throw new Error(r.error.message);
    const rows = r.value.items;
    expect(rows.map((x) => [x.command, x.frame])).toEqual([
      [MAV_CMD.NAV_TAKEOFF, 6], [MAV_CMD.DO_CHANGE_SPEED, 2], [MAV_CMD.NAV_WAYPOINT, 6], [MAV_CMD.IMAGE_START_CAPTURE, 2],
      [MAV_CMD.DO_CHANGE_SPEED, 2], [MAV_CMD.NAV_WAYPOINT, 6], [MAV_CMD.NAV_LAND, 6], [MAV_CMD.NAV_RETURN_TO_LAUNCH, 2],
    ]);
    expect(rows.map((x) => x.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([rows[2]!.param1, rows[2]!.param2, rows[2]!.x, rows[2]!.y, rows[2]!.z]).toEqual([2, 3, 473981000, 85461000, 30]);
    expect(rows[1]!.param2).toBe(4);
    expect(rows[4]!.param2).toBe(-2); // back to the default speed
    expect(rows[0]!.x).toBe(Math.round(HOME.lat_deg * 1e7));
    expect(r.value.navSeq).toEqual([0, 2, 5, 6, 7]);
    expect(r.value.portIndexOf).toEqual([0, 1, 1, 1, 2, 2, 3, 4]);
    const back = fromMavItems(rows, { autopilot: 'px4', home: HOME });
    expect(back.ok && back.value).toEqual(items);
  });
  it('ArduPilot: seq 0 is home, added on upload and dropped on download', () => {
    const r = toMavPlan(items, { autopilot: 'ardupilot', home: HOME });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.items[0]!.frame).toBe(0);
    expect(r.value.items[0]!.z).toBe(488);
    expect(r.value.navSeq[0]).toBe(1);
    expect(r.value.portIndexOf[0]).toBeUndefined();
    const back = fromMavItems(r.value.items, { autopilot: 'ardupilot', home: HOME });
    expect(back.ok && back.value).toEqual(items);
  });
  it('rejects empty missions, 0,0 positions, bad shapes and unknown rows', () => {
    const code = (x: { ok: boolean; error?: { code: string } }) => (x.ok ? 'ok' : x.error!.code);
    expect(code(toMavPlan([], { autopilot: 'px4' }))).toBe('MISSION.INVALID');
    expect(code(toMavPlan([{ kind: 'waypoint', lat_deg: 0, lon_deg: 0, alt_m: 10 }], { autopilot: 'px4' }))).toBe('MISSION.INVALID');
    expect(code(toMavPlan([{ kind: 'waypoint', lat_deg: 95, lon_deg: 0, alt_m: 10 }], { autopilot: 'px4' }))).toBe('MISSION.INVALID');
    expect(code(toMavPlan([{ kind: 'land' }], { autopilot: 'px4' }))).toBe('MISSION.INVALID'); // nowhere to land
    expect(code(toMavPlan([{ kind: 'teleport' }], { autopilot: 'px4' }))).toBe('MISSION.INVALID');
    const row = { seq: 0, frame: 6, command: 31000, current: 0, autocontinue: 1, param1: 0, param2: 0, param3: 0, param4: 0, x: 1, y: 1, z: 1, missionType: 0 as const };
    expect(code(fromMavItems([row], { autopilot: 'px4' }))).toBe('MISSION.INVALID');
    expect(code(fromMavItems([{ ...row, command: 16, frame: 1 }], { autopilot: 'px4' }))).toBe('MISSION.INVALID');
  });
});

describe('mission progress', () => {
  const plan = toMavPlan([
    { kind: 'waypoint', lat_deg: 47.3981, lon_deg: 8.5461, alt_m: 30, capture: true },
    { kind: 'waypoint', lat_deg: 47.3985, lon_deg: 8.5466, alt_m: 30 },
    { kind: 'rtl' },
  ], { autopilot: 'px4', home: HOME });
  if (!plan.ok) throw new Error('plan');
  const run = () => {
    const events: ProgressEvent[] = [];
    const p = new MissionProgress((e) => events.push(e));
    p.setPlan(plan.value);
    p.started();
    return { p, events, reached: () => events.filter((e) => e.type === 'mission.reached').map((e) => (e as { seq: number }).seq) };
  };
  it('reports each item once although PX4 repeats MISSION_ITEM_REACHED', () => {
    const { p, reached } = run();
    p.onCurrent(0, 3, 'mission');
    for (let k = 0; k < 5; k++) p.onReached(0);
    expect(reached()).toEqual([0]);
  });
  it('fills in a lost reached when MISSION_CURRENT moves past the item', () => {
    const { p, reached } = run();
    p.onCurrent(0, 3, 'mission');
    p.onCurrent(2, 3, 'mission'); // seq 1 is the capture row of item 0
    p.onCurrent(3, 3, 'mission');
    expect(reached()).toEqual([0, 1]);
  });
  it('finishes a trailing RTL when landed and disarmed', () => {
    const { p, events, reached } = run();
    p.onCurrent(0, 3, 'mission');
    p.onReached(0);
    p.onReached(2);
    p.onCurrent(3, 3, 'mission');
    p.onVehicleState(true, 'in_air', 'rtl');
    expect(events.some((e) => e.type === 'mission.finished')).toBe(false);
    p.onVehicleState(false, 'on_ground', 'rtl');
    expect(reached()).toEqual([0, 1, 2]);
    expect(events.filter((e) => e.type === 'mission.finished')).toHaveLength(1);
  });
  it('ignores a COMPLETE left over from the previous run of the same plan after a restart', () => {
    // PX4 does not reset an unchanged plan: right after MISSION mode is set again, its next
    // MISSION_CURRENT can still say COMPLETE for the run that ended before.
    const { p, events } = run();
    p.onCurrent(3, 5, 'mission');
    expect(events.some((e) => e.type === 'mission.finished')).toBe(false);
    p.onCurrent(0, 3, 'mission'); // the new run is under way
    p.onCurrent(3, 5, 'mission'); // and this COMPLETE is its own
    expect(events.filter((e) => e.type === 'mission.finished')).toHaveLength(1);
  });
  it('ignores a stale COMPLETE before the plan ran', () => {
    const events: ProgressEvent[] = [];
    const p = new MissionProgress((e) => events.push(e));
    p.setPlan(plan.value);
    p.onCurrent(0, 5, 'hold');
    expect(events.some((e) => e.type === 'mission.finished')).toBe(false);
  });
});

describe('parameter encoding', () => {
  it('PX4 INT32 travels bytewise; ArduPilot casts', () => {
    const bits = (f: number) => new DataView(new Float32Array([f]).buffer).getUint32(0, true);
    for (const v of [0, 1, -1, 7, 123456, -2147483648, 2147483647]) {
      const f = encodeParamValue(v, MAV_PARAM_TYPE.INT32, 'px4');
      expect(decodeParamValue(bits(f), MAV_PARAM_TYPE.INT32, 'px4')).toBe(v);
    }
    expect(encodeParamValue(7, MAV_PARAM_TYPE.INT32, 'ardupilot')).toBe(7);
    expect(decodeParamValue(bits(7), MAV_PARAM_TYPE.INT32, 'ardupilot')).toBe(7);
    expect(decodeParamValue(bits(5.5), MAV_PARAM_TYPE.REAL32, 'px4')).toBe(5.5);
  });
});

describe('failsafe recognition', () => {
  it.each([
    ['Failsafe activated: Return to launch', 'other', 'rtl'],
    ['Connection to ground station lost', 'link_loss', 'hold'],
    ['Low battery level! Return advised', 'battery', 'rtl'],
    ['Geofence breach disabled', undefined, undefined],
    ['Battery level critical, landing', 'battery', 'land'],
    ['Takeoff detected', undefined, undefined],
  ])('%s', (text, reason, action) => {
    const fs = failsafeOf(text, 'hold');
    expect(fs?.reason).toBe(reason);
    expect(fs?.action).toBe(action);
  });
});
