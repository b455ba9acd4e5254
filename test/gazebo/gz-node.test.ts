/**
 * Two of our nodes on the real network stack (UDP multicast discovery, ZeroMQ over TCP), and bad
 * input from the wire: malformed discovery datagrams, undecodable protobuf bytes, malformed
 * ZeroMQ frames, peers that vanish mid-handshake or without a BYE.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeDiscovery, GZ_UNTHROTTLED, GZ_WIRE_VERSION } from '../../hardware/sim/gazebo/discovery-codec.js';
import { GZ_DISCOVERY_GROUP, GZ_MSG_DISCOVERY_PORT } from '../../hardware/sim/gazebo/discovery.js';
import { gzMessages } from '../../hardware/sim/gazebo/gz-messages.js';
import { createGzNode, type GzNode } from '../../hardware/sim/gazebo/gz-node.js';
import { gzHostAddress, gzInterfaces } from '../../hardware/sim/gazebo/net-interfaces.js';
import { uniquePartition, until, zmqAvailable } from './support/gz-cli.js';

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

/** Sends raw datagrams to the discovery group, as another host would. */
async function multicast(datagrams: Uint8Array[], port = GZ_MSG_DISCOVERY_PORT): Promise<void> {
  const s = dgram.createSocket('udp4');
  const iface = gzInterfaces()[0]!;
  await new Promise<void>((r) => s.bind(0, iface, () => r()));
  s.setMulticastInterface(iface);
  for (const d of datagrams) await new Promise<void>((r) => s.send(d, port, GZ_DISCOVERY_GROUP, () => r()));
  s.close();
}

