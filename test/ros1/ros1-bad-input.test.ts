/**
 * Bad input at every edge of the ROS 1 node, over real sockets: malformed and hostile TCPROS
 * connection headers (fast-check), wrong md5sums, oversized and truncated frames, peers that
 * vanish mid-message, and malformed XML-RPC. Each gets a clear error; the node keeps running and
 * a healthy connection next to it is undisturbed. No roscore needed: the master URI points at a
 * closed port, and the tests talk to the node's slave API and TCPROS port directly.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { request } from 'node:http';
import { XmlRpcClient, XmlRpcServer } from '@foxglove/xmlrpc';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRos1Node, type Publisher, type Ros1Node } from '../../hardware/real/ros/ros1/index.js';
import { BoundedHttpServer } from '../../hardware/real/ros/ros1/internal/http-server.js';
import { decodeHeader, encodeHeader } from '../../hardware/real/ros/ros1/internal/tcpros-header.js';
import { TypeRegistry } from '../../hardware/real/ros/ros1/internal/type-registry.js';
import { freePort, waitFor } from './ros1-harness.js';

const registry = new TypeRegistry();
const POSE = registry.message('geometry_msgs/PoseStamped');
const STRING = registry.message('std_msgs/String');
if (!POSE.ok || !STRING.ok) throw new Error('registry');
const pose = POSE.value;
const str = STRING.value;

function poseMsg(seq: number) {
  return {
    header: { seq, stamp: { sec: 1, nsec: 2 }, frame_id: 'map' },
    pose: { position: { x: seq, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
  };
}

/** Sends `bytes` on a fresh TCP connection, half-closes, and collects the reply until the node closes. */
function exchange(port: number, bytes: Uint8Array, opts: { halfClose?: boolean; waitMs?: number } = {}): Promise<{ reply: Buffer; closedByPeer: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closedByPeer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ reply: Buffer.concat(chunks), closedByPeer });
    };
    const t = setTimeout(() => finish(false), opts.waitMs ?? 3000);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('close', () => finish(true));
    s.on('error', (e) => (done ? undefined : reject(e)));
    s.write(bytes, () => {
      if (opts.halfClose ?? true) s.end();
    });
  });
}

/** Decodes a whole reply as one TCPROS header (`uint32 len` + fields). */
function replyHeader(reply: Buffer): Record<string, string> | undefined {
  if (reply.length < 4) return undefined;
  const len = reply.readUInt32LE(0);
  if (reply.length < 4 + len) return undefined;
  const h = decodeHeader(reply.subarray(4, 4 + len));
  return h.ok ? h.value : undefined;
}

/** A raw, well-behaved TCPROS subscriber counting the PoseStamped messages it receives. */
function rawSubscriber(port: number, topic: string): { received: number[]; header: Promise<Record<string, string>>; socket: Socket } {
  const socket = connect({ host: '127.0.0.1', port });
  const received: number[] = [];
  let buf = Buffer.alloc(0);
  let headerDone = false;
  let resolveHeader: (h: Record<string, string>) => void = () => undefined;
  const header = new Promise<Record<string, string>>((r) => (resolveHeader = r));
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < 4) return;
      const len = buf.readUInt32LE(0);
      if (buf.length < 4 + len) return;
      const body = buf.subarray(4, 4 + len);
      buf = buf.subarray(4 + len);
      if (!headerDone) {
        headerDone = true;
        const h = decodeHeader(body);
        resolveHeader(h.ok ? h.value : {});
      } else {
        received.push((pose.decode(body) as { header: { seq: number } }).header.seq);
      }
    }
  });
  socket.on('error', () => undefined);
  socket.write(encodeHeader({ callerid: '/raw_sub', topic, md5sum: pose.md5sum, type: pose.type }));
  return { received, header, socket };
}

