/**
 * Hostile input (fast-check) into the client side of FTP and events: random FILE_TRANSFER_PROTOCOL
 * replies during a download, random EVENT / CURRENT_EVENT_SEQUENCE / RESPONSE_EVENT_ERROR
 * frames into the events client. Nothing throws; a download ends ok or with an FTP.* code.
 * An in-memory link carries real encoded frames through the codec and the session.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { common, type MavLinkData } from 'node-mavlink';
import { VirtualClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { MavlinkEncoder, MavlinkParser, type MavFrame } from '../../hardware/real/mavlink/codec.js';
import { CommandProtocol } from '../../hardware/real/mavlink/command-protocol.js';
import { CurrentEventSequence, EventMessage, ResponseEventError } from '../../hardware/real/mavlink/events/event-messages.js';
import { createEventsClient } from '../../hardware/real/mavlink/events/events-client.js';
import { parseEventsMetadata } from '../../hardware/real/mavlink/events/events-metadata.js';
import { FtpClient } from '../../hardware/real/mavlink/ftp/ftp-client.js';
import { FTP_MAX_DATA, FtpOpcode, encodeFtp } from '../../hardware/real/mavlink/ftp/ftp-payload.js';
import type { Link } from '../../hardware/real/mavlink/link.js';
import { MavSession } from '../../hardware/real/mavlink/session.js';
import { SITL_EVENTS_METADATA } from '../../hardware/sim/sitl/events-metadata.js';

/** A link whose "vehicle" side is the test: `deliver` injects frames, `sent` counts ours. */
function memoryLink() {
  const listeners = new Set<(f: MavFrame, from: string) => void>();
  const vehicle = new MavlinkEncoder(1, 1);
  let sent = 0;
  const link: Link = {
    url: 'memory://',
    send: () => { sent++; },
    onFrame: (fn) => { listeners.add(fn); return () => listeners.delete(fn); },
    close: async () => {},
    peers: () => ['memory'],
    routeOf: () => 'memory',
    stats: { rxBytes: 0, rxFrames: 0, txBytes: 0, txFrames: 0, badCrc: 0, garbageBytes: 0, unknownMsg: 0, txDropped: 0, listenerErrors: 0 } as unknown as Link['stats'],
  };
  const deliver = (m: MavLinkData) => new MavlinkParser().push(vehicle.encode(m), (f) => { for (const l of listeners) l(f, 'memory'); });
  return { link, deliver, sent: () => sent };
}

const ftpReply = fc.record({
  seq: fc.integer({ min: 0, max: 0xffff }), session: fc.integer({ min: 0, max: 3 }),
  opcode: fc.constantFrom(FtpOpcode.ACK, FtpOpcode.NAK, 7, 200), reqOpcode: fc.integer({ min: 0, max: 16 }),
  burstComplete: fc.boolean(), offset: fc.integer({ min: 0, max: 5000 }), data: fc.uint8Array({ maxLength: FTP_MAX_DATA }),
});

describe('FTP and events clients under random input', () => {
  it('a download fed random ACK/NAK replies ends ok or with an FTP.* code, never throws', async () => {
    await fc.assert(fc.asyncProperty(fc.array(ftpReply, { maxLength: 40 }), fc.boolean(), async (replies, burst) => {
      const clock = new VirtualClock();
      const { link, deliver } = memoryLink();
      const session = new MavSession({ link, clock, logger: silentLogger, gcsSysid: 245, gcsCompid: 190, targetSystem: 1, speedFactor: 1 });
      const ftp = new FtpClient(session, { timeoutMs: 100, retries: 2, burst, initialSeq: 0, maxFileBytes: 4096 });
      const p = ftp.download('/etc/extras/x');
      // Replies land in between timer steps; seq numbers near ours make some of them match.
      for (const [i, r] of replies.entries()) {
        const m = new common.FileTransferProtocol();
        m.targetSystem = 245;
        m.targetComponent = 190;
        m.payload = encodeFtp({ ...r, seq: i % 2 === 0 ? (r.seq % 4) : r.seq });
        deliver(m);
        await clock.run({ until: clock.now() + 30 });
      }
      await clock.run({ until: clock.now() + 60_000 });
      const r = await p;
      ftp.dispose();
      session.close();
      return r.ok || /^FTP\.[A-Z_]+$/.test(r.error.code);
    }), { numRuns: 150 });
  });

  it('the events client renders or ignores random EVENT traffic without throwing', async () => {
    const meta = parseEventsMetadata(JSON.parse(JSON.stringify(SITL_EVENTS_METADATA)));
    if (!meta.ok) throw new Error(meta.error.message);
    const ids = [...Object.values(SITL_EVENTS_METADATA.components['1']!.event_groups!)].flatMap((g) => Object.keys(g.events ?? {}).map((k) => ((1 << 24) | Number(k)) >>> 0));
    const msg = fc.oneof(
      fc.record({ k: fc.constant('e' as const), id: fc.oneof(fc.constantFrom(...ids), fc.integer({ min: 0, max: 0xffffffff })), seq: fc.integer({ min: 0, max: 40 }), level: fc.integer({ min: 0, max: 255 }), args: fc.uint8Array({ minLength: 40, maxLength: 40 }) }),
      fc.record({ k: fc.constant('c' as const), seq: fc.integer({ min: 0, max: 40 }), flags: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ k: fc.constant('x' as const), seq: fc.integer({ min: 0, max: 40 }), oldest: fc.integer({ min: 0, max: 40 }) }),
    );
    await fc.assert(fc.asyncProperty(fc.array(msg, { maxLength: 50 }), async (msgs) => {
      const clock = new VirtualClock();
      const { link, deliver } = memoryLink();
      const session = new MavSession({ link, clock, logger: silentLogger, gcsSysid: 245, gcsCompid: 190, targetSystem: 1, speedFactor: 1 });
      session.linkUp = true;
      const commands = new CommandProtocol(session);
      const events = createEventsClient({ session, logger: silentLogger, commands });
      events.useMetadata(meta.value);
      let n = 0;
      events.subscribe((e) => { n++; expect(typeof e.text).toBe('string'); });
      for (const m of msgs) {
        if (m.k === 'e') deliver(Object.assign(new EventMessage(), { id: m.id, sequence: m.seq, eventTimeBootMs: 1000, logLevels: m.level, arguments: [...m.args] }));
        else if (m.k === 'c') deliver(Object.assign(new CurrentEventSequence(), { sequence: m.seq, flags: m.flags }));
        else deliver(Object.assign(new ResponseEventError(), { targetSystem: 245, targetComponent: 190, sequence: m.seq, sequenceOldestAvailable: m.oldest, reason: 0 }));
        await clock.run({ until: clock.now() + 20 });
      }
      await clock.run({ until: clock.now() + 5000 });
      events.dispose();
      commands.dispose();
      session.close();
      return n <= msgs.length;
    }), { numRuns: 150 });
  });
});