describe.skipIf(!zmqAvailable)('GzNode ↔ GzNode', () => {
  it('publishes a Pose_V to a subscriber in another node, and stops after unsubscribe', async () => {
    const partition = uniquePartition('pubsub');
    const [a, b] = [await node(partition), await node(partition)];
    const pub = a.advertise('/world/w/pose/info', 'Pose_V');
    if (!pub.ok) throw new Error(pub.error.message);
    const got: Record<string, unknown>[] = [];
    const unsub = b.subscribe('/world/w/pose/info', (m) => got.push(m), { type: 'Pose_V' });
    if (!unsub.ok) throw new Error(unsub.error.message);
    await until(() => pub.value.hasConnections(), 5000, 'registration');
    await until(() => {
      void pub.value.publish({ pose: [{ name: 'uav-1', position: { x: 1, y: 2, z: 3 } }, { name: 'uav-2' }] });
      return got.length > 0;
    }, 3000, 'delivery');
    expect(got[0]).toMatchObject({ pose: [{ name: 'uav-1', position: { x: 1, y: 2, z: 3 } }, { name: 'uav-2' }] });
    unsub.value();
    await until(() => !pub.value.hasConnections(), 3000, 'END_CONNECTION');
    const before = got.length;
    await pub.value.publish({ pose: [] });
    await new Promise((r) => setTimeout(r, 100));
    expect(got.length).toBe(before);
  });

  it('follows a publisher that restarts (BYE, then a new process on the same topic)', async () => {
    const partition = uniquePartition('restart');
    const b = await node(partition);
    const got: unknown[] = [];
    b.subscribe('/clock', (m) => got.push((m.sim as { sec: number }).sec), { type: 'Clock' });
    for (const sec of [1, 2]) {
      const a = await createGzNode({ partition });
      if (!a.ok) throw new Error('node');
      const pub = a.value.advertise('/clock', 'Clock');
      if (!pub.ok) throw new Error('adv');
      await until(() => pub.value.hasConnections(), 5000, `registration ${sec}`);
      await pub.value.publish({ sim: { sec } });
      await until(() => got.includes(sec), 3000, `clock ${sec}`);
      await a.value.close(); // BYE
      await until(() => b.topicList().length === 0, 2000, 'the BYE');
      expect(b.connections().publishers).toBe(0); // no reconnecting to the dead PUB socket
    }
    expect(got).toEqual([1, 2]);
  });

  it('does not cross partitions', async () => {
    const a = await node(uniquePartition('pa'));
    const b = await node(uniquePartition('pb'));
    const pub = a.advertise('/shared', 'StringMsg');
    if (!pub.ok) throw new Error('adv');
    const got: unknown[] = [];
    b.subscribe('/shared', (m) => got.push(m));
    await new Promise((r) => setTimeout(r, 300));
    await pub.value.publish({ data: 'x' });
    await new Promise((r) => setTimeout(r, 100));
    expect(pub.value.hasConnections()).toBe(false);
    expect(got).toEqual([]);
    expect(b.topicList()).not.toContain('/shared');
  });

  it('calls services: answer, failure, one-way, type mismatch and local', async () => {
    const partition = uniquePartition('srv');
    const [a, b] = [await node(partition), await node(partition)];
    const oneway: unknown[] = [];
    a.advertiseService('/add', 'Int32', 'Int32', (req) => ({ ok: true, response: { data: Number(req.data) + 1 } }));
    a.advertiseService('/nope', 'Empty', 'Boolean', () => ({ ok: false }));
    a.advertiseService('/fire', 'StringMsg', 'Empty', (req) => (oneway.push(req.data), { ok: true }));
    expect(await b.request('/add', 'Int32', { data: 41 }, 'Int32', 3000)).toMatchObject({ ok: true, value: { data: 42 } });
    const nope = await b.request('/nope', 'Empty', {}, 'Boolean', 3000);
    expect(nope.ok ? 'ok' : nope.error.code).toBe('GZ.SERVICE_FAILED');
    expect((await b.request('/fire', 'StringMsg', { data: 'go' }, 'Empty', 3000)).ok).toBe(true);
    await until(() => oneway.length === 1, 2000, 'one-way request');
    const mismatch = await b.request('/add', 'Int32', { data: 1 }, 'StringMsg', 300);
    expect(mismatch.ok ? 'ok' : mismatch.error.code).toBe('GZ.SERVICE_TIMEOUT');
    expect(await a.request('/add', 'Int32', { data: 1 }, 'Int32')).toMatchObject({ ok: true, value: { data: 2 } });
    expect(b.serviceList()).toEqual(['/add', '/fire', '/nope']);
  });

  it('speaks Garden+ type names (gz.msgs.*) when asked; a generic subscriber decodes them', async () => {
    const partition = uniquePartition('garden');
    const g = await createGzNode({ partition, typePackage: 'gz.msgs' });
    if (!g.ok) throw new Error(g.error.message);
    nodes.push(g.value);
    const b = await node(partition);
    const pub = g.value.advertise('/garden/pose', 'Pose');
    if (!pub.ok) throw new Error(pub.error.message);
    expect(pub.value.type).toBe('gz.msgs.Pose');
    const got: { name: unknown; type: string }[] = [];
    b.subscribe('/garden/pose', (m, info) => got.push({ name: m.name, type: info.type }));
    await until(() => pub.value.hasConnections(), 5000, 'registration');
    await pub.value.publish({ name: 'harmonic' });
    await until(() => got.length === 1, 3000, 'delivery');
    expect(got[0]).toEqual({ name: 'harmonic', type: 'gz.msgs.Pose' });
  });

  it('refuses bad names and unknown types with codes', async () => {
    const a = await node(uniquePartition('names'));
    const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code);
    expect(code(a.advertise('bad topic', 'Pose'))).toBe('GZ.INVALID_TOPIC');
    expect(code(a.advertise('/t@x', 'Pose'))).toBe('GZ.INVALID_TOPIC');
    expect(code(a.advertise('/t', 'NoSuchMsg'))).toBe('GZ.UNKNOWN_TYPE');
    expect(code(a.subscribe('//t', () => {}))).toBe('GZ.INVALID_TOPIC');
    const pub = a.advertise('/t', 'Pose');
    expect(code(a.advertise('/t', 'Pose'))).toBe('GZ.ALREADY_ADVERTISED');
    if (!pub.ok) throw new Error('adv');
    expect(code(await pub.value.publish({ position: { x: 'not a number' } }))).toBe('GZ.ENCODE_FAILED');
  });
});

