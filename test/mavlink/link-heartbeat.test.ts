/**
 * Heartbeats over a real loopback link: the link-loss watchdog on a quantised virtual clock,
 * one GCS identity (sequence counter + heartbeat) per link shared by the vehicle sessions on it,
 * and the first-heartbeat wait with an already-aborted signal.
 */
import { common, minimal } from 'node-mavlink';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, WallClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { HeartbeatPlugin } from '../../hardware/real/mavlink/heartbeat.js';
import { openLink, type Link } from '../../hardware/real/mavlink/link.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { MavSession } from '../../hardware/real/mavlink/session.js';
import { startScriptedAutopilot, until, type ScriptedAutopilot } from './scripted-autopilot.js';

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const px4Heartbeat = () => Object.assign(new minimal.Heartbeat(), { type: 2, autopilot: 12, baseMode: 1, customMode: (4 << 16) | (3 << 24), systemStatus: 3, mavlinkVersion: 3 });

async function rig(): Promise<{ ap: ScriptedAutopilot; link: Link; clock: VirtualClock; session: MavSession; hb: HeartbeatPlugin; links: boolean[]; beat: () => Promise<void> }> {
  const ap = await startScriptedAutopilot({ heartbeatMs: 1_000_000 });
  ap.heartbeats(false);
  const opened = await openLink(ap.url);
  if (!opened.ok) throw new Error(opened.error.message);
  const link = opened.value;
  const clock = new VirtualClock();
  const session = new MavSession({ link, clock, logger: silentLogger, gcsSysid: 245, gcsCompid: 190, speedFactor: 1 });
  const links: boolean[] = [];
  const hb = new HeartbeatPlugin(session, { onLink: (up) => links.push(up) });
  cleanup.push(() => ap.close(), () => link.close(), () => hb.stop(), () => session.close());
  hb.start();
  await until(() => ap.received.length > 0, 2000, 'our heartbeat');
  const beat = async () => {
    const n = hb.count;
    ap.send(px4Heartbeat());
    await until(() => hb.count > n, 2000, 'the vehicle heartbeat');
  };
  return { ap, link, clock, session, hb, links, beat };
}

describe('link-loss watchdog', () => {
  it('is never early on a quantised clock: heartbeats read while now() lags a second do not shorten the 3 s', async () => {
    const { clock, links, beat } = await rig();
    // The vehicle beats at 1 Hz, but each beat is read while the paced clock still shows its
    // previous instant (up to 1 s stale): read at 0, 1000, 2000 although sent near 990, 1990, 2990.
    await beat();
    expect(links).toEqual([true]);
    for (let t = 1000; t <= 2000; t += 1000) {
      clock.advanceSync(1000);
      await beat();
    }
    // The last beat may have been sent as late as ~2990: the link stands until ~5990 at least.
    clock.advanceSync(3500); // now 5500
    expect(links).toEqual([true]);
    clock.advanceSync(1500); // now 7000: 3 beats missed and over 3 s of silence
    expect(links).toEqual([true, false]);
    await beat();
    expect(links).toEqual([true, false, true]);
  });

  it('does not flap when the vehicle stalls for 1–2 s (one or two late heartbeats)', async () => {
    const { clock, links, beat } = await rig();
    await beat();
    for (const gap of [1000, 1900, 2500, 1000, 2900, 1000]) {
      clock.advanceSync(gap);
      await beat();
    }
    expect(links).toEqual([true]);
  });

  it('waitFirst with an already-aborted signal resolves false at once', async () => {
    const { hb } = await rig();
    const ac = new AbortController();
    ac.abort();
    // The virtual clock is never advanced: only the abort can settle it.
    const r = await Promise.race([hb.waitFirst(60_000, ac.signal), new Promise((res) => setTimeout(() => res('pending'), 200))]);
    expect(r).toBe(false);
  });
});

describe('one GCS identity per link', () => {
  it('two vehicle sessions on one link share one sequence counter and one GCS heartbeat', async () => {
    const ap = await startScriptedAutopilot({ sysid: 1 });
    ap.onMessage(() => {});
    const opened = await openLink(ap.url);
    if (!opened.ok) throw new Error(opened.error.message);
    const link = opened.value;
    const clock = new WallClock();
    const v1 = createMavlinkVehiclePort({ id: 'v1', link, clock, targetSystem: 1, speedFactor: 10 });
    const v2 = createMavlinkVehiclePort({ id: 'v2', link, clock, targetSystem: 2, speedFactor: 10 });
    const beat2 = setInterval(() => ap.send(px4Heartbeat(), { sysid: 2 }), 50);
    cleanup.push(() => ap.close(), () => link.close(), () => v1.dispose(), () => v2.dispose(), () => clearInterval(beat2));
    const [r1, r2] = await Promise.all([v1.connect(), v2.connect()]);
    expect([r1.ok, r2.ok]).toEqual([true, true]);
    const from = ap.received.length;
    await new Promise((r) => setTimeout(r, 1000));
    const window = ap.received.slice(from).filter((r) => r.frame.sysid === 245 && r.frame.compid === 190);
    // Our period is 1000 ms / speed factor 10 = 100 ms: ~10 heartbeats in 1 s, not ~20.
    const beats = window.filter((r) => r.msg instanceof minimal.Heartbeat).length;
    expect(beats).toBeGreaterThanOrEqual(7);
    expect(beats).toBeLessThanOrEqual(13);
    // One sequence counter: every frame of ours follows the previous one (loopback loses none).
    const all = ap.received.filter((r) => r.frame.sysid === 245 && r.frame.compid === 190).map((r) => r.frame.seq);
    expect(all.length).toBeGreaterThan(20);
    const breaks = all.slice(1).filter((s, i) => s !== ((all[i]! + 1) & 0xff)).length;
    expect(breaks).toBe(0);
    // Commands of both sessions go out on that one counter too.
    expect(ap.received.some((r) => r.msg instanceof common.CommandLong && (r.msg as common.CommandLong).targetSystem === 2)).toBe(true);
    // The heartbeat goes on while one session remains, and stops with the last.
    await v1.dispose();
    const n1 = ap.received.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(ap.received.slice(n1).filter((r) => r.msg instanceof minimal.Heartbeat).length).toBeGreaterThanOrEqual(2);
    await v2.dispose();
    await new Promise((r) => setTimeout(r, 50));
    const n2 = ap.received.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(ap.received.slice(n2).filter((r) => r.msg instanceof minimal.Heartbeat)).toHaveLength(0);
  });
});
