/**
 * MAVLink FTP client against its server twin over loopback UDP: the built-in SITL (paced
 * virtual clock), and a bare FTP server endpoint serving PX4's own .json.xz metadata; lost
 * datagrams (a dropped OpenFileRO ACK, dropped burst packets) through a lossy relay; NAKs,
 * timeouts, size bounds; fast-check on random FTP payloads.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { common } from 'node-mavlink';
import { VirtualClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { REGISTRY } from '../../hardware/real/mavlink/codec.js';
import { decompressXz } from '../../hardware/real/mavlink/events/xz.js';
import '../../hardware/real/mavlink/events/event-messages.js';
import { FtpClient, toPath } from '../../hardware/real/mavlink/ftp/ftp-client.js';
import { FTP_MAX_DATA, FtpOpcode, decodeFtp, encodeFtp, mavCrc32 } from '../../hardware/real/mavlink/ftp/ftp-payload.js';
import { openLink, type Link } from '../../hardware/real/mavlink/link.js';
import { MavSession } from '../../hardware/real/mavlink/session.js';
import { EVENTS_METADATA_URI, GENERAL_METADATA_URI, SITL_EVENTS_METADATA } from '../../hardware/sim/sitl/events-metadata.js';
import { xzStore } from '../../hardware/sim/sitl/events-xz.js';
import { FtpServer } from '../../hardware/sim/sitl/ftp-server.js';
import { UdpMavlinkEndpoint } from '../../hardware/sim/sitl/mavlink-endpoint.js';
import { startSitl, type SitlHarness } from '../sitl/support/sitl-harness.js';
import { startLossyProxy, type LossyProxy } from './ftp-lossy-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function clientTo(clock: VirtualClock, port: number, opts: ConstructorParameters<typeof FtpClient>[1] = {}) {
  const opened = await openLink(`udpout://127.0.0.1:${port}`, { clock });
  if (!opened.ok) throw new Error(opened.error.message);
  const link: Link = opened.value;
  const session = new MavSession({ link, clock, logger: silentLogger, gcsSysid: 245, gcsCompid: 190, targetSystem: 1, speedFactor: 1 });
  const ftp = new FtpClient(session, { timeoutMs: 300, ...opts });
  cleanups.push(async () => {
    ftp.dispose();
    session.close();
    await link.close();
  });
  return { ftp, session, link };
}

async function sitlWithProxy(): Promise<{ h: SitlHarness; proxy: LossyProxy }> {
  const h = await startSitl({ speed: 20 });
  cleanups.push(() => h.close());
  const proxy = await startLossyProxy(h.sitl.endpoints[0]!.apiLocalPort);
  cleanups.push(() => proxy.close());
  return { h, proxy };
}

/** Runs `clock` (paced at `speed`, or as fast as possible) until `p` settles. */
async function settle<T>(clock: VirtualClock, p: Promise<T>, speed = Infinity): Promise<T> {
  let done = false;
  void p.finally(() => { done = true; });
  while (!done) {
    clock.setTimeout(() => {}, 10); // something to run to while I/O is in flight
    await clock.run({ until: clock.now() + 60_000, stopWhen: () => done, speed });
  }
  return p;
}

/** The file the SITL serves: its events metadata as .xz (stored). */
const sitlEventsJson = () => xzStore(new TextEncoder().encode(JSON.stringify(SITL_EVENTS_METADATA)));
const isFtp = (m: unknown): m is common.FileTransferProtocol => m instanceof common.FileTransferProtocol;

