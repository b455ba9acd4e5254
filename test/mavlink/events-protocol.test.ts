/**
 * The events protocol: the receiver against the SITL's sender in process (gap recovery with
 * REQUEST_EVENT, tail loss found by CURRENT_EVENT_SEQUENCE, RESPONSE_EVENT_ERROR, duplicates,
 * wrap-around, reboot), random EVENT payloads; then the whole path over loopback UDP with the
 * built-in SITL: a refused switch to Mission reaches the client as PX4's text, with the
 * metadata fetched over MAVLink FTP and a lost EVENT datagram recovered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { common, type MavLinkData } from 'node-mavlink';
import { VirtualClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { decode, MavlinkEncoder, MavlinkParser } from '../../hardware/real/mavlink/codec.js';
import { CommandProtocol } from '../../hardware/real/mavlink/command-protocol.js';
import { CurrentEventSequence, EventMessage, RequestEvent, ResponseEventError } from '../../hardware/real/mavlink/events/event-messages.js';
import { EventReceiver, type ReceivedEvent } from '../../hardware/real/mavlink/events/event-receiver.js';
import { createEventsClient, type OperatorEvent } from '../../hardware/real/mavlink/events/events-client.js';
import { openLink } from '../../hardware/real/mavlink/link.js';
import { MavSession } from '../../hardware/real/mavlink/session.js';
import { EventsServer } from '../../hardware/sim/sitl/events-server.js';
import { startSitl } from '../sitl/support/sitl-harness.js';
import { startLossyProxy } from './ftp-lossy-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The SITL's sender wired to a receiver through a lossy in-process "link". */
function wire(opts: { capacity?: number; drop?: (m: MavLinkData) => boolean } = {}) {
  const clock = new VirtualClock();
  const delivered: ReceivedEvent[] = [];
  const lost: number[] = [];
  const frame = { version: 2, seq: 0, sysid: 245, compid: 190, msgid: 412, payload: Buffer.alloc(0) } as const;
  let receiver!: EventReceiver;
  const toReceiver = (m: MavLinkData) => {
    if (opts.drop?.(m)) return;
    if (m instanceof EventMessage) receiver.onEvent({ ...m, arguments: m.arguments });
    else if (m instanceof CurrentEventSequence) receiver.onCurrentSequence(m.sequence, m.flags);
    else if (m instanceof ResponseEventError) receiver.onError(m.sequence, m.sequenceOldestAvailable);
  };
  const server = new EventsServer({ sysid: 1, now: () => clock.now(), timeBootMs: () => clock.now() + 1, broadcast: toReceiver, capacity: opts.capacity ?? 32 });
  const requests: [number, number][] = [];
  receiver = new EventReceiver({
    ourSystem: 245, ourComponent: 190,
    request: (first, last) => {
      requests.push([first, last]);
      const r = new RequestEvent();
      Object.assign(r, { targetSystem: 1, targetComponent: 1, firstSequence: first, lastSequence: last });
      server.handle({ send: toReceiver }, frame, r);
    },
    deliver: (e) => delivered.push(e),
    lost: (n) => lost.push(n),
    after: (ms, fn) => {
      const h = clock.setTimeout(fn, ms);
      return () => clock.clearTimeout(h);
    },
  });
  const emit = (n: number) => {
    for (let i = 0; i < n; i++) server.emit('sitl_command_denied', 2, [['uint16_t', 22], ['uint8_t', i % 14]]);
  };
  return { clock, server, receiver, delivered, lost, requests, emit };
}