describe('ROS 1 node: bad input over real sockets', () => {
  let node: Ros1Node;
  let tcprosPort: number;
  let pub: Publisher;
  let timer: NodeJS.Timeout;
  let seq = 0;

  beforeAll(async () => {
    const deadMaster = `http://127.0.0.1:${await freePort()}/`;
    node = await createRos1Node({ name: 'bad_input', masterUri: deadMaster, masterPollMs: 500, xmlrpcTimeoutMs: 500, maxMessageBytes: 4 * 1024 * 1024 });
    const p = node.advertise('/healthy', 'geometry_msgs/PoseStamped');
    if (!p.ok) throw new Error(p.error.message);
    pub = p.value;
    const r = (await new XmlRpcClient(node.uri).methodCall('requestTopic', ['/t', '/healthy', [['TCPROS']]])) as [number, string, [string, string, number]];
    tcprosPort = r[2][2];
    timer = setInterval(() => pub.publish(poseMsg(seq++)), 5);
  });

  afterAll(async () => {
    clearInterval(timer);
    await node?.shutdown();
  });

  it('arbitrary bytes and mangled headers on the TCPROS port: refused or closed; a healthy subscriber keeps receiving', async () => {
    const healthy = rawSubscriber(tcprosPort, '/healthy');
    expect((await healthy.header).md5sum).toBe(pose.md5sum);
    await waitFor(() => healthy.received.length > 5, 5000, 'healthy stream');

    const field = fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 })).map(([k, v]) => `${k}=${v}`);
    const headerish = fc
      .record({
        fields: fc.array(fc.oneof(field, fc.constantFrom('topic=/healthy', 'md5sum=*', 'service=/nope', 'topic=/healthy', 'callerid=/x', 'noequals')), { maxLength: 6 }),
        lie: fc.integer({ min: -8, max: 8 }),
      })
      .map(({ fields, lie }) => {
        const parts = fields.map((f) => Buffer.from(f));
        const body = Buffer.concat(parts.map((p) => Buffer.concat([u32(p.length + (lie % 3 === 0 ? lie : 0)), p])));
        return Buffer.concat([u32(Math.max(0, body.length + (lie % 2 === 0 ? 0 : lie))), body]);
      });
    const anyBytes = fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b));
    await fc.assert(
      fc.asyncProperty(fc.oneof(headerish, anyBytes), async (bytes) => {
        const { reply, closedByPeer } = await exchange(tcprosPort, bytes);
        const h = replyHeader(reply);
        if (h && h.error === undefined) {
          // a lucky valid subscription to /healthy with md5sum=*: the publisher handshake, then data
          expect(h.md5sum).toBe(pose.md5sum);
        } else {
          expect(closedByPeer).toBe(true);
          if (reply.length > 0) expect(h?.error, reply.toString('latin1')).toBeTruthy();
        }
      }),
      { numRuns: 60 },
    );
    const before = healthy.received.length;
    await waitFor(() => healthy.received.length > before + 5, 5000, 'healthy stream after the fuzzing');
    // the stream stayed in order: no frame of the healthy connection lost or corrupted
    for (let i = 1; i < healthy.received.length; i++) expect(healthy.received[i]).toBe(healthy.received[i - 1]! + 1);
    healthy.socket.destroy();
  }, 60_000);

  it('wrong md5sum: the ROS error header, then close; a wrong service md5sum likewise', async () => {
    const bad = encodeHeader({ callerid: '/liar', topic: '/healthy', md5sum: str.md5sum, type: 'std_msgs/String' });
    const { reply, closedByPeer } = await exchange(tcprosPort, bad, { halfClose: false });
    expect(closedByPeer).toBe(true);
    const h = replyHeader(reply);
    expect(h?.error).toContain('wants topic /healthy to have datatype/md5sum [std_msgs/String/992ce8a1687cec8c8bd883ec73ca41d1]');
    expect(h?.error).toContain(`our version has [geometry_msgs/PoseStamped/${pose.md5sum}]`);

    const srv = node.advertiseService('/bad_input/trigger', 'std_srvs/Trigger', async () => ({ success: true, message: 'ok' }));
    expect(srv.ok).toBe(true);
    const s = await exchange(tcprosPort, encodeHeader({ callerid: '/liar', service: '/bad_input/trigger', md5sum: '0123' }), { halfClose: false });
    expect(replyHeader(s.reply)?.error).toContain('md5sums do not match');
    const nosuch = await exchange(tcprosPort, encodeHeader({ callerid: '/x', topic: '/not/here', md5sum: '*' }), { halfClose: false });
    expect(replyHeader(nosuch.reply)?.error).toBe('this node does not provide topic [/not/here]');
    if (srv.ok) await srv.value.close();
  });

  it('oversized header length, malformed fields, and a silent peer are refused without harm', async () => {
    const huge = await exchange(tcprosPort, u32(0xfffffff0), { halfClose: false });
    expect(replyHeader(huge.reply)?.error).toMatch(/exceeds the \d+-byte limit/);
    const overrun = Buffer.concat([u32(8), u32(100), Buffer.from('abcd')]);
    const o = await exchange(tcprosPort, overrun, { halfClose: false });
    expect(replyHeader(o.reply)?.error).toMatch(/malformed connection header: field of 100 bytes/);
    const noEq = Buffer.concat([u32(9), u32(5), Buffer.from('topic')]);
    const n = await exchange(tcprosPort, noEq, { halfClose: false });
    expect(replyHeader(n.reply)?.error).toMatch(/malformed connection header: field without key=value/);
    const silent = await exchange(tcprosPort, Buffer.alloc(0), { halfClose: false, waitMs: 8000 });
    expect(silent.closedByPeer).toBe(true);
    expect(replyHeader(silent.reply)?.error).toMatch(/no connection header within/);
  }, 15_000);

  it('service requests that do not decode get ok=0 and an error; a peer vanishing mid-request disturbs nothing', async () => {
    let calls = 0;
    const srv = node.advertiseService('/bad_input/set', 'std_srvs/SetBool', async (req) => {
      calls += 1;
      return { success: req.data === true, message: 'set' };
    });
    expect(srv.ok).toBe(true);
    const sb = registry.service('std_srvs/SetBool');
    if (!sb.ok) throw new Error('SetBool');
    // a request frame of zero bytes (SetBool needs one)
    const zero = await exchange(
      tcprosPort,
      Buffer.concat([encodeHeader({ callerid: '/c', service: '/bad_input/set', md5sum: sb.value.md5sum }), u32(0)]),
      { halfClose: false, waitMs: 1000 },
    );
    const hlen = zero.reply.readUInt32LE(0);
    const rest = zero.reply.subarray(4 + hlen);
    expect(rest[0]).toBe(0);
    expect(rest.subarray(5).toString()).toMatch(/out of bounds|Offset|range/i);
    expect(calls).toBe(0);
    // vanishes after half a request
    await exchange(tcprosPort, Buffer.concat([encodeHeader({ callerid: '/c', service: '/bad_input/set', md5sum: sb.value.md5sum }), u32(10), Buffer.from([1])]), { waitMs: 300 });
    expect(calls).toBe(0);
    // a proper call still works: straight to the provider, since there is no master to look it up
    const good = await exchange(
      tcprosPort,
      Buffer.concat([encodeHeader({ callerid: '/c', service: '/bad_input/set', md5sum: sb.value.md5sum }), sb.value.request.encodeFramed({ data: true })]),
      { halfClose: false, waitMs: 1000 },
    );
    const g = good.reply.subarray(4 + good.reply.readUInt32LE(0));
    expect(g[0]).toBe(1);
    expect(sb.value.response.decode(g.subarray(5))).toEqual({ success: true, message: 'set' });
    expect(calls).toBe(1);
    if (srv.ok) await srv.value.close();
  });

  it('a misbehaving publisher: refused handshake, truncated and oversized frames, vanishing mid-message; good frames still arrive', async () => {
    type Behaviour = (s: Socket, attempt: number) => void;
    const fake = await fakePublisher('/from_fake', (s, attempt) => behaviours[Math.min(attempt, behaviours.length - 1)]!(s, attempt));
    const okHeader = encodeHeader({ callerid: '/fake', md5sum: pose.md5sum, type: pose.type, latching: '0', topic: '/from_fake' });
    const frame = (seqNo: number) => pose.encodeFramed(poseMsg(seqNo));
    const behaviours: Behaviour[] = [
      // 0: garbage instead of a header, then close
      (s) => s.end(Buffer.concat([u32(3), Buffer.from('xyz')])),
      // 1: a good header, a truncated message (dropped), a good one, then vanish mid-frame
      (s) => {
        s.write(okHeader);
        s.write(Buffer.concat([u32(10), Buffer.alloc(10, 7)]));
        s.write(frame(1));
        const f = frame(2);
        s.write(f.subarray(0, 20), () => s.destroy());
      },
      // 2: a good header then an oversized length
      (s) => {
        s.write(okHeader);
        s.write(frame(3));
        s.write(u32(0x7fffffff));
      },
      // 3+: behave
      (s) => {
        s.write(okHeader);
        s.write(frame(4));
        s.write(frame(5));
      },
    ];
    const got: number[] = [];
    const sub = node.subscribe('/from_fake', 'geometry_msgs/PoseStamped', (m) => got.push((m as { header: { seq: number } }).header.seq));
    expect(sub.ok).toBe(true);
    const slave = new XmlRpcClient(node.uri);
    const upd = (await slave.methodCall('publisherUpdate', ['/master', '/from_fake', [fake.uri]])) as [number, string, number];
    expect(upd[0]).toBe(1);
    await waitFor(() => got.includes(5), 20_000, 'the good frames after the bad ones');
    expect(got).toEqual([1, 3, 4, 5]);
    expect(fake.attempts()).toBeGreaterThanOrEqual(4);
    // and the healthy topic is still served
    const healthy = rawSubscriber(tcprosPort, '/healthy');
    await waitFor(() => healthy.received.length > 3, 5000, 'healthy stream');
    healthy.socket.destroy();
    if (sub.ok) await sub.value.close();
    fake.close();
  }, 40_000);

  it('a publisher answering with an md5sum error header is not retried in a loop', async () => {
    let attempts = 0;
    const fake = await fakePublisher('/liar_topic', (s) => {
      attempts += 1;
      s.end(encodeHeader({ error: 'md5sums do not match' }));
    });
    const got: unknown[] = [];
    const sub = node.subscribe('/liar_topic', 'geometry_msgs/PoseStamped', (m) => got.push(m));
    expect(sub.ok).toBe(true);
    await new XmlRpcClient(node.uri).methodCall('publisherUpdate', ['/master', '/liar_topic', [fake.uri]]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(attempts).toBe(1);
    expect(got).toEqual([]);
    if (sub.ok) await sub.value.close();
    fake.close();
  });

  it('malformed XML-RPC: clear HTTP/XML-RPC errors, caller-error codes for bad arguments; the node answers afterwards', async () => {
    const garbage = await post(node.uri, '<<<not xml');
    expect(garbage.status).toBe(500);
    expect(garbage.statusText).toMatch(/deserializeMethodCall failed/);
    const slave = new XmlRpcClient(node.uri);
    const bad = (await slave.methodCall('publisherUpdate', ['/x', 42, 'not a list'])) as [number, string, number];
    expect(bad[0]).toBe(-1);
    expect(bad[1]).toMatch(/bad arguments for publisherUpdate/);
    const noArgs = (await slave.methodCall('getPid', [])) as [number, string, number];
    expect(noArgs[0]).toBe(-1);
    await expect(slave.methodCall('noSuchMethod', ['/x'])).rejects.toThrow(/not found/);
    const huge = await post(node.uri, `<?xml version="1.0"?><methodCall><methodName>getPid</methodName><params><param><value><string>${'a'.repeat(5 * 1024 * 1024)}</string></value></param></params></methodCall>`);
    expect(huge.status).toBe(413);
    const pid = (await slave.methodCall('getPid', ['/x'])) as [number, string, number];
    expect(pid).toEqual([1, '', process.pid]);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (body) => {
        const r = await post(node.uri, body);
        expect([200, 500]).toContain(r.status);
      }),
      { numRuns: 40 },
    );
    expect(((await slave.methodCall('getPid', ['/x'])) as number[])[0]).toBe(1);
  }, 30_000);

  it('invalid options and an unbindable address are refused at creation', async () => {
    await expect(createRos1Node({ name: 'bad name', masterUri: 'http://127.0.0.1:1/' })).rejects.toThrow(/not a legal ROS graph name/);
    await expect(createRos1Node({ name: 'ok', masterUri: 'not a uri' })).rejects.toThrow(/masterUri/);
    await expect(createRos1Node({ name: 'ok', masterUri: 'http://127.0.0.1:1/', definitions: { 'x_msgs/Bad': 'Nope field\n' } })).rejects.toThrow(/definition x_msgs\/Bad/);
    await expect(createRos1Node({ name: 'ok', masterUri: 'http://127.0.0.1:1/', bindAddress: '203.0.113.7' })).rejects.toThrow(/EADDRNOTAVAIL/);
  });

  it('publish of an object that does not match the definition is a SERIALIZE_FAILED result', () => {
    const r = pub.publish({ header: { seq: 'nope' }, pose: 7 });
    expect(r.ok ? '' : r.error.code).toBe('ROS1.SERIALIZE_FAILED');
    expect(node.advertise('bad name!', 'std_msgs/String').ok).toBe(false);
    const unknown = node.advertise('/x', 'nope_msgs/Nope');
    expect(unknown.ok ? '' : unknown.error.code).toBe('ROS1.UNKNOWN_TYPE');
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function post(uri: string, body: string): Promise<{ status: number; statusText: string }> {
  return new Promise((resolve, reject) => {
    const req = request(uri, { method: 'POST', headers: { 'content-type': 'text/xml' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '' }));
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE' ? resolve({ status: 413, statusText: 'reset' }) : reject(e)));
    req.end(body);
  });
}

/** A fake publishing node: its own slave XML-RPC (requestTopic) and a TCPROS socket run by `onSubscriber`. */
async function fakePublisher(topic: string, onSubscriber: (s: Socket, attempt: number) => void): Promise<{ uri: string; attempts: () => number; close: () => void }> {
  let attempts = 0;
  const tcp: Server = createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => onSubscriber(s, attempts++));
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  const port = (tcp.address() as { port: number }).port;
  const http = new BoundedHttpServer(1 << 20, () => undefined);
  const xml = new XmlRpcServer(http);
  xml.setHandler('requestTopic', async (_m, args) => (args[1] === topic ? [1, 'ready', ['TCPROS', '127.0.0.1', port]] : [-1, 'no', []]));
  await http.listen(0, '127.0.0.1');
  return {
    uri: `http://127.0.0.1:${http.port()}/`,
    attempts: () => attempts,
    close: () => {
      tcp.close();
      http.close();
    },
  };
}