describe('MAVLink FTP over UDP with the SITL', () => {
  it('downloads the SITL events metadata with BurstReadFile and checks CalcFileCRC32', async () => {
    const { h, proxy } = await sitlWithProxy();
    const { ftp } = await clientTo(h.clock, proxy.port);
    const r = await ftp.download(EVENTS_METADATA_URI);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Buffer.from(r.value).equals(Buffer.from(sitlEventsJson()))).toBe(true);
    expect(r.value.length).toBeGreaterThan(3 * FTP_MAX_DATA);
    expect(ftp.stats.burstPackets).toBe(Math.ceil(r.value.length / FTP_MAX_DATA));
    expect(ftp.stats.holesFilled).toBe(0);
    const crc = await ftp.crc32(EVENTS_METADATA_URI);
    expect(crc).toEqual({ ok: true, value: mavCrc32(r.value) });
  });

  it('survives a lost OpenFileRO ACK (resent with the same seq, no second session) and lost burst packets (holes read with ReadFile)', async () => {
    const { h, proxy } = await sitlWithProxy();
    let openAcks = 0, burst = 0;
    proxy.setRule((dir, m) => {
      if (dir !== 'toClient' || !isFtp(m)) return false;
      const p = decodeFtp(m.payload)!;
      if (p.reqOpcode === FtpOpcode.OPEN_FILE_RO && p.opcode === FtpOpcode.ACK) return openAcks++ === 0;
      if (p.reqOpcode === FtpOpcode.BURST_READ_FILE && p.opcode === FtpOpcode.ACK) {
        burst++;
        return burst === 2 || burst === 5;
      }
      return false;
    });
    const { ftp } = await clientTo(h.clock, proxy.port);
    const r = await ftp.download(EVENTS_METADATA_URI);
    expect(r.ok && Buffer.from(r.value).equals(Buffer.from(sitlEventsJson()))).toBe(true);
    expect(proxy.dropped.length).toBe(3);
    expect(ftp.stats.resends).toBeGreaterThanOrEqual(1);
    expect(ftp.stats.holesFilled).toBe(2);
    // The session was closed: a second download opens again without NO_SESSIONS_AVAILABLE.
    const again = await ftp.download(EVENTS_METADATA_URI);
    expect(again.ok).toBe(true);
  });

  it('serves each link its own FTP session (as PX4, one per MAVLink instance): two clients at once', async () => {
    const { h, proxy } = await sitlWithProxy();
    const a = await clientTo(h.clock, proxy.port);
    const b = await clientTo(h.clock, h.sitl.endpoints[0]!.gcsLocalPort);
    // Different files: with one shared session, one client would read the other's file or fail.
    for (let i = 0; i < 3; i++) {
      const [ra, rb] = await Promise.all([a.ftp.download(GENERAL_METADATA_URI), b.ftp.download(EVENTS_METADATA_URI)]);
      expect(rb.ok && Buffer.from(rb.value).equals(Buffer.from(sitlEventsJson()))).toBe(true);
      const general = ra.ok ? await decompressXz(ra.value, 1 << 20) : undefined;
      expect(general?.ok && JSON.parse(new TextDecoder().decode(general.value)).metadataTypes[0].uri).toBe(EVENTS_METADATA_URI);
    }
  });

  it('reports a NAK with its MAVLink error name, a bad path, and an oversized file', async () => {
    const { h, proxy } = await sitlWithProxy();
    const { ftp } = await clientTo(h.clock, proxy.port, { maxFileBytes: 100 });
    const nak = await ftp.download('mftp://etc/extras/nope.json');
    expect(!nak.ok && [nak.error.code, nak.error.context?.nak]).toEqual(['FTP.NAK', 'FILE_NOT_FOUND']);
    const big = await ftp.download(EVENTS_METADATA_URI);
    expect(!big.ok && big.error.code).toBe('FTP.TOO_LARGE');
    // After the refusal the session was terminated: a small read works.
    const crc = await ftp.crc32('/nope');
    expect(!crc.ok && crc.error.context?.nak).toBe('FILE_NOT_FOUND');
    expect((await ftp.download('')).ok).toBe(false);
    expect(toPath('mftp://etc/extras/a.json.xz[;comp=1]')).toEqual({ ok: true, value: '/etc/extras/a.json.xz' });
  });

  it('times out (FTP.TIMEOUT) after its retries when nobody answers, on the injected clock', async () => {
    const clock = new VirtualClock();
    const dead = await startLossyProxy(9, () => true); // drops everything
    cleanups.push(() => dead.close());
    const { ftp } = await clientTo(clock, dead.port, { timeoutMs: 200, retries: 3 });
    const t0 = clock.now();
    const r = await settle(clock, ftp.download('/etc/extras/x'));
    expect(!r.ok && r.error.code).toBe('FTP.TIMEOUT');
    expect(ftp.stats.requests).toBe(4);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(800);
  });
});

describe('MAVLink FTP against a bare server endpoint serving PX4 metadata', () => {
  it('downloads PX4 v1.15.4 all_events (.json.xz excerpt) over UDP and decompresses it', async () => {
    const xz = new Uint8Array(readFileSync(new URL('../fixtures/px4-events/all_events.excerpt.json.xz', import.meta.url)));
    const server = new FtpServer();
    server.addFile('/etc/extras/all_events.json.xz', xz);
    const ep = new UdpMavlinkEndpoint({
      name: 'ftp', bindHost: '127.0.0.1', localPort: 0, remoteHost: '127.0.0.1', remotePort: 0, sysid: 1, registry: REGISTRY, logger: silentLogger,
      onMessage: (frame, m, link) => {
        if (!isFtp(m)) return;
        server.handle(decodeFtp(m.payload)!, (p) => {
          const out = new common.FileTransferProtocol();
          out.targetSystem = frame.sysid;
          out.targetComponent = frame.compid;
          out.payload = encodeFtp(p);
          link.send(out);
        });
      },
    });
    await ep.start();
    cleanups.push(() => ep.close());
    const clock = new VirtualClock();
    const { ftp } = await clientTo(clock, ep.localPort, { burst: false });
    const r = await settle(clock, ftp.download('mftp://etc/extras/all_events.json.xz'), 20);
    expect(r.ok && Buffer.from(r.value).equals(Buffer.from(xz))).toBe(true);
    if (!r.ok) return;
    const json = await decompressXz(r.value, 1 << 20);
    expect(json.ok && JSON.parse(new TextDecoder().decode(json.value)).version).toBe(2);
    expect(ftp.stats.burstPackets).toBe(0);
  });
});

describe('FTP payloads (fast-check)', () => {
  const packet = fc.record({
    seq: fc.integer({ min: 0, max: 0xffff }), session: fc.integer({ min: 0, max: 255 }), opcode: fc.integer({ min: 0, max: 255 }),
    reqOpcode: fc.integer({ min: 0, max: 255 }), burstComplete: fc.boolean(), offset: fc.integer({ min: 0, max: 0xffffffff }),
    data: fc.uint8Array({ maxLength: FTP_MAX_DATA }),
  });

  it('encode → decode round-trips every header field and the data', () => {
    fc.assert(fc.property(packet, (p) => {
      const d = decodeFtp(encodeFtp(p))!;
      expect(d).toEqual({ ...p, data: new Uint8Array(p.data) });
    }), { numRuns: 500 });
  });

  it('decoding random payload bytes never throws; the server answers random requests with coded replies', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 260 }), (bytes) => {
      const p = decodeFtp(bytes);
      if (!p) return bytes.length < 12 || bytes[4]! > FTP_MAX_DATA;
      const server = new FtpServer();
      server.addFile('/a', new Uint8Array(1000));
      const replies: number[] = [];
      server.handle(p, (r) => replies.push(r.opcode));
      return replies.length >= 1 && replies.every((o) => o === FtpOpcode.ACK || o === FtpOpcode.NAK);
    }), { numRuns: 1000 });
  });
});