describe('events receiver ⇄ SITL sender', () => {
  it('delivers in order, exactly once, and recovers a dropped event with REQUEST_EVENT', () => {
    let n = 0;
    const w = wire({ drop: (m) => m instanceof EventMessage && m.sequence === 2 && n++ === 0 });
    w.emit(5);
    expect(w.delivered.map((e) => e.sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(w.requests[0]).toEqual([2, 2]);
    expect(w.receiver.stats.duplicates).toBe(0);
  });

  it('finds events lost at the tail through CURRENT_EVENT_SEQUENCE', () => {
    const w = wire({ drop: (m) => m instanceof EventMessage && m.sequence >= 3 && w.requests.length === 0 });
    w.server.tick(0); // RESET flag, sequence 0xffff: tracking starts
    w.emit(5);
    expect(w.delivered.map((e) => e.sequence)).toEqual([0, 1, 2]);
    w.server.tick(3000);
    expect(w.delivered.map((e) => e.sequence)).toEqual([0, 1, 2, 3, 4]);
  });

  it('counts events the sender no longer has (RESPONSE_EVENT_ERROR) and resumes at the oldest kept', () => {
    const w = wire({ capacity: 4, drop: (m) => m instanceof EventMessage && m.sequence >= 1 && m.sequence <= 6 && w.requests.length === 0 });
    w.emit(1); // 0 arrives
    w.emit(9); // 1..6 lost on the way; 7 triggers the request, when 4..7 are kept
    expect(w.lost).toEqual([3]); // 1..3 gone for good
    expect(w.delivered.map((e) => e.sequence)).toEqual([0, 4, 5, 6, 7, 8, 9]);
  });

  it('drops duplicates and handles the 16-bit wrap-around', () => {
    const w = wire();
    for (const seq of [65534, 65535, 65535, 0, 1, 0]) {
      w.receiver.onEvent({ id: 1, sequence: seq, eventTimeBootMs: 5000, logLevels: 6, arguments: [], destinationSystem: 0, destinationComponent: 0 });
    }
    expect(w.delivered.map((e) => e.sequence)).toEqual([65534, 65535, 0, 1]);
    expect(w.receiver.stats.duplicates).toBe(2);
  });

  it('restarts tracking on the RESET flag and on a boot-time jump back (reboot)', () => {
    const w = wire();
    const ev = (sequence: number, t: number) => w.receiver.onEvent({ id: 1, sequence, eventTimeBootMs: t, logLevels: 6, arguments: [], destinationSystem: 0, destinationComponent: 0 });
    ev(100, 60_000);
    ev(101, 61_000);
    ev(0, 1_000); // rebooted: sequence restarted
    w.receiver.onCurrentSequence(5, 1); // RESET
    ev(6, 2_000);
    expect(w.delivered.map((e) => e.sequence)).toEqual([100, 101, 0, 6]);
    expect(w.receiver.stats.resets).toBe(2);
  });

  it('gives up on a sequence the sender never answers for (bounded retries on the clock)', async () => {
    const w = wire({ drop: (m) => m instanceof EventMessage && m.sequence === 1 });
    w.emit(3);
    await w.clock.run({ until: 5000 });
    expect(w.lost).toEqual([1]);
    expect(w.delivered.map((e) => e.sequence)).toEqual([0, 2]);
    expect(w.requests.length).toBeLessThanOrEqual(12);
  });

  it('random EVENT / CURRENT_EVENT_SEQUENCE / RESPONSE_EVENT_ERROR streams never throw and never deliver a sequence twice', () => {
    const msg = fc.oneof(
      fc.record({ k: fc.constant('e' as const), seq: fc.integer({ min: 0, max: 0xffff }), t: fc.integer({ min: 0, max: 0xffffffff }) }),
      fc.record({ k: fc.constant('c' as const), seq: fc.integer({ min: 0, max: 0xffff }), flags: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ k: fc.constant('x' as const), seq: fc.integer({ min: 0, max: 0xffff }), oldest: fc.integer({ min: 0, max: 0xffff }) }),
    );
    fc.assert(fc.property(fc.array(msg, { maxLength: 60 }), (msgs) => {
      const w = wire();
      for (const m of msgs) {
        if (m.k === 'e') w.receiver.onEvent({ id: 7, sequence: m.seq, eventTimeBootMs: m.t, logLevels: 6, arguments: [], destinationSystem: 0, destinationComponent: 0 });
        else if (m.k === 'c') w.receiver.onCurrentSequence(m.seq, m.flags);
        else w.receiver.onError(m.seq, m.oldest);
      }
      // Between resets, no sequence is delivered twice in a row.
      const seqs = w.delivered.map((e) => e.sequence);
      return seqs.every((s, i) => i === 0 || s !== seqs[i - 1]);
    }), { numRuns: 300 });
  });

  it('EVENT frames survive the codec: random fields and arguments round-trip, random bytes never throw', () => {
    const enc = new MavlinkEncoder(1, 1);
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ minLength: 40, maxLength: 40 }), (id, seq, a) => {
      const e = new EventMessage();
      Object.assign(e, { id, sequence: seq, eventTimeBootMs: 5, logLevels: 0x62, arguments: [...a] });
      let got: EventMessage | undefined;
      new MavlinkParser().push(enc.encode(e), (f) => { got = decode(f) as EventMessage; });
      return got instanceof EventMessage && got.id === id && got.sequence === seq && got.arguments.join() === [...a].join();
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      new MavlinkParser().push(Buffer.from([0xfd, bytes.length & 0xff, 0, 0, 0, 1, 1, 0x9a, 0x01, 0x00, ...bytes]), (f) => { decode(f); });
      return true;
    }), { numRuns: 300 });
  });
});

