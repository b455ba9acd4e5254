import { afterEach, describe, expect, it } from 'vitest';
import { common } from 'node-mavlink';
import { WallClock } from '../../core/clock.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import type { VehicleResult } from '../../hardware/vehicle.port.js';
import { sendReadyTelemetry, startScriptedAutopilot, until, type ScriptedAutopilot } from './scripted-autopilot.js';

const code = (r: VehicleResult<unknown>) => (r.ok ? 'ok' : r.error.code);
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(script: (ap: ScriptedAutopilot, m: common.CommandLong | common.CommandInt) => void, command = {}) {
  const ap = await startScriptedAutopilot();
  ap.onMessage((m) => {
    if (m instanceof common.CommandLong || m instanceof common.CommandInt) script(ap, m);
  });
  const port = createMavlinkVehiclePort({ id: 'd1', url: ap.url, clock: new WallClock(), speedFactor: 10, command });
  cleanup.push(() => ap.close(), () => port.dispose());
  expect(code(await port.connect())).toBe('ok');
  sendReadyTelemetry(ap);
  await until(() => port.home() !== undefined, 2000, 'home');
  return { ap, port };
}
const ackOf = (cmd: number, result: number, extra: object = {}) =>
  Object.assign(new common.CommandAck(), { command: cmd, result, progress: 0, resultParam2: 0, targetSystem: 245, targetComponent: 190, ...extra });
const sent = (ap: ScriptedAutopilot, cmd: number) =>
  ap.received.filter((r) => (r.msg instanceof common.CommandLong || r.msg instanceof common.CommandInt) && r.msg.command === cmd).map((r) => r.msg as common.CommandLong);

