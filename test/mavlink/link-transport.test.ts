/**
 * The link layer over real loopback sockets: who becomes a peer, where a system id is routed,
 * hostile bytes (fast-check), TCP redial with backoff and its stop, TCP backpressure.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import fc from 'fast-check';
import { common, minimal, type MavLinkData } from 'node-mavlink';
import { afterEach, describe, expect, it } from 'vitest';
import { mavCrc, MavlinkEncoder, MavlinkParser, REGISTRY, type MavFrame } from '../../hardware/real/mavlink/codec.js';
import { openLink, type Link } from '../../hardware/real/mavlink/link.js';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

const heartbeat = () => Object.assign(new minimal.Heartbeat(), { type: 2, autopilot: 12, baseMode: 81, customMode: 0x04040000, systemStatus: 4, mavlinkVersion: 3 });

interface Sender {
  readonly port: number;
  readonly id: string;
  readonly got: Buffer[];
  raw(buf: Buffer): Promise<void>;
  msg(m: MavLinkData, sysid?: number): Promise<void>;
}

async function sender(to: number): Promise<Sender> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => s.close(() => r())));
  const encs = new Map<number, MavlinkEncoder>();
  const got: Buffer[] = [];
  s.on('message', (b) => got.push(b));
  const raw = (buf: Buffer) => new Promise<void>((r, j) => s.send(buf, to, '127.0.0.1', (e) => (e ? j(e) : r())));
  return {
    port: s.address().port,
    id: `udp:127.0.0.1:${s.address().port}`,
    got,
    raw,
    msg: (m, sysid = 1) => {
      let e = encs.get(sysid);
      if (!e) encs.set(sysid, (e = new MavlinkEncoder(sysid, 1)));
      return raw(e.encode(m));
    },
  };
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function udpin(opts: { maxPeers?: number } = {}): Promise<{ link: Link; port: number; frames: { frame: MavFrame; from: string }[] }> {
  const port = await freeUdpPort();
  const opened = await openLink(`udpin://127.0.0.1:${port}`, opts);
  if (!opened.ok) throw new Error(opened.error.message);
  const link = opened.value;
  cleanup.push(() => link.close());
  const frames: { frame: MavFrame; from: string }[] = [];
  link.onFrame((frame, from) => frames.push({ frame, from }));
  return { link, port, frames };
}

describe('udpin peers and routes', () => {
  it('garbage makes no peer; a frame with a valid CRC does', async () => {
    const { link, port, frames } = await udpin();
    const a = await sender(port);
    const b = await sender(port);
    await a.raw(Buffer.from('not mavlink at all'));
    await a.raw(Buffer.from([0xfd, 9, 0, 0, 1, 1, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xaa, 0xbb]));
    await b.msg(heartbeat());
    await until(() => frames.length === 1, 2000, 'the heartbeat');
    expect(link.peers()).toEqual([b.id]);
    expect(link.stats.garbageBytes + link.stats.badCrc).toBeGreaterThan(0);
  });

  it('keeps at most maxPeers peers, forgetting the least recently heard (and its routes)', async () => {
    const { link, port, frames } = await udpin({ maxPeers: 3 });
    const senders: Sender[] = [];
    for (let i = 0; i < 6; i++) senders.push(await sender(port));
    for (let i = 0; i < 6; i++) await senders[i]!.msg(heartbeat(), 10 + i);
    await until(() => frames.length === 6, 2000, 'six heartbeats');
    expect(link.peers()).toEqual(senders.slice(3).map((s) => s.id));
    expect(link.stats.peersEvicted).toBe(3);
    expect(link.routeOf(10)).toBeUndefined();
    expect(link.routeOf(15)).toBe(senders[5]!.id);
    // Heard again: the first sender comes back, the least recent (#3) goes.
    await senders[0]!.msg(heartbeat(), 10);
    await until(() => frames.length === 7, 2000, 'the seventh');
    expect(link.peers()).toEqual([senders[4]!.id, senders[5]!.id, senders[0]!.id]);
  });

  it('routes a system to the peer of its HEARTBEAT; other frames with that sysid do not re-route it', async () => {
    const { link, port, frames } = await udpin();
    const vehicle = await sender(port);
    const other = await sender(port);
    await vehicle.msg(heartbeat(), 1);
    await until(() => frames.length === 1);
    expect(link.routeOf(1)).toBe(vehicle.id);
    // A valid frame claiming system 1 from elsewhere (a forwarded or forged frame): no re-route.
    await other.msg(Object.assign(new common.SystemTime(), { timeUnixUsec: 0n, timeBootMs: 1 }), 1);
    await until(() => frames.length === 2);
    expect(link.routeOf(1)).toBe(vehicle.id);
    const enc = new MavlinkEncoder(245, 190);
    link.send(enc.encode(heartbeat()), 1);
    await until(() => vehicle.got.length === 1, 2000, 'the routed frame');
    await sleep(20);
    expect(other.got).toHaveLength(0);
    // Its heartbeat from the other address does move it (the vehicle moved, e.g. a new radio).
    await other.msg(heartbeat(), 1);
    await until(() => frames.length === 3);
    expect(link.routeOf(1)).toBe(other.id);
  });

  it('hostile datagrams (random bytes, mutated valid frames) never crash the link, add peers or move routes', async () => {
    const { link, port, frames } = await udpin();
    const vehicle = await sender(port);
    const attacker = await sender(port);
    await vehicle.msg(heartbeat(), 1);
    await until(() => frames.length === 1);
    const enc = new MavlinkEncoder(1, 1);
    const valid = [
      heartbeat(),
      Object.assign(new common.GlobalPositionInt(), { timeBootMs: 1234, lat: 473977420, lon: 85455940, alt: 488_000, relativeAlt: 10_000, vx: 1, vy: 2, vz: 3, hdg: 9000 }),
      Object.assign(new common.CommandAck(), { command: 400, result: 0, progress: 0, resultParam2: 0, targetSystem: 245, targetComponent: 190 }),
      Object.assign(new common.StatusText(), { severity: 4, text: 'Failsafe enabled: no datalink', id: 0, chunkSeq: 0 }),
    ].map((m) => enc.encode(m));
    const mutation = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 400 }).map((a) => Buffer.from(a)),
      // a valid frame with one payload/header byte changed (never the STX): the CRC sees it
      fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([f, at, x]) => {
        const b = Buffer.from(f);
        const i = 4 + (at % (b.length - 6)); // seq .. payload end
        b[i] = b[i]! ^ x;
        return b;
      }),
      // well-formed but with incompat_flags we do not understand, CRC recomputed
      fc.tuple(fc.constantFrom(...valid), fc.integer({ min: 1, max: 127 })).map(([f, bits]) => {
        const b = Buffer.from(f);
        b[2] = bits << 1;
        const len = b[1]!;
        const msgid = b[7]! | (b[8]! << 8) | (b[9]! << 16);
        const crc = mavCrc(b, 1, 10 + len, REGISTRY[msgid]!.MAGIC_NUMBER);
        b[10 + len] = crc & 0xff;
        b[11 + len] = crc >> 8;
        return b;
      }),
      // cut short, or with its CRC damaged
      fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([f, n]) => f.subarray(0, n % f.length)),
      fc.tuple(fc.constantFrom(...valid), fc.integer({ min: 1, max: 0xffff })).map(([f, x]) => {
        const b = Buffer.from(f);
        b.writeUInt16LE(b.readUInt16LE(b.length - 2) ^ x, b.length - 2);
        return b;
      }),
    );
    let marks = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.boolean(), async (bufs, fromVehicle) => {
        const who = fromVehicle ? vehicle : attacker;
        for (const b of bufs) if (b.length > 0) await who.raw(b);
        // A good frame from the vehicle after the garbage: the link still works.
        const before = frames.length;
        await vehicle.msg(Object.assign(new common.SystemTime(), { timeUnixUsec: 0n, timeBootMs: ++marks }), 1);
        await until(() => frames.length > before, 2000, 'the marker frame');
        expect(frames.slice(before).every((f) => f.from === vehicle.id)).toBe(true);
        expect(link.peers()).toEqual([vehicle.id]);
        expect(link.routeOf(1)).toBe(vehicle.id);
      }),
      { numRuns: 150, seed: 4242 },
    );
    expect(link.stats.listenerErrors).toBe(0);
    expect(link.stats.badCrc + link.stats.garbageBytes + link.stats.incompatible).toBeGreaterThan(0);
    // A valid heartbeat afterwards still works, and a frame for system 1 reaches the vehicle only.
    await vehicle.msg(heartbeat(), 1);
    link.send(new MavlinkEncoder(245, 190).encode(heartbeat()), 1);
    await until(() => vehicle.got.length === 1, 2000, 'the routed frame');
    await sleep(20);
    expect(attacker.got).toHaveLength(0);
  });
});

async function tcpServer(onConn: (s: net.Socket) => void, port = 0): Promise<{ server: net.Server; port: number; conns: number }> {
  const server = net.createServer();
  const st = { server, port: 0, conns: 0 };
  server.on('connection', (s) => {
    st.conns++;
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  st.port = (server.address() as net.AddressInfo).port;
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return st;
}

describe('tcp redial', () => {
  it('a failed first dial fails openLink and leaves no redial behind', async () => {
    const probe = await tcpServer(() => {});
    const port = probe.port;
    await new Promise<void>((r) => probe.server.close(() => r()));
    const opened = await openLink(`tcp://127.0.0.1:${port}`, { reconnectMs: 10 });
    expect(opened.ok).toBe(false);
    const late = await tcpServer((s) => s.destroy(), port);
    await sleep(300);
    expect(late.conns).toBe(0);
  });

  it('redials a dropped connection with bounded exponential backoff; close() stops it', async () => {
    let firstConn: net.Socket | undefined;
    const srv = await tcpServer((s) => {
      if (!firstConn) firstConn = s; // the first connection stays until we drop it
      else s.destroy(); // every redial is dropped at once
    });
    const opened = await openLink(`tcp://127.0.0.1:${srv.port}`, { reconnectMs: 10, reconnectMaxMs: 80 });
    if (!opened.ok) throw new Error(opened.error.message);
    const link = opened.value;
    await until(() => firstConn !== undefined);
    expect(link.peers()).toEqual([`tcp:127.0.0.1:${srv.port}`]);
    firstConn!.destroy();
    await sleep(700);
    const attempts = srv.conns - 1;
    // 10, 20, 40, 80, 80, … ms: about 10 in 700 ms (a fixed 10 ms would be ~60).
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(14);
    expect(link.stats.reconnects).toBeGreaterThanOrEqual(attempts);
    await link.close();
    const after = srv.conns;
    await sleep(300);
    expect(srv.conns).toBe(after);
  });

  it('an abort signal closes the link and stops the redial', async () => {
    const srv = await tcpServer((s) => setTimeout(() => s.destroy(), 20));
    const ac = new AbortController();
    const opened = await openLink(`tcp://127.0.0.1:${srv.port}`, { reconnectMs: 10, reconnectMaxMs: 20, signal: ac.signal });
    if (!opened.ok) throw new Error(opened.error.message);
    await until(() => srv.conns >= 3, 3000, 'redials');
    ac.abort();
    await sleep(50);
    const n = srv.conns;
    await sleep(300);
    expect(srv.conns).toBe(n);
    expect(opened.value.peers()).toEqual([]);
    // And an already-aborted signal opens nothing.
    const none = await openLink(`tcp://127.0.0.1:${srv.port}`, { signal: ac.signal });
    expect(none.ok ? 'ok' : none.error.code).toBe('LINK.OPEN_FAILED');
  });
});

describe('tcp backpressure', () => {
  it('queues within maxQueuedBytes while the peer does not read, drops (counted) beyond, delivers whole frames in order after drain', async () => {
    let peer: net.Socket | undefined;
    const srv = await tcpServer((s) => {
      s.pause();
      peer = s;
    });
    const maxQueuedBytes = 32 * 1024;
    const opened = await openLink(`tcp://127.0.0.1:${srv.port}`, { maxQueuedBytes });
    if (!opened.ok) throw new Error(opened.error.message);
    const link = opened.value;
    cleanup.push(() => link.close());
    await until(() => peer !== undefined);
    const enc = new MavlinkEncoder(245, 190);
    const big = () => Object.assign(new common.FileTransferProtocol(), { targetNetwork: 0, targetSystem: 1, targetComponent: 1, payload: Array.from({ length: 251 }, (_, i) => (i * 7 + 1) & 0xff) });
    let sent = 0;
    let maxQueued = 0;
    // Push until the socket pushes back and the queue overflows (loopback buffers hold some MB).
    for (let i = 0; i < 200_000 && link.stats.txBackpressureDrops < 100; i++) {
      link.send(enc.encode(big()));
      sent++;
      maxQueued = Math.max(maxQueued, link.stats.txQueuedBytes);
      if (i % 5000 === 4999) await sleep(1);
    }
    expect(link.stats.txBackpressureDrops).toBeGreaterThanOrEqual(100);
    expect(maxQueued).toBeLessThanOrEqual(maxQueuedBytes);
    expect(link.stats.txDropped).toBe(link.stats.txBackpressureDrops);
    // The peer reads again: everything written arrives as whole, valid frames, in order.
    const parser = new MavlinkParser();
    const seqs: number[] = [];
    peer!.on('data', (c) => parser.push(c, (f) => seqs.push(f.seq)));
    peer!.resume();
    await until(() => link.stats.txQueuedBytes === 0, 10_000, 'drain');
    link.send(enc.encode(heartbeat()));
    await until(() => seqs.length === link.stats.txFrames, 10_000, 'all written frames');
    expect(parser.stats.badCrc + parser.stats.garbageBytes).toBe(0);
    expect(seqs.length).toBe(sent + 1 - link.stats.txBackpressureDrops);
    // In order: sequence numbers only ever step forward (gaps where frames were dropped).
    let back = 0;
    for (let i = 1; i < seqs.length; i++) if (seqs[i] !== ((seqs[i - 1]! + 1) & 0xff)) back += seqs[i]! < seqs[i - 1]! && seqs[i - 1]! - seqs[i]! < 128 ? 1 : 0;
    expect(back).toBe(0);
  });
});