describe('events over UDP with the built-in SITL', () => {
  it("a refused switch to Mission carries PX4's reason; metadata comes over FTP; a lost EVENT is re-requested", async () => {
    const h = await startSitl({ speed: 20 });
    cleanups.push(() => h.close());
    const proxy = await startLossyProxy(h.sitl.endpoints[0]!.apiLocalPort);
    cleanups.push(() => proxy.close());
    let droppedEvent = false;
    proxy.setRule((dir, m) => dir === 'toClient' && m instanceof EventMessage && !droppedEvent && (droppedEvent = true));
    const opened = await openLink(`udpout://127.0.0.1:${proxy.port}`, { clock: h.clock });
    if (!opened.ok) throw new Error(opened.error.message);
    const link = opened.value;
    const session = new MavSession({ link, clock: h.clock, logger: silentLogger, gcsSysid: 245, gcsCompid: 190, targetSystem: 1, speedFactor: 1 });
    session.linkUp = true; // no heartbeat plugin here
    const commands = new CommandProtocol(session);
    const events = createEventsClient({ session, logger: silentLogger, commands, ftp: { timeoutMs: 300 } });
    cleanups.push(async () => { events.dispose(); commands.dispose(); session.close(); await link.close(); });
    const seen: OperatorEvent[] = [];
    events.subscribe((e) => seen.push(e));

    const meta = await events.loadMetadata();
    expect(meta.ok).toBe(true);
    expect(meta.ok && [meta.value.generalUri, meta.value.eventsUri]).toEqual(['mftp://etc/extras/component_general.json.xz', 'mftp://etc/extras/all_events.json.xz']);
    expect(meta.ok && meta.value.crcOk).toBe(true);

    // Tracking starts with the first CURRENT_EVENT_SEQUENCE (every 3 s): before it, a lost
    // first event could not be noticed (as in libevents).
    await h.waitSim(3100);
    expect(events.stats.tracking).toBe(true);
    const since = events.cursor();
    // DO_SET_MODE AUTO.MISSION with no mission uploaded, armed: PX4 (and the SITL) refuse it
    // (disarmed, PX4 v1.15 accepts any mode switch).
    expect((await commands.send({ command: 400, params: [1, 0, 0, 0, 0, 0, 0] })).ok).toBe(true);
    const r = await commands.send({ command: 176, params: [1, 4, 4, 0, 0, 0, 0] });
    expect(!r.ok && r.error.context?.result).toBe('TEMPORARILY_REJECTED');
    const why = await events.refusalReason(since, 3000);
    expect(why).toBe("Switching to mode 'Mission' is currently not possible: No valid mission available");
    expect(droppedEvent).toBe(true);
    expect(events.stats.requests).toBeGreaterThanOrEqual(1);
    expect(events.healthReport()?.checks.map((c) => c.name)).toEqual(['check_modes_mission']);
    expect(events.healthReport()?.modeGroups.find((g) => g.name === 'mission')?.canRun).toBe(false);
    expect(seen.map((e) => [e.name, e.severity])).toContainEqual(['commander_modeswitch_not_avail', 'critical']);

    // A takeoff while disarmed: the simulator refuses (PX4 would not), with its own event.
    expect((await commands.send({ command: 400, params: [0, 0, 0, 0, 0, 0, 0] })).ok).toBe(true);
    const since2 = events.cursor();
    const t = await commands.send({ command: 22, params: [Number.NaN, 0, 0, Number.NaN, Number.NaN, Number.NaN, 500] });
    expect(t.ok).toBe(false);
    expect(await events.refusalReason(since2, 3000)).toBe('Takeoff denied: not armed');
  });

  it('COMMAND_ACK on its own (events client absent) still works: the SITL events are extra traffic only', async () => {
    const h = await startSitl({ speed: 20 });
    cleanups.push(() => h.close());
    expect((await h.gcs.command(1, 400, [1])).result).toBe(0); // armed: the switch to Mission is checked
    const since = h.gcs.log.length;
    h.gcs.send(Object.assign(new common.CommandLong(), { targetSystem: 1, targetComponent: 1, command: 176, _param1: 1, _param2: 4, _param3: 4, _param4: 0, _param5: 0, _param6: 0, _param7: 0, confirmation: 0 }));
    const ack = await h.gcs.next(common.CommandAck, (m) => m.command === 176, { since });
    expect(ack.msg.result).toBe(1);
    const ev = await h.gcs.nextWhere((x) => x.msg instanceof EventMessage && (x.msg as EventMessage).id === ((1 << 24) | 10503063) >>> 0, { since });
    expect(ev.t).toBeGreaterThanOrEqual(ack.t);
  });
});