describe('command protocol against a scripted PX4', () => {
  it('waits through IN_PROGRESS for the final ACCEPTED, without resending', async () => {
    const { ap, port } = await setup((ap, m) => {
      if (m.command !== 21) return ap.send(ackOf(m.command, 0));
      ap.send(ackOf(21, 5, { progress: 10 }));
      // Longer than the 1500 ms / 10 = 150 ms ACK timeout: IN_PROGRESS must have extended it.
      setTimeout(() => ap.send(ackOf(21, 5, { progress: 60 })), 250);
      setTimeout(() => ap.send(ackOf(21, 0)), 500);
    });
    expect(code(await port.land())).toBe('ok');
    expect(sent(ap, 21)).toHaveLength(1);
  });

  it('maps DENIED and TEMPORARILY_REJECTED to VEHICLE.COMMAND_DENIED, UNSUPPORTED to VEHICLE.UNSUPPORTED', async () => {
    const { port } = await setup((ap, m) => {
      const result = m.command === 21 ? 2 : m.command === 20 ? 1 : m.command === 176 ? 3 : 0;
      ap.send(ackOf(m.command, result));
    });
    expect(code(await port.land())).toBe('VEHICLE.COMMAND_DENIED');
    expect(code(await port.returnToLaunch())).toBe('VEHICLE.COMMAND_DENIED');
    const r = await port.hold();
    expect(code(r)).toBe('VEHICLE.UNSUPPORTED');
    expect(!r.ok && r.error.message).toContain('MAV_CMD_DO_SET_MODE');
  });

  it('resends with increasing confirmation and times out with VEHICLE.TIMEOUT on silence', async () => {
    const { ap, port } = await setup((ap, m) => {
      if (m.command !== 20) ap.send(ackOf(m.command, 0));
    }, { retries: 3 });
    expect(code(await port.returnToLaunch())).toBe('VEHICLE.TIMEOUT');
    expect(sent(ap, 20).map((m) => m.confirmation)).toEqual([0, 1, 2, 3]);
  });

  it('answers a retry: the ACK of a resent command counts', async () => {
    let n = 0;
    const { ap, port } = await setup((ap, m) => {
      if (m.command === 20 && n++ === 0) return; // first one lost
      ap.send(ackOf(m.command, 0));
    });
    expect(code(await port.returnToLaunch())).toBe('ok');
    expect(sent(ap, 20).map((m) => m.confirmation)).toEqual([0, 1]);
  });

  it('ignores ACKs addressed to another ground station and ACKs of other commands', async () => {
    const { port } = await setup((ap, m) => {
      if (m.command !== 20) return ap.send(ackOf(m.command, 0));
      ap.send(ackOf(20, 0, { targetSystem: 255, targetComponent: 190 })); // QGC's
      ap.send(ackOf(21, 2));
      setTimeout(() => ap.send(ackOf(20, 2)), 20);
    });
    expect(code(await port.returnToLaunch())).toBe('VEHICLE.COMMAND_DENIED');
  });

  it('cancels with an AbortSignal', async () => {
    const { port } = await setup(() => {});
    const ac = new AbortController();
    const p = port.returnToLaunch(ac.signal);
    setTimeout(() => ac.abort(), 20);
    const r = await p;
    expect(code(r)).toBe('VEHICLE.TIMEOUT');
    expect(!r.ok && r.error.context?.aborted).toBe(true);
  });

  it('sets PX4 modes with param1 = 1, param2 = main, param3 = sub (never the packed word)', async () => {
    const { ap, port } = await setup((ap, m) => ap.send(ackOf(m.command, 0)));
    expect(code(await port.hold())).toBe('ok');
    const m = sent(ap, 176)[0]!;
    expect([m._param1, m._param2, m._param3]).toEqual([1, 4, 3]);
  });

  it('sends goto as DO_REPOSITION COMMAND_INT in MAV_FRAME_GLOBAL with AMSL altitude; takeoff with AMSL param7', async () => {
    const { ap, port } = await setup((ap, m) => ap.send(ackOf(m.command, 0)));
    expect(code(await port.goto({ lat_deg: 47.3985, lon_deg: 8.546, alt_m: 30 }))).toBe('ok');
    const g = ap.received.find((r) => r.msg instanceof common.CommandInt && r.msg.command === 192)!.msg as common.CommandInt;
    expect([g.frame, g._param5, g._param6, g._param7, g._param2]).toEqual([0, 473985000, 85460000, 518, 1]);
    // Takeoff is refused locally while disarmed (PX4 would switch mode and sit there).
    expect(code(await port.takeoff(12))).toBe('VEHICLE.COMMAND_DENIED');
    let armed = false;
    port.subscribeEvents((e) => { if (e.type === 'armed') armed = e.armed; });
    ap.state.baseMode = 1 | 128; // MAV_MODE_FLAG_SAFETY_ARMED in the next heartbeats
    await until(() => armed, 2000, 'armed');
    expect(code(await port.takeoff(12))).toBe('ok');
    const t = sent(ap, 22)[0]!;
    expect(t._param7).toBe(500);
  });

  it('fails with VEHICLE.NO_LINK when the heartbeat stops, and recovers when it returns', async () => {
    const { ap, port } = await setup((ap, m) => ap.send(ackOf(m.command, 0)));
    const links: boolean[] = [];
    port.subscribeEvents((e) => e.type === 'link' && links.push(e.up));
    ap.heartbeats(false);
    await until(() => links.includes(false), 2000, 'link down');
    expect(code(await port.land())).toBe('VEHICLE.NO_LINK');
    ap.heartbeats(true);
    await until(() => links.at(-1) === true, 2000, 'link up');
    expect(code(await port.land())).toBe('ok');
  });

  it('a late ACK of an aborted command does not complete the next command with the same id', async () => {
    const pending: common.CommandLong[] = [];
    const { ap, port } = await setup((ap, m) => {
      if (m.command !== 20) return ap.send(ackOf(m.command, 0));
      pending.push(m as common.CommandLong);
    });
    const ac = new AbortController();
    const first = port.returnToLaunch(ac.signal);
    await until(() => pending.length === 1, 2000, 'the first RTL');
    ac.abort();
    expect(code(await first)).toBe('VEHICLE.TIMEOUT');
    // The next RTL is asked for at once; the vehicle's answer to the aborted one (DENIED) comes
    // late, then its answer to the new one (ACCEPTED).
    const second = port.returnToLaunch();
    await new Promise((r) => setTimeout(r, 30));
    ap.send(ackOf(20, 2));
    await until(() => pending.length >= 2, 2000, 'the second RTL');
    ap.send(ackOf(20, 0));
    expect(code(await second)).toBe('ok');
  });

  it('ignores an ACK from another component of the vehicle and one with no request outstanding', async () => {
    const { ap, port } = await setup((ap, m) => {
      if (m.command === 21) return ap.send(ackOf(21, 0, { targetSystem: 0, targetComponent: 0 }));
      if (m.command !== 20) return ap.send(ackOf(m.command, 0));
      ap.send(ackOf(20, 2), { compid: 100 }); // a camera of system 1 answering someone else's RTL
      setTimeout(() => ap.send(ackOf(20, 0)), 20);
    });
    ap.send(ackOf(21, 2)); // nothing outstanding: stray
    await new Promise((r) => setTimeout(r, 20));
    expect(code(await port.returnToLaunch())).toBe('ok');
    // An ACK that leaves its target fields 0 (old firmware) is still ours.
    const p = port.land();
    expect(code(await p)).toBe('ok');
  });

  it('a command under way when the port is disposed fails with VEHICLE.DISPOSED instead of hanging', async () => {
    const { port } = await setup((ap, m) => {
      if (m.command !== 20) ap.send(ackOf(m.command, 0));
    });
    const p = port.returnToLaunch();
    await new Promise((r) => setTimeout(r, 20));
    await port.dispose();
    const r = await Promise.race([p, new Promise<'hung'>((res) => setTimeout(() => res('hung'), 1000))]);
    expect(r === 'hung' ? r : code(r)).toBe('VEHICLE.DISPOSED');
  });
});
