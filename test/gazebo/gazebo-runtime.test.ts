/**
 * What the runtime uses from Gazebo: the `gazebo` clock source following /clock, the pose feed
 * from /world/<w>/pose/info as a vehicle pose source, and the twin's poses published for Gazebo
 * tools (checked with `ign topic -e` when the CLI is installed).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { GazeboClock } from '../../hardware/sim/gazebo/gazebo-clock.adapter.js';
import { eulerToQuaternion, GazeboPoseFeed, quaternionToEuler } from '../../hardware/sim/gazebo/gazebo-pose-feed.js';
import { createGzNode, type GzNode, type GzPublisher } from '../../hardware/sim/gazebo/gz-node.js';
import { modelTopic, startTwinPosePublisher, type TwinPoseView } from '../../hardware/sim/gazebo/twin-pose-publisher.js';
import { gzCliAvailable, runCli, uniquePartition, until, zmqAvailable } from './support/gz-cli.js';

const nodes: GzNode[] = [];
async function node(partition: string): Promise<GzNode> {
  const n = await createGzNode({ partition });
  if (!n.ok) throw new Error(`${n.error.code}: ${n.error.message}`);
  nodes.push(n.value);
  return n.value;
}
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function connected(pub: GzPublisher): Promise<void> {
  await until(() => pub.hasConnections(), 5000, `a subscriber on ${pub.topic}`);
}

describe.skipIf(!zmqAvailable)('gazebo clock source', () => {
  it('follows /world/<w>/clock: now() is Gazebo sim time, timers fire in order as it passes them', async () => {
    const partition = uniquePartition('clock');
    const [gz, twin] = [await node(partition), await node(partition)];
    const c = GazeboClock.follow(twin, { world: 'demo' });
    if (!c.ok) throw new Error(c.error.message);
    const clock = c.value;
    const pub = gz.advertise('/world/demo/clock', 'Clock');
    if (!pub.ok) throw new Error('adv');
    await connected(pub.value);
    const tick = (sec: number, nsec: number) => pub.value.publish({ sim: { sec, nsec }, real: { sec: 999 } });
    await tick(10, 500_000_000);
    await until(() => clock.synced, 2000, 'first clock message');
    expect(clock.now()).toBe(10_500);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => {
      fired.push(`a@${clock.now()}`);
      clock.setTimeout(() => fired.push(`a2@${clock.now()}`), 0);
    }, 100);
    const cancelled = clock.setTimeout(() => fired.push('never'), 150);
    clock.clearTimeout(cancelled);
    const run = clock.run({ until: 10_800 });
    await tick(10, 550_000_000); // +50 ms: nothing due
    await tick(10, 800_000_000); // +300 ms: a (due 10 600), b (10 700), then a2 (armed by a for 10 800)
    await run;
    expect(fired).toEqual(['a@10800', 'b@10800', 'a2@10800']);
    // World reset: time goes back, counted; a malformed clock (no sim field) is rejected.
    await tick(0, 0);
    await until(() => clock.stats.resets === 1, 2000, 'reset');
    expect(clock.now()).toBe(0);
    await pub.value.publish({ real: { sec: 1 } });
    await until(() => clock.stats.rejected === 1, 2000, 'rejection');
    expect(clock.lastError?.code).toBe('GZ.CLOCK_NO_TIME');
    expect(clock.now()).toBe(0);
    clock.dispose();
  });

  it.skipIf(!gzCliAvailable())('follows /clock published by `ign topic -p`', async () => {
    const partition = uniquePartition('clockcli');
    const twin = await node(partition);
    const c = GazeboClock.follow(twin);
    if (!c.ok) throw new Error(c.error.message);
    // The CLI's one-shot publish can be lost on its exit (see cli-interop.test.ts): a few tries.
    for (let i = 0; i < 6 && !c.value.synced; i++) {
      await runCli('topic', ['-t', '/clock', '-m', 'ignition.msgs.Clock', '-p', 'sim: {sec: 42, nsec: 250000000}'], partition).done;
      await until(() => c.value.synced, 500, 'clock').catch(() => undefined);
    }
    expect(c.value.now()).toBe(42_250);
  });

  it("`twin` mode (the runtime's clock): 0 at the first Clock, timers at their due time, a backwards clock reported and held", async () => {
    const partition = uniquePartition('clocktwin');
    const [gz, twin] = [await node(partition), await node(partition)];
    const errors: string[] = [];
    const c = GazeboClock.follow(twin, { world: 'w', mode: 'twin', onError: (e) => errors.push(e.code) });
    if (!c.ok) throw new Error(c.error.message);
    const clock = c.value;
    const pub = gz.advertise('/world/w/clock', 'Clock');
    if (!pub.ok) throw new Error('adv');
    await connected(pub.value);
    const tick = async (ms: number) => {
      const n = clock.stats.messages + clock.stats.rejected;
      await pub.value.publish({ sim: { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 } });
      await until(() => clock.stats.messages + clock.stats.rejected > n, 2000, `clock ${ms}`);
    };
    await tick(100_000);
    expect([clock.now(), clock.simNow(), clock.origin_ms]).toEqual([0, 100_000, 100_000]);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 250);
    await tick(100_300);
    expect(fired).toEqual(['a@100', 'b@250']);
    expect(clock.now()).toBe(300);
    // World reset: Gazebo goes back to 90 s; the twin's time holds at 300 ms, then advances with it.
    await tick(90_000);
    expect(errors).toEqual(['GZ.CLOCK_BACKWARDS']);
    expect(clock.lastError?.message).toMatch(/went back from 100\.300 s to 90\.000 s/);
    expect(clock.now()).toBe(300);
    await tick(90_500);
    expect(clock.now()).toBe(800);
    await pub.value.publish({ real: { sec: 1 } });
    await until(() => errors.length === 2, 2000, 'rejection');
    expect(errors[1]).toBe('GZ.CLOCK_NO_TIME');
    expect(clock.now()).toBe(800);
    // Bytes that are no Clock: reported, dropped; time unchanged and still following.
    await pub.value.publishRaw(Uint8Array.from([0x0a, 0xff, 0xff, 0xff]));
    await until(() => errors.length === 3, 2000, 'undecodable');
    expect(errors[2]).toBe('GZ.DECODE_FAILED');
    await tick(91_000);
    expect(clock.now()).toBe(1300);
    clock.dispose();
  });
});

describe('gazebo pose feed', () => {
  it('quaternion ↔ Euler (Z-Y-X) round trip', () => {
    const q = eulerToQuaternion(0.1, -0.2, 1.2);
    const e = quaternionToEuler(q);
    expect(e.roll).toBeCloseTo(0.1, 12);
    expect(e.pitch).toBeCloseTo(-0.2, 12);
    expect(e.yaw).toBeCloseTo(1.2, 12);
  });

  it.skipIf(!zmqAvailable)('keeps the last pose of each model from /world/<w>/pose/info and serves it as a vehicle pose source', async () => {
    const partition = uniquePartition('pose');
    const [gz, twin] = [await node(partition), await node(partition)];
    const f = GazeboPoseFeed.follow(twin, { world: 'field' });
    if (!f.ok) throw new Error(f.error.message);
    const feed = f.value;
    const pub = gz.advertise('/world/field/pose/info', 'Pose_V');
    if (!pub.ok) throw new Error('adv');
    await connected(pub.value);
    // x500 at 100 m east, 50 m north, 20 m up, yawed 90° ENU (nose north), FLU pitch +10° (nose down).
    const q = eulerToQuaternion(0, (10 * Math.PI) / 180, Math.PI / 2);
    await pub.value.publish({
      header: { stamp: { sec: 3, nsec: 500_000_000 } },
      pose: [{ name: 'x500', id: 9, position: { x: 100, y: 50, z: 20 }, orientation: q }, { name: 'ground_plane' }],
    });
    await until(() => feed.messages === 1, 2000, 'poses');
    expect(feed.models()).toEqual(['ground_plane', 'x500']);
    expect(feed.pose('ground_plane')?.orientation).toEqual({ x: 0, y: 0, z: 0, w: 1 });
    const origin = { lat_deg: 47.3977, lon_deg: 8.5456, alt_m: 488 };
    const p = feed.poseSource('x500', origin).pose()!;
    expect(p.t_ms).toBe(3500);
    expect(p.position.alt_m).toBeCloseTo(508, 6);
    expect((p.position.lat_deg - origin.lat_deg) * 111_195).toBeCloseTo(50, 0);
    expect(p.position.lon_deg).toBeGreaterThan(origin.lon_deg);
    expect(p.attitude_deg.yaw).toBeCloseTo(0, 6); // north
    expect(p.attitude_deg.pitch).toBeCloseTo(-10, 6); // FRD: nose down is negative
    expect(p.attitude_deg.roll).toBeCloseTo(0, 6);
    expect(feed.poseSource('nobody', origin).pose()).toBeUndefined();
  });
});

describe.skipIf(!zmqAvailable)('the twin on Gazebo transport', () => {
  const view = (clock: VirtualClock): TwinPoseView => ({
    vehicleIds: ['uav-1', 'uav-2'],
    clock,
    latest: (id) => (id === 'uav-1' ? { north_m: 10, east_m: 20, alt_m: 30, telemetry: { heading_deg: 90 } } : { north_m: -5, east_m: 0, alt_m: 0 }),
  });

  it('publishes each vehicle on /model/<id>/pose and all on /twin/pose/info at the clock rate', async () => {
    const partition = uniquePartition('twinpose');
    const [twin, gz] = [await node(partition), await node(partition)];
    const clock = new VirtualClock(1_000);
    const started = startTwinPosePublisher(twin, view(clock), { rate_hz: 5 });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.value.topics).toEqual(['/model/uav-1/pose', '/model/uav-2/pose', '/twin/pose/info']);
    const one: Record<string, unknown>[] = [];
    const all: Record<string, unknown>[] = [];
    gz.subscribe(modelTopic('uav-1'), (m) => one.push(m), { type: 'Pose' });
    gz.subscribe('/twin/pose/info', (m) => all.push(m), { type: 'Pose_V' });
    await until(() => gz.msgDiscovery.publishers(`@/${partition}@/twin/pose/info`).length > 0, 3000, 'discovery');
    await new Promise((r) => setTimeout(r, 300)); // registrations
    await clock.run({ until: 3_000 }); // 10 more rounds at 5 Hz
    await until(() => all.length > 0 && one.length > 0, 3000, 'poses');
    expect(started.value.rounds()).toBe(11);
    const last = one.at(-1)!;
    expect(last).toMatchObject({ name: 'uav-1', position: { x: 20, y: 10, z: 30 } });
    // Heading 90° (east) is ENU yaw 0: the identity quaternion.
    expect((last.orientation as { w: number }).w).toBeCloseTo(1, 12);
    expect(((all.at(-1)!.pose as unknown[]) ?? []).length).toBe(2);
    expect(twin.topicList()).toEqual(['/model/uav-1/pose', '/model/uav-2/pose', '/twin/pose/info']);
    started.value.stop();
  });

  it.skipIf(!gzCliAvailable())('`ign topic -l` lists the twin topics and `ign topic -e` echoes a vehicle pose', async () => {
    const partition = uniquePartition('twincli');
    const twin = await node(partition);
    const clock = new VirtualClock(0);
    const started = startTwinPosePublisher(twin, view(clock), { rate_hz: 10 });
    if (!started.ok) throw new Error(started.error.message);
    const l = runCli('topic', ['-l'], partition);
    await l.done;
    expect(l.stdout.split('\n')).toEqual(expect.arrayContaining(['/model/uav-1/pose', '/model/uav-2/pose', '/twin/pose/info']));
    const echo = runCli('topic', ['-e', '-t', '/model/uav-1/pose', '-n', '1'], partition);
    let t = 0;
    while (echo.child.exitCode === null && t < 5000) {
      await clock.run({ until: clock.now() + 100 });
      await new Promise((r) => setTimeout(r, 50));
      t += 50;
    }
    expect(await echo.done).toBe(0);
    expect(echo.stdout).toContain('name: "uav-1"');
    expect(echo.stdout).toMatch(/x: 20\s+y: 10\s+z: 30/);
    started.value.stop();
  });
});