describe.skipIf(!zmqAvailable)('bad input from the wire', () => {
  it('drops undecodable protobuf bytes with GZ.DECODE_FAILED and keeps delivering good messages', async () => {
    const partition = uniquePartition('badpb');
    const [a, b] = [await node(partition), await node(partition)];
    const pub = a.advertise('/chatter', 'StringMsg');
    if (!pub.ok) throw new Error('adv');
    const got: unknown[] = [];
    const errors: string[] = [];
    b.subscribe('/chatter', (m) => got.push(m.data), { type: 'StringMsg', onError: (e) => errors.push(e.code) });
    await until(() => pub.value.hasConnections(), 5000, 'registration');
    await pub.value.publishRaw(new Uint8Array([0x12, 0x40, 0x41])); // string field claiming 64 bytes, 1 present
    await pub.value.publishRaw(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])); // runaway varint
    await pub.value.publish({ data: 'still here' });
    await until(() => got.length === 1, 3000, 'the good message');
    expect(got).toEqual(['still here']);
    expect(errors).toEqual(['GZ.DECODE_FAILED', 'GZ.DECODE_FAILED']);
    expect(b.stats.dropped['GZ.DECODE_FAILED']).toBe(2);
  });

  it('drops malformed discovery datagrams (counted, with the reason) and keeps working', async () => {
    const partition = uniquePartition('baddisc');
    const [a, b] = [await node(partition), await node(partition)];
    const valid = encodeDiscovery(gzMessages(), { version: GZ_WIRE_VERSION, processUuid: 'x', type: 'HEARTBEAT' });
    if (!valid.ok) throw new Error('enc');
    const oldVersion = encodeDiscovery(gzMessages(), { version: 9, processUuid: 'x', type: 'HEARTBEAT' });
    if (!oldVersion.ok) throw new Error('enc');
    await multicast([
      new Uint8Array([1]),
      Buffer.from('garbage that is not a discovery message'),
      valid.value.subarray(0, valid.value.length - 1),
      Buffer.from([3, 0, 0x3a, 0x05, 0x0a]), // pub field claiming 5 bytes, none present
      oldVersion.value,
    ]);
    await until(() => (b.msgDiscovery.stats.rejected['GZ.DISCOVERY_LENGTH'] ?? 0) >= 2, 3000, 'rejections');
    expect(b.msgDiscovery.stats.rejected).toMatchObject({ 'GZ.DISCOVERY_SHORT': 1, 'GZ.DISCOVERY_DECODE': 1 });
    expect(b.msgDiscovery.stats.otherVersion).toBeGreaterThanOrEqual(1);
    expect(b.msgDiscovery.stats.lastError?.message.length).toBeGreaterThan(0);
    const pub = a.advertise('/after', 'Boolean');
    if (!pub.ok) throw new Error('adv');
    const got: unknown[] = [];
    b.subscribe('/after', (m) => got.push(m.data));
    await until(() => pub.value.hasConnections(), 5000, 'registration');
    await pub.value.publish({ data: true });
    await until(() => got.length === 1, 3000, 'delivery after bad datagrams');
  });

  it('drops a data message with the wrong number of ZeroMQ frames (GZ.MALFORMED_FRAMES)', async () => {
    const partition = uniquePartition('frames');
    const b = await node(partition);
    const zmq = await import('zeromq');
    const rogue = new zmq.Publisher({ linger: 0 });
    await rogue.bind(`tcp://${gzHostAddress()}:*`);
    const fq = `@/${partition}@/rogue`;
    const proc = randomUUID();
    const adv = encodeDiscovery(gzMessages(), {
      version: GZ_WIRE_VERSION,
      processUuid: proc,
      type: 'ADVERTISE',
      pub: { topic: fq, address: rogue.lastEndpoint!, processUuid: proc, nodeUuid: randomUUID(), scope: 'ALL', msg: { ctrl: 'unused', msgType: 'ignition.msgs.StringMsg', throttled: false, msgsPerSec: GZ_UNTHROTTLED } },
    });
    if (!adv.ok) throw new Error('enc');
    const got: unknown[] = [];
    b.subscribe('/rogue', (m) => got.push(m.data));
    await multicast([adv.value]);
    const good = gzMessages().encode('StringMsg', { data: 'ok' });
    if (!good.ok) throw new Error('enc');
    await until(() => {
      void rogue.send([fq, 'tcp://x', good.value, 'ignition.msgs.StringMsg']);
      return got.length > 0;
    }, 5000, 'the rogue publisher to be connected');
    const before = got.length;
    await rogue.send([fq, 'only two frames']);
    await rogue.send([fq, 'a', 'b', 'c', 'd', 'e', 'f']);
    await rogue.send([fq, 'tcp://x', good.value, 'ignition.msgs.StringMsg']);
    await until(() => got.length > before, 3000, 'the good message after bad frames');
    expect(b.stats.dropped['GZ.MALFORMED_FRAMES']).toBe(2);
    rogue.close();
  });

  it('survives peers that vanish mid-handshake on its ZeroMQ ports', async () => {
    const partition = uniquePartition('vanish');
    const [a, b] = [await node(partition), await node(partition)];
    a.advertiseService('/ping', 'Empty', 'Boolean', () => ({ ok: true, response: { data: true } }));
    const endpoints = [a.address, a.replierAddress, a.responseAddress];
    // ZMTP 3.0 greeting (signature, version, NULL mechanism), cut off halfway / followed by garbage.
    const greeting = Buffer.concat([Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0]), Buffer.from('NULL'), Buffer.alloc(16), Buffer.from([0]), Buffer.alloc(31)]);
    for (const ep of endpoints) {
      const [host, port] = ep.replace('tcp://', '').split(':');
      for (const payload of [greeting.subarray(0, 20), Buffer.concat([greeting, Buffer.from([0x04, 0x40, 5, 0x52])]), Buffer.from('GET / HTTP/1.0\r\n\r\n')]) {
        await new Promise<void>((resolve) => {
          const s = net.connect(Number(port), host!, () => {
            s.write(payload, () => s.destroy());
          });
          s.on('close', () => resolve());
          s.on('error', () => resolve());
        });
      }
    }
    expect(await b.request('/ping', 'Empty', {}, 'Boolean', 3000)).toMatchObject({ ok: true, value: { data: true } });
  });

  it('a responder that vanishes mid-call: the request ends with GZ.SERVICE_TIMEOUT, the requester keeps working', async () => {
    const partition = uniquePartition('midcall');
    const a = await createGzNode({ partition });
    if (!a.ok) throw new Error('node');
    const b = await node(partition);
    const c = await node(partition);
    let called = 0;
    a.value.advertiseService('/slow', 'Empty', 'Boolean', () => {
      called++;
      return new Promise<never>(() => {}); // never answers
    });
    c.advertiseService('/fine', 'Empty', 'Boolean', () => ({ ok: true, response: { data: true } }));
    const pending = b.request('/slow', 'Empty', {}, 'Boolean', 1500);
    await until(() => called === 1, 3000, 'the request to arrive');
    await a.value.close(); // gone with the request in hand
    const r = await pending;
    expect(r.ok ? 'ok' : r.error.code).toBe('GZ.SERVICE_TIMEOUT');
    expect(await b.request('/fine', 'Empty', {}, 'Boolean', 3000)).toMatchObject({ ok: true, value: { data: true } });
  });

  it('forgets a peer that said BYE at once, and one that fell silent after 3 s', async () => {
    const partition = uniquePartition('silent');
    const b = await node(partition);
    const ghost = (proc: string, topic: string) =>
      encodeDiscovery(gzMessages(), {
        version: GZ_WIRE_VERSION,
        processUuid: proc,
        type: 'ADVERTISE',
        pub: { topic: `@/${partition}@${topic}`, address: 'tcp://127.0.0.1:9', processUuid: proc, nodeUuid: 'n', scope: 'ALL', msg: { ctrl: 'unused', msgType: 'ignition.msgs.Pose', throttled: false, msgsPerSec: GZ_UNTHROTTLED } },
      });
    const [p1, p2] = [randomUUID(), randomUUID()];
    const g1 = ghost(p1, '/ghost/bye');
    const g2 = ghost(p2, '/ghost/silent');
    const bye = encodeDiscovery(gzMessages(), { version: GZ_WIRE_VERSION, processUuid: p1, type: 'BYE' });
    if (!g1.ok || !g2.ok || !bye.ok) throw new Error('enc');
    await multicast([g1.value, g2.value]);
    await until(() => b.topicList().length === 2, 3000, 'both ghosts listed');
    const t0 = performance.now();
    await multicast([bye.value]);
    await until(() => !b.topicList().includes('/ghost/bye'), 1000, 'BYE');
    await until(() => !b.topicList().includes('/ghost/silent'), 5000, 'silence expiry');
    expect(performance.now() - t0).toBeGreaterThan(2000);
  });
});

describe.skipIf(!zmqAvailable)('opening a node', () => {
  it('reports GZ.BIND_FAILED for an IGN_IP that is not an address of this host (TEST-NET-1)', async () => {
    const r = await createGzNode({ partition: uniquePartition('bind'), env: { ...process.env, IGN_IP: '192.0.2.254' } });
    expect(r.ok ? 'ok' : r.error.code).toBe('GZ.BIND_FAILED');
  });
});
