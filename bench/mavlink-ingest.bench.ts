/**
 * MAVLink ingest: decoded packets per second of a recorded PX4 telemetry stream, through
 * (a) node-mavlink's stock pipeline — `MavLinkPacketSplitter` → `MavLinkPacketParser` →
 * `protocol.data(payload, clazz)` — and (b) our `MavlinkParser` + `decode`, in the same run,
 * on the same chunks; plus our splitter alone (framing and CRC, no decode).
 *
 * Like for like: the headline compares the two pipelines doing the same work (frame, CRC and
 * decode every packet). The adapter decodes only the messages it subscribes to from its target
 * system, so its line is compared with the stock pipeline decoding that same subset.
 * Every figure is the median of `rounds` timed runs after a warm-up.
 *
 * Run: `npm run build && node dist/bench/mavlink-ingest.bench.js [seconds-of-telemetry] [rounds]`
 * Target: ours ≥ 2× stock and ≥ 400k decoded packets/s on one core.
 */
import { once } from 'node:events';
import { MavLinkPacketParser, MavLinkPacketSplitter, type MavLinkPacket } from 'node-mavlink';
import { decode, MavlinkParser, REGISTRY, type MavFrame } from '../hardware/real/mavlink/codec.js';
import { createMavlinkVehiclePort } from '../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import type { Link, LinkStats } from '../hardware/real/mavlink/link.js';
import { MavSession } from '../hardware/real/mavlink/session.js';
import { VirtualClock } from '../core/clock.js';
import { chunked, recordPx4Telemetry } from './internal/px4-telemetry.js';

/** Which packets a pipeline decodes: all of them, or the adapter's subscriptions from one system. */
type Wanted = ((sysid: number, msgid: number) => boolean) | undefined;

async function stock(chunks: Buffer[], wanted?: Wanted): Promise<number> {
  const splitter = new MavLinkPacketSplitter();
  const parser = new MavLinkPacketParser();
  let decoded = 0;
  parser.on('data', (packet: MavLinkPacket) => {
    if (wanted && !wanted(packet.header.sysid, packet.header.msgid)) return;
    const clazz = REGISTRY[packet.header.msgid];
    if (clazz && packet.protocol.data(packet.payload, clazz)) decoded++;
  });
  splitter.pipe(parser);
  for (const c of chunks) splitter.write(c);
  splitter.end();
  await once(parser, 'finish');
  await new Promise((r) => setImmediate(r)); // let the last 'data' events drain
  return decoded;
}

function ours(chunks: Buffer[]): number {
  const parser = new MavlinkParser();
  let decoded = 0;
  const onFrame = (f: Parameters<Parameters<MavlinkParser['push']>[1]>[0]) => {
    if (decode(f) !== undefined) decoded++;
  };
  for (const c of chunks) parser.push(c, onFrame);
  return decoded;
}

function splitOnly(chunks: Buffer[]): number {
  const parser = new MavlinkParser();
  let frames = 0;
  const onFrame = () => void frames++;
  for (const c of chunks) parser.push(c, onFrame);
  return frames;
}

/**
 * The whole adapter path: frame + CRC + decode + per-message dispatch + mapping into vehicle-port
 * telemetry and events, through `createMavlinkVehiclePort` on a link that replays the recording.
 */
async function throughAdapter(chunks: Buffer[]): Promise<() => number> {
  const listeners = new Set<(f: MavFrame, from: string) => void>();
  const stats: LinkStats = { rxBytes: 0, rxFrames: 0, txBytes: 0, txFrames: 0, badCrc: 0, garbageBytes: 0, unknownMsg: 0, incompatible: 0, txDropped: 0, txBackpressureDrops: 0, txQueuedBytes: 0, peersEvicted: 0, reconnects: 0, listenerErrors: 0 };
  const link: Link = {
    url: 'replay://recording',
    send: () => {},
    onFrame: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
    close: async () => {},
    stats,
    peers: () => ['replay'],
    routeOf: () => 'replay',
  };
  const port = createMavlinkVehiclePort({ id: 'drone1', link, clock: new VirtualClock(), targetSystem: 1 });
  let delivered = 0;
  port.subscribeTelemetry(() => void delivered++);
  port.subscribeEvents(() => void delivered++);
  const feed = () => {
    const parser = new MavlinkParser();
    let frames = 0;
    const onFrame = (f: MavFrame) => {
      frames++;
      for (const l of listeners) l(f, 'replay');
    };
    for (const c of chunks) parser.push(c, onFrame);
    return frames;
  };
  const connecting = port.connect();
  feed(); // the recording's first heartbeat connects the port
  const r = await connecting;
  if (!r.ok) throw new Error(`adapter did not connect to the replay: ${r.error.message}`);
  if (delivered === 0) throw new Error('the adapter delivered nothing');
  return feed;
}

