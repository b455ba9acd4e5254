/**
 * The telemetry mapper over a real loopback link to a scripted PX4: failsafes from structured
 * state (HEARTBEAT system_status, uncommanded RTL/LAND, battery/health), text only as a hint;
 * STATUSTEXT chunk expiry and bound; the vehicle's time_boot_ms in telemetry.
 */
import { common, minimal } from 'node-mavlink';
import { afterEach, describe, expect, it } from 'vitest';
import { WallClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { CommandProtocol } from '../../hardware/real/mavlink/command-protocol.js';
import { HeartbeatPlugin } from '../../hardware/real/mavlink/heartbeat.js';
import { openLink } from '../../hardware/real/mavlink/link.js';
import { setMode } from '../../hardware/real/mavlink/modes.js';
import { MavSession } from '../../hardware/real/mavlink/session.js';
import { failsafeHint, MAX_PENDING_TEXTS, TelemetryMapper, type EventBody } from '../../hardware/real/mavlink/telemetry-mapper.js';
import type { VehicleTelemetry } from '../../hardware/vehicle.port.js';
import { startScriptedAutopilot, until, type ScriptedAutopilot } from './scripted-autopilot.js';

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const MODE = { mission: (4 << 16) | (4 << 24), hold: (4 << 16) | (3 << 24), rtl: (4 << 16) | (5 << 24), land: (4 << 16) | (6 << 24) } as const;
const STATE = { STANDBY: 3, ACTIVE: 4, CRITICAL: 5, EMERGENCY: 6 } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Rig {
  ap: ScriptedAutopilot;
  mapper: TelemetryMapper;
  commands: CommandProtocol;
  session: MavSession;
  events: EventBody[];
  telemetry: VehicleTelemetry[];
  /** Sets the vehicle state its heartbeats (every 20 ms) report, and waits until one was read. */
  vehicle(state: { armed?: boolean; mode?: keyof typeof MODE; status?: number }): Promise<void>;
  failsafes(): { reason: string; action: string }[];
}

async function rig(): Promise<Rig> {
  const ap = await startScriptedAutopilot({ heartbeatMs: 1_000_000 });
  ap.heartbeats(false);
  // PX4 answers commands; its mode follows DO_SET_MODE / NAV_RETURN_TO_LAUNCH like the real one.
  ap.onMessage((m, f) => {
    if (!(m instanceof common.CommandLong)) return;
    if (m.command === 20) cur.mode = 'rtl';
    if (m.command === 21) cur.mode = 'land';
    ap.send(Object.assign(new common.CommandAck(), { command: m.command, result: 0, progress: 0, resultParam2: 0, targetSystem: f.sysid, targetComponent: f.compid }));
  });
  const opened = await openLink(ap.url);
  if (!opened.ok) throw new Error(opened.error.message);
  const link = opened.value;
  const clock = new WallClock();
  const session = new MavSession({ link, clock, logger: silentLogger, gcsSysid: 245, gcsCompid: 190, targetSystem: 1, speedFactor: 10 });
  const events: EventBody[] = [];
  const telemetry: VehicleTelemetry[] = [];
  const mapper = new TelemetryMapper(session, 'd1', (e) => events.push(e), (t) => telemetry.push(t));
  let beats = 0;
  const hb = new HeartbeatPlugin(session, { onHeartbeat: (h) => { beats++; mapper.onHeartbeat(h); } });
  const commands = new CommandProtocol(session);
  const cur: { armed: boolean; mode: keyof typeof MODE; status: number } = { armed: true, mode: 'mission', status: STATE.ACTIVE };
  const beat = () => ap.send(Object.assign(new minimal.Heartbeat(), {
    type: 2, autopilot: 12, baseMode: cur.armed ? 129 : 1, customMode: MODE[cur.mode], systemStatus: cur.status, mavlinkVersion: 3,
  }));
  hb.start();
  await until(() => ap.received.length > 0, 2000, 'our heartbeat');
  const timer = setInterval(beat, 20);
  cleanup.push(() => ap.close(), () => link.close(), () => clearInterval(timer), () => hb.stop(), () => commands.dispose(), () => mapper.dispose(), () => session.close());
  await until(() => session.linkUp, 2000, 'link up');
  const r: Rig = {
    ap, mapper, commands, session, events, telemetry,
    async vehicle(s) {
      Object.assign(cur, s);
      beat();
      const n = beats;
      await until(() => beats > n + 1, 2000, 'a heartbeat with the new state');
    },
    failsafes: () => events.filter((e): e is Extract<EventBody, { type: 'failsafe' }> => e.type === 'failsafe').map((e) => ({ reason: e.reason, action: e.action })),
  };
  await r.vehicle({});
  return r;
}

describe('vehicle failsafes from structured state', () => {
  it('an RTL the twin did not command is a failsafe (reason from BATTERY_STATUS); one event per episode', async () => {
    const r = await rig();
    r.ap.send(Object.assign(new common.BatteryStatus(), { id: 0, chargeState: 3, currentConsumed: 1200, voltages: Array(10).fill(65535), temperature: 32767, currentBattery: -1, batteryRemaining: 12 }));
    await r.vehicle({ mode: 'rtl', status: STATE.CRITICAL });
    await r.vehicle({});
    expect(r.failsafes()).toEqual([{ reason: 'battery', action: 'rtl' }]);
    expect(r.mapper.failsafeActive).toBe(true);
    // Back to normal, then the vehicle lands by itself: a second episode.
    await r.vehicle({ mode: 'hold', status: STATE.ACTIVE });
    expect(r.mapper.failsafeActive).toBe(false);
    await r.vehicle({ mode: 'land', status: STATE.ACTIVE });
    expect(r.failsafes()).toHaveLength(2);
    expect(r.failsafes()[1]!.action).toBe('land');
  });

  it('an RTL or a mode the twin commanded is not a failsafe (noted from what the session sends)', async () => {
    const r = await rig();
    expect((await r.commands.send({ command: 20, params: [0, 0, 0, 0, 0, 0, 0] })).ok).toBe(true);
    await r.vehicle({ mode: 'rtl' });
    await r.vehicle({ mode: 'mission' });
    expect((await setMode(r.commands, 'px4', 'land')).ok).toBe(true);
    await r.vehicle({ mode: 'land' });
    // Told through the hook (an RC switch the operator flipped, say).
    await r.vehicle({ mode: 'hold' });
    r.mapper.noteCommandedMode('rtl');
    await r.vehicle({ mode: 'rtl' });
    expect(r.failsafes()).toEqual([]);
  });

  it('HEARTBEAT system_status CRITICAL while armed is a failsafe even without a mode change', async () => {
    const r = await rig();
    await r.vehicle({ status: STATE.CRITICAL });
    expect(r.failsafes()).toEqual([{ reason: 'other', action: 'mission' }]);
    await r.vehicle({ status: STATE.ACTIVE });
    await r.vehicle({ status: STATE.EMERGENCY });
    expect(r.failsafes()).toHaveLength(2);
    // Disarmed, a CRITICAL status is no flight failsafe.
    await r.vehicle({ armed: false, status: STATE.STANDBY });
    await r.vehicle({ armed: false, status: STATE.CRITICAL });
    expect(r.failsafes()).toHaveLength(2);
  });

  it('STATUSTEXT alone is never a failsafe; it only names the cause of one that state shows', async () => {
    const r = await rig();
    const text = (t: string) => r.ap.send(Object.assign(new common.StatusText(), { severity: 2, text: t, id: 0, chunkSeq: 0 }));
    text('Geofence breach disabled');
    text('Failsafe mode activated');
    text('Critical battery level! Landing advised');
    await until(() => r.events.filter((e) => e.type === 'statustext').length === 3, 2000, 'the texts');
    await r.vehicle({});
    expect(r.failsafes()).toEqual([]);
    await r.vehicle({ mode: 'land', status: STATE.CRITICAL });
    expect(r.failsafes()).toEqual([{ reason: 'battery', action: 'land' }]);
  });

  it('a PX4 event (events protocol) names the cause when state does not', async () => {
    const r = await rig();
    r.mapper.noteVehicleEvent({ name: 'commander_failsafe_enter_generic', text: 'Failsafe activated due to Data link lost: Return' });
    await r.vehicle({});
    expect(r.failsafes()).toEqual([]);
    await r.vehicle({ mode: 'rtl', status: STATE.CRITICAL });
    expect(r.failsafes()).toEqual([{ reason: 'link_loss', action: 'rtl' }]);
  });

  it("the mission's own final RTL item is not a failsafe, even when MISSION_CURRENT comes after the HEARTBEAT", async () => {
    const r = await rig();
    r.ap.send(Object.assign(new common.MissionCurrent(), { seq: 4, total: 5, missionState: 3, missionMode: 1 }));
    await sleep(30);
    await r.vehicle({ mode: 'rtl' });
    await r.vehicle({ mode: 'mission' });
    r.ap.send(Object.assign(new common.MissionCurrent(), { seq: 2, total: 5, missionState: 3, missionMode: 1 }));
    await sleep(30);
    // PX4 switched to RTL for the last item; its MISSION_CURRENT arrives 100 ms after (2 s grace = 200 ms here).
    await r.vehicle({ mode: 'rtl' });
    await sleep(100);
    r.ap.send(Object.assign(new common.MissionCurrent(), { seq: 4, total: 5, missionState: 3, missionMode: 1 }));
    await sleep(300);
    expect(r.failsafes()).toEqual([]);
  });

  it('a mission → RTL switch with the mission short of its last item is a failsafe once the grace has passed', async () => {
    const r = await rig();
    r.ap.send(Object.assign(new common.MissionCurrent(), { seq: 2, total: 5, missionState: 3, missionMode: 1 }));
    await sleep(30);
    await r.vehicle({ mode: 'rtl' });
    expect(r.failsafes()).toEqual([]);
    await until(() => r.failsafes().length === 1, 2000, 'the failsafe');
    expect(r.failsafes()).toEqual([{ reason: 'other', action: 'rtl' }]);
  });

  it('text hints: PX4 / ArduPilot wordings', () => {
    expect(failsafeHint('Critical battery level! Landing advised')).toBe('battery');
    expect(failsafeHint('Low battery level! Return advised')).toBe('battery');
    expect(failsafeHint('Geofence breach disabled')).toBeUndefined();
    expect(failsafeHint('Geofence violated')).toBe('geofence');
    expect(failsafeHint('Connection to ground station lost')).toBe('link_loss');
    expect(failsafeHint('Data link lost')).toBe('link_loss');
    expect(failsafeHint('Data link regained')).toBeUndefined();
    expect(failsafeHint('Manual control lost')).toBe('rc_loss');
    expect(failsafeHint('Takeoff detected')).toBeUndefined();
  });
});

describe('STATUSTEXT chunks', () => {
  const chunk = (id: number, seq: number, text: string) => Object.assign(new common.StatusText(), { severity: 6, text, id, chunkSeq: seq });
  const fifty = (c: string) => c.repeat(50);

  it('joins chunks; ids that never complete are bounded and expire', async () => {
    const r = await rig();
    r.ap.send(chunk(7, 0, fifty('a')));
    r.ap.send(chunk(7, 1, 'end'));
    await until(() => r.events.some((e) => e.type === 'statustext'), 2000, 'the joined text');
    expect(r.events.find((e) => e.type === 'statustext')).toMatchObject({ text: `${fifty('a')}end` });
    // 200 ids whose last chunk never comes.
    for (let id = 100; id < 300; id++) r.ap.send(chunk(id, 0, fifty('x')));
    r.ap.send(chunk(9, 0, 'marker'));
    await until(() => r.events.some((e) => e.type === 'statustext' && e.text === 'marker'), 2000, 'the marker');
    expect(r.mapper.pendingTexts).toBeLessThanOrEqual(MAX_PENDING_TEXTS);
    // After the TTL (5 s of autopilot time = 500 ms at speed factor 10) even those go.
    await sleep(600);
    r.ap.send(chunk(10, 0, 'tick'));
    await until(() => r.events.some((e) => e.type === 'statustext' && e.text === 'tick'), 2000, 'the tick');
    expect(r.mapper.pendingTexts).toBe(0);
  });
});

describe("the vehicle's own time", () => {
  it('telemetry carries GLOBAL_POSITION_INT.time_boot_ms as vehicle_time_ms', async () => {
    const r = await rig();
    r.ap.send(Object.assign(new common.SysStatus(), { voltageBattery: 16000, currentBattery: 50, batteryRemaining: 95 }));
    r.ap.send(Object.assign(new common.GpsRawInt(), { fixType: 3, satellitesVisible: 12, eph: 80 }));
    await sleep(30);
    r.ap.send(Object.assign(new common.GlobalPositionInt(), { timeBootMs: 123_456, lat: 473977420, lon: 85455940, alt: 488_000, relativeAlt: 0, vx: 0, vy: 0, vz: 0, hdg: 0 }));
    await until(() => r.telemetry.length > 0, 2000, 'telemetry');
    expect(r.telemetry.at(-1)!.vehicle_time_ms).toBe(123_456);
  });
});
