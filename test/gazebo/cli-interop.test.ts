/**
 * Our Gazebo transport client against Gazebo's own transport CLI (Ignition Transport 11, Debian's
 * ignition-transport-cli) on this machine: each test in its own partition.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGzNode, type GzNode } from '../../hardware/sim/gazebo/gz-node.js';
import { gzCliAvailable, runCli, uniquePartition, until, zmqAvailable } from './support/gz-cli.js';

const cli = gzCliAvailable() && zmqAvailable;
const nodes: GzNode[] = [];

async function node(partition: string): Promise<GzNode> {
  const n = await createGzNode({ partition });
  if (!n.ok) throw new Error(`${n.error.code}: ${n.error.message}`);
  nodes.push(n.value);
  return n.value;
}

/**
 * `ign service -r` with StringMsg types. The C++ requester connects, sleeps 100 ms and sends once;
 * if the ZeroMQ handshake has not finished by then (a loaded machine), the send fails silently
 * inside the CLI and it prints "Service call timed out". Such a run is retried (at most 3 runs).
 */
async function cliRequest(partition: string, data: string) {
  for (let attempt = 1; ; attempt++) {
    const run = runCli('service', ['-s', '/owt/echo', '--reqtype', 'ignition.msgs.StringMsg', '--reptype', 'ignition.msgs.StringMsg', '--timeout', '3000', '-r', `data: "${data}"`], partition);
    await run.done;
    if (!run.stderr.includes('timed out') || attempt === 3) return run;
  }
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

describe.skipIf(!cli)('Gazebo transport CLI interop (ign topic / ign service, transport 11)', () => {
  it('a Pose we publish is echoed by `ign topic -e`', async () => {
    const partition = uniquePartition('echo');
    const n = await node(partition);
    const pub = n.advertise('/owt/pose', 'Pose');
    if (!pub.ok) throw new Error(pub.error.message);
    const echo = runCli('topic', ['-e', '-t', '/owt/pose', '-n', '1'], partition);
    // The CLI registers with our publisher (NEW_CONNECTION) before we send: Gazebo publishers only send to registered subscribers.
    await until(() => pub.value.hasConnections(), 8000, 'the CLI subscriber to register');
    const sent = await pub.value.publish({ name: 'uav-1', position: { x: 1.5, y: -2, z: 30 }, orientation: { w: 1 } });
    expect(sent.ok).toBe(true);
    // The CLI registers right after connect(), before its ZeroMQ handshake is done: on a loaded
    // machine that first message can be lost to the slow-joiner effect, so re-send until it prints.
    const again = setInterval(() => void pub.value.publish({ name: 'uav-1', position: { x: 1.5, y: -2, z: 30 }, orientation: { w: 1 } }), 500);
    const code = await echo.done.finally(() => clearInterval(again));
    expect(code).toBe(0);
    expect(echo.stdout).toContain('name: "uav-1"');
    expect(echo.stdout).toMatch(/position \{\s*x: 1\.5\s*y: -2\s*z: 30\s*\}/);
  });

  it('a message published with `ign topic -p` arrives at our subscriber, decoded', async () => {
    const partition = uniquePartition('sub');
    const n = await node(partition);
    const got: { msg: Record<string, unknown>; topic: string; type: string }[] = [];
    const sub = n.subscribe('/owt/cmd', (msg, info) => got.push({ msg, topic: info.topic, type: info.type }), { type: 'StringMsg' });
    expect(sub.ok).toBe(true);
    // `ign topic -p` publishes once, 800 ms after advertising, and exits at once with ZeroMQ linger 0:
    // the message is sometimes dropped before it leaves the process (CLI → CLI here: 14 of 20
    // delivered). So up to 6 tries; each one registers with a new CLI process.
    for (let attempt = 0; attempt < 6 && got.length === 0; attempt++) {
      const p = runCli('topic', ['-t', '/owt/cmd', '-m', 'ignition.msgs.StringMsg', '-p', 'data: "takeoff"'], partition);
      expect(await p.done).toBe(0);
      await until(() => got.length > 0, 500, 'the CLI message').catch(() => undefined);
    }
    expect(got[0]).toEqual({ msg: expect.objectContaining({ data: 'takeoff' }), topic: '/owt/cmd', type: 'ignition.msgs.StringMsg' });
  });

  it('`ign topic -l` lists our topic and `ign topic -i` names our address and type; we list the CLI publisher', async () => {
    const partition = uniquePartition('list');
    const n = await node(partition);
    const pub = n.advertise('/owt/listed', 'Clock');
    expect(pub.ok).toBe(true);
    const l = runCli('topic', ['-l'], partition);
    expect(await l.done).toBe(0);
    expect(l.stdout.split('\n')).toContain('/owt/listed');
    const i = runCli('topic', ['-i', '-t', '/owt/listed'], partition);
    expect(await i.done).toBe(0);
    expect(i.stdout).toContain(n.address);
    expect(i.stdout).toContain('ignition.msgs.Clock');
    // Another partition does not see it.
    const other = runCli('topic', ['-l'], uniquePartition('other'));
    await other.done;
    expect(other.stdout).not.toContain('/owt/listed');
    // And we see the CLI's publisher while it lives.
    const p = runCli('topic', ['-t', '/owt/from_cli', '-m', 'ignition.msgs.Boolean', '-p', 'data: true'], partition);
    await until(() => n.topicList().includes('/owt/from_cli'), 5000, 'the CLI topic in our list');
    await p.done;
  });

  it('`ign service -r` reaches our responder and prints its answer; a failed call is reported as such', async () => {
    const partition = uniquePartition('srv');
    const n = await node(partition);
    const seen: unknown[] = [];
    const adv = n.advertiseService('/owt/echo', 'StringMsg', 'StringMsg', (req) => {
      seen.push(req.data);
      return req.data === 'fail' ? { ok: false } : { ok: true, response: { data: `echo: ${String(req.data)}` } };
    });
    expect(adv.ok).toBe(true);
    const s = await cliRequest(partition, 'ping');
    expect(s.stdout).toContain('data: "echo: ping"');
    const f = await cliRequest(partition, 'fail');
    expect(f.stdout).toContain('Service call failed');
    expect(seen).toEqual(expect.arrayContaining(['ping', 'fail']));
    // The CLI processes have exited: we stopped reconnecting to their response sockets.
    await until(() => n.connections().requesters === 0, 3000, 'connections to finished CLI requesters to close');
    const l = runCli('service', ['-l'], partition);
    await l.done;
    expect(l.stdout.split('\n')).toContain('/owt/echo');
    const info = runCli('service', ['-i', '-s', '/owt/echo'], partition);
    await info.done;
    expect(info.stdout).toContain(n.replierAddress);
    expect(info.stdout).toContain('ignition.msgs.StringMsg');
    // Types must match, as in Gazebo: a request with another response type times out.
    const wrong = runCli('service', ['-s', '/owt/echo', '--reqtype', 'ignition.msgs.StringMsg', '--reptype', 'ignition.msgs.Boolean', '--timeout', '700', '-r', 'data: "x"'], partition);
    await wrong.done;
    expect(wrong.stderr).toContain('timed out');
    expect(seen).not.toContain('x');
  });

  it('works on loopback only (IGN_IP=127.0.0.1 on both sides): `ign topic -e` echoes us, our address is 127.0.0.1', async () => {
    const partition = uniquePartition('lo');
    const created = await createGzNode({ partition, env: { ...process.env, IGN_IP: '127.0.0.1' } });
    if (!created.ok) throw new Error(created.error.message);
    const n = created.value;
    nodes.push(n);
    expect(n.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const pub = n.advertise('/owt/lo', 'StringMsg');
    if (!pub.ok) throw new Error(pub.error.message);
    const echo = runCli('topic', ['-e', '-t', '/owt/lo', '-n', '1'], partition, { IGN_IP: '127.0.0.1' });
    await until(() => pub.value.hasConnections(), 8000, 'the CLI subscriber to register over loopback');
    await pub.value.publish({ data: 'over lo' });
    expect(await echo.done).toBe(0);
    expect(echo.stdout).toContain('data: "over lo"');
  });

  it('the CLI cannot offer a service: our request to a service nobody offers times out with GZ.SERVICE_TIMEOUT', async () => {
    const partition = uniquePartition('nosrv');
    const n = await node(partition);
    const r = await n.request('/owt/nobody', 'StringMsg', { data: 'x' }, 'StringMsg', 400);
    expect(r.ok ? 'ok' : r.error.code).toBe('GZ.SERVICE_TIMEOUT');
  });
});

describe.skipIf(cli)('Gazebo transport CLI interop', () => {
  it.skip('skipped: ignition-transport-cli (/usr/libexec/ignition/transport11) not installed (scripts/install-test-deps.sh) or zeromq not loadable', () => {});
});