/**
 * Median of `rounds` timed runs (after one warm-up run): packets per second. `packets` is the
 * number of packets the run went through (every packet, whatever it decoded).
 */
async function rate(rounds: number, run: () => number | Promise<number>, packetsIn?: number): Promise<{ pps: number; packets: number }> {
  const rates: number[] = [];
  let packets = await run();
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    packets = await run();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push((packetsIn ?? packets) / s);
  }
  return { pps: [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)]!, packets };
}

/** The message ids the adapter subscribes to, read by watching its session register handlers. */
function adapterSubscriptions(): Set<number> {
  const ids = new Set<number>();
  const on = MavSession.prototype.on;
  MavSession.prototype.on = function (this: MavSession, msgid: number, ...rest: unknown[]) {
    ids.add(msgid);
    return (on as (...a: unknown[]) => () => void).call(this, msgid, ...rest);
  } as typeof on;
  return ids;
}

const fmt = (pps: number) => `${(pps / 1000).toFixed(0).padStart(6)} k packets/s`;

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 600);
  const rounds = Number(process.argv[3] ?? 7);
  const rec = recordPx4Telemetry(seconds);
  const signed = rec.frames.filter((f) => f.signed).length;
  const v1 = rec.frames.filter((f) => f.version === 1).length;
  console.log(
    `recording: ${rec.frames.length} packets (${seconds} s of PX4 telemetry, ${v1} MAVLink 1, ${signed} signed), ${(rec.stream.length / 1024).toFixed(0)} KiB`,
  );
  for (const how of ['datagram', 256] as const) {
    const chunks = chunked(rec, how);
    const label = how === 'datagram' ? 'UDP datagrams ≤ 1400 B' : '256-byte serial reads';
    const a = await rate(rounds, () => stock(chunks));
    const b = await rate(rounds, () => ours(chunks));
    const c = await rate(rounds, () => splitOnly(chunks));
    if (a.packets !== rec.frames.length || b.packets !== rec.frames.length) {
      throw new Error(`decoded counts differ: stock ${a.packets}, ours ${b.packets}, recorded ${rec.frames.length}`);
    }
    console.log(`\n${label} (${chunks.length} chunks)`);
    console.log(`  like for like, every packet framed + CRC-checked + decoded:`);
    console.log(`    stock node-mavlink split+parse+data  ${fmt(a.pps)}`);
    console.log(`    ours  MavlinkParser + decode         ${fmt(b.pps)}   ${(b.pps / a.pps).toFixed(2)}× stock (target ≥ 2×, ≥ 400k/s)`);
    console.log(`    ours  MavlinkParser alone (no decode) ${fmt(c.pps)}`);
    const subs = adapterSubscriptions();
    const feed = await throughAdapter(chunks);
    const wanted: Wanted = (sysid, msgid) => sysid === 1 && subs.has(msgid);
    const share = rec.frames.filter((f) => {
      const b = f.bytes;
      return f.version === 2 ? wanted(b[5]!, b[7]! | (b[8]! << 8) | (b[9]! << 16)) : wanted(b[3]!, b[5]!);
    }).length;
    const e = await rate(rounds, () => stock(chunks, wanted), rec.frames.length);
    const d = await rate(rounds, feed, rec.frames.length);
    console.log(`  the adapter's work: it decodes the ${subs.size} message ids it subscribes to from its system (${share} of ${rec.frames.length} packets) and maps them:`);
    console.log(`    stock split+parse, decode that subset ${fmt(e.pps)}`);
    console.log(`    ours  full adapter (+ map to port telemetry/events) ${fmt(d.pps)}   ${(d.pps / e.pps).toFixed(2)}× stock on the same subset`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
