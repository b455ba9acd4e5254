import { once } from 'node:events';
import fc from 'fast-check';
import { common, MavLinkPacketParser, MavLinkPacketSplitter, MavLinkProtocolV2, minimal, x25crc, type MavLinkData, type MavLinkPacket } from 'node-mavlink';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunked, recordPx4Telemetry, type Recording } from '../../bench/internal/px4-telemetry.js';
import { planFor } from '../../hardware/real/mavlink/internal/decode-plan.js';
import { decode, MAX_FRAME_LEN, mavCrc, MavlinkEncoder, MavlinkParser, REGISTRY, type MavFrame } from '../../hardware/real/mavlink/codec.js';

/** node-mavlink's stock pipeline: what our codec must agree with, message for message. */
async function stockDecode(chunks: Buffer[]): Promise<{ msgid: number; seq: number; sysid: number; data: MavLinkData }[]> {
  const splitter = new MavLinkPacketSplitter();
  const parser = new MavLinkPacketParser();
  const out: { msgid: number; seq: number; sysid: number; data: MavLinkData }[] = [];
  parser.on('data', (p: MavLinkPacket) => {
    const clazz = REGISTRY[p.header.msgid];
    if (clazz) out.push({ msgid: p.header.msgid, seq: p.header.seq, sysid: p.header.sysid, data: p.protocol.data(p.payload, clazz) });
  });
  splitter.pipe(parser);
  for (const c of chunks) splitter.write(c);
  splitter.end();
  await once(parser, 'finish');
  await new Promise((r) => setImmediate(r));
  return out;
}

function parseAll(chunks: Buffer[], parser = new MavlinkParser()): MavFrame[] {
  const frames: MavFrame[] = [];
  for (const c of chunks) parser.push(c, (f) => frames.push({ ...f, payload: Buffer.from(f.payload) }));
  return frames;
}

/** Header + payload + CRC of one frame, compared as plain data. */
const shape = (f: MavFrame) => ({ version: f.version, seq: f.seq, sysid: f.sysid, compid: f.compid, msgid: f.msgid, payload: f.payload.toString('hex') });

let rec: Recording;
beforeAll(() => {
  rec = recordPx4Telemetry(120, 7);
});

describe('equivalence with node-mavlink on a recorded PX4 stream', () => {
  it('the recording covers MAVLink 1, signed frames and truncated payloads', () => {
    expect(rec.frames.some((f) => f.version === 1)).toBe(true);
    expect(rec.frames.some((f) => f.signed)).toBe(true);
    const truncated = parseAll([rec.stream]).filter((f) => f.payload.length < REGISTRY[f.msgid]!.PAYLOAD_LENGTH);
    expect(truncated.length).toBeGreaterThan(100);
  });

  for (const how of ['datagram', 256, 7] as const) {
    it(`decodes every packet to the same values as the stock pipeline (chunks: ${how})`, async () => {
      const chunks = chunked(rec, how);
      const stock = await stockDecode(chunks);
      const parser = new MavlinkParser();
      const ours: MavLinkData[] = [];
      const frames: MavFrame[] = [];
      for (const c of chunks) parser.push(c, (f) => { frames.push(f); ours.push(decode(f)!); });
      expect(parser.stats).toEqual({ frames: rec.frames.length, badCrc: 0, unknownMsg: 0, garbageBytes: 0, incompatible: 0 });
      expect(ours).toHaveLength(stock.length);
      for (let i = 0; i < ours.length; i++) {
        expect(frames[i]!.msgid).toBe(stock[i]!.msgid);
        expect(frames[i]!.seq).toBe(stock[i]!.seq);
        expect(frames[i]!.sysid).toBe(stock[i]!.sysid);
        // Same class, same own keys in the same order, same values (BigInt, NaN, -0 included).
        expect(ours[i]).toStrictEqual(stock[i]!.data);
        expect(Object.keys(ours[i]!)).toEqual(Object.keys(stock[i]!.data));
        expect(ours[i]).toBeInstanceOf(REGISTRY[frames[i]!.msgid]!);
      }
    });
  }

  it('the interpreted fallback (no code generation) decodes the same values', () => {
    for (const f of parseAll(chunked(rec, 'datagram')).slice(0, 2000)) {
      const plan = planFor(REGISTRY[f.msgid]!, false);
      const full = Buffer.concat([f.payload, Buffer.alloc(Math.max(0, plan.payloadLength - f.payload.length))]);
      expect(plan.decode(full)).toStrictEqual(decode(f));
    }
  });

  it('frame headers match what was recorded', () => {
    const frames = parseAll(chunked(rec, 'datagram'));
    expect(frames.map((f) => f.version)).toEqual(rec.frames.map((f) => f.version));
    expect(frames.map((f) => f.msgid)).toEqual(rec.frames.map((f) => (f.message.constructor as unknown as { MSG_ID: number }).MSG_ID));
  });
});

describe('MAVLink 1 and 2 details', () => {
  it('zero-fills extension fields absent from a MAVLink 1 frame', async () => {
    // MISSION_CURRENT in MAVLink 1 carries only seq (2 bytes); total, mission_state… are extensions.
    const payload = Buffer.from([0x05, 0x00]);
    const head = Buffer.from([0xfe, payload.length, 9, 1, 1, common.MissionCurrent.MSG_ID]);
    const body = Buffer.concat([head, payload, Buffer.alloc(2)]);
    body.writeUInt16LE(x25crc(body, 1, 2, common.MissionCurrent.MAGIC_NUMBER), body.length - 2);
    const [frame] = parseAll([body]);
    expect(frame).toMatchObject({ version: 1, seq: 9, msgid: 42 });
    const msg = decode(frame!) as common.MissionCurrent;
    expect(msg).toMatchObject({ seq: 5, total: 0, missionState: 0, missionId: 0 });
    expect(msg).toStrictEqual((await stockDecode([body]))[0]!.data);
  });

  it('decodes extension fields present in a MAVLink 2 frame, and a payload longer than known', () => {
    const enc = new MavlinkEncoder(1, 1);
    const m = Object.assign(new common.MissionCurrent(), { seq: 3, total: 12, missionState: 3, missionMode: 1, missionId: 77, fenceId: 0, rallyPointsId: 0 });
    const [frame] = parseAll([enc.encode(m)]);
    expect(frame!.payload.length).toBeLessThan(common.MissionCurrent.PAYLOAD_LENGTH); // truncated trailing zeros
    expect(decode(frame!)).toMatchObject({ seq: 3, total: 12, missionState: 3, missionMode: 1, missionId: 77, fenceId: 0 });
    // A newer dialect may append fields we do not know: they are ignored.
    const longer = Buffer.concat([frame!.payload, Buffer.alloc(20, 0xaa)]);
    expect(decode({ ...frame!, payload: longer })).toMatchObject({ seq: 3, total: 12 });
  });

  it('skips the signature of a signed frame', () => {
    const proto = new MavLinkProtocolV2(3, 4, MavLinkProtocolV2.IFLAG_SIGNED);
    const hb = Object.assign(new minimal.Heartbeat(), { type: 2, autopilot: 12, baseMode: 81, customMode: 0x04040000, systemStatus: 4, mavlinkVersion: 3 });
    const signed = proto.sign(proto.serialize(hb, 1), 7, Buffer.alloc(32, 1), Date.UTC(2024, 0, 1));
    const frames = parseAll([Buffer.concat([signed, signed])]);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatchObject({ sysid: 3, compid: 4, msgid: 0 });
    expect(decode(frames[1]!)).toMatchObject({ customMode: 0x04040000, systemStatus: 4 });
  });

  it('returns undefined for a message id outside the registry', () => {
    expect(decode({ version: 2, seq: 0, sysid: 1, compid: 1, msgid: 0xabcdef, payload: Buffer.alloc(4) })).toBeUndefined();
  });
});

describe('chunk boundaries', () => {
  // Nine frames: v1, signed, truncated, a 50-char STATUSTEXT: about 400 bytes.
  const sample = () => Buffer.concat(rec.frames.slice(0, 400).filter((f, i) => f.version === 1 || f.signed || i % 45 === 0).slice(0, 9).map((f) => f.bytes));

  it('a stream split in two at every byte gives the same frames', () => {
    const bytes = sample();
    const whole = parseAll([bytes]).map(shape);
    expect(whole.length).toBe(9);
    for (let k = 0; k <= bytes.length; k++) {
      const parser = new MavlinkParser();
      expect(parseAll([bytes.subarray(0, k), bytes.subarray(k)], parser).map(shape)).toEqual(whole);
      expect(parser.stats.garbageBytes + parser.stats.badCrc).toBe(0);
    }
  });

  it('a stream fed one byte at a time gives the same frames', () => {
    const bytes = sample();
    const ones = Array.from(bytes, (b) => Buffer.from([b]));
    expect(parseAll(ones).map(shape)).toEqual(parseAll([bytes]).map(shape));
  });

  it('a frame split across three chunks, the last one long, comes out once', () => {
    const bytes = Buffer.concat([sample(), sample()]);
    for (const [a, b] of [[3, 20], [10, 11], [100, 101], [1, 2]] as const) {
      expect(parseAll([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]).map(shape)).toEqual(parseAll([bytes]).map(shape));
    }
  });
});

describe('CRC known answers', () => {
  it('CRC-16/MCRF4XX check value of "123456789" is 0x6F91 (last byte as the CRC extra)', () => {
    expect(mavCrc(Buffer.from('12345678'), 0, 8, '9'.charCodeAt(0))).toBe(0x6f91);
  });

  it('agrees with node-mavlink x25crc on random data', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 255 }), (data, extra) => {
      const buf = Buffer.from([...data, 0, 0]);
      expect(mavCrc(buf, 0, data.length, extra)).toBe(x25crc(buf, 0, 2, extra));
    }));
  });

  // Reference HEARTBEAT frames from rust-mavlink's test suite (seq 239, sys 1, comp 1,
  // custom_mode 5, type 2, autopilot 3, base_mode 0x59, status 3, version 3).
  const V2 = Buffer.from('fd090000ef010100000005000000020359030310f0', 'hex');
  const V1 = Buffer.from('fe09ef010100050000000203590303f1d7', 'hex');

  for (const [name, bytes, version] of [['MAVLink 2', V2, 2], ['MAVLink 1', V1, 1]] as const) {
    it(`parses the reference ${name} HEARTBEAT`, () => {
      const parser = new MavlinkParser();
      const frames = parseAll([bytes], parser);
      expect(parser.stats.badCrc).toBe(0);
      expect(frames).toHaveLength(1);
      expect(frames[0]).toMatchObject({ version, seq: 239, sysid: 1, compid: 1, msgid: 0 });
      expect(decode(frames[0]!)).toMatchObject({ customMode: 5, type: 2, autopilot: 3, baseMode: 0x59, systemStatus: 3, mavlinkVersion: 3 });
    });
  }

  it('the encoder reproduces the reference MAVLink 2 HEARTBEAT byte for byte', () => {
    const enc = new MavlinkEncoder(1, 1);
    const hb = Object.assign(new minimal.Heartbeat(), { customMode: 5, type: 2, autopilot: 3, baseMode: 0x59, systemStatus: 3, mavlinkVersion: 3 });
    let bytes: Buffer = Buffer.alloc(0);
    for (let i = 0; i <= 239; i++) bytes = enc.encode(hb);
    expect(bytes.toString('hex')).toBe(V2.toString('hex'));
  });

  it('counts a corrupted byte as a bad CRC and keeps the next frame', () => {
    const bad = Buffer.from(V2);
    bad[12] = bad[12]! ^ 0x40;
    const parser = new MavlinkParser();
    const frames = parseAll([Buffer.concat([bad, V1])], parser);
    expect(frames.map((f) => f.version)).toEqual([1]);
    expect(parser.stats.badCrc).toBe(1);
  });
});

describe('untrusted input (fast-check)', () => {
  const frameArb = () => fc.integer({ min: 0, max: rec.frames.length - 1 }).map((i) => rec.frames[i]!.bytes);
  const piece = () => fc.oneof(
    fc.record({ valid: fc.constant(true), bytes: frameArb() }),
    fc.record({ valid: fc.constant(false), bytes: fc.uint8Array({ maxLength: 120 }).map((a) => Buffer.from(a)) }),
    // Garbage made of start bytes and plausible headers, the worst case for resynchronisation.
    fc.record({ valid: fc.constant(false), bytes: fc.array(fc.constantFrom(0xfd, 0xfe, 0x00, 0x01, 0x09, 0xff), { maxLength: 40 }).map((a) => Buffer.from(a)) }),
  );

  it('random bytes never throw, are all accounted for, and the pending buffer stays under one frame', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 600 })), (chunks) => {
      const parser = new MavlinkParser();
      for (const c of chunks) {
        parser.push(Buffer.from(c), (f) => void decode(f));
        expect(parser.pendingBytes).toBeLessThan(MAX_FRAME_LEN);
      }
    }), { numRuns: 300 });
  });

  it('valid frames interleaved with garbage all come out, in order; drops are counted', () => {
    fc.assert(fc.property(fc.array(piece(), { maxLength: 30 }), fc.integer({ min: 1, max: 400 }), (pieces, cut) => {
      // Trailing zeros flush a false start byte in the garbage that claims a long frame.
      const stream = Buffer.concat([...pieces.map((p) => p.bytes), Buffer.alloc(MAX_FRAME_LEN)]);
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += cut) chunks.push(stream.subarray(i, i + cut));
      const parser = new MavlinkParser();
      const got: string[] = [];
      for (const c of chunks) {
        parser.push(c, (f) => {
          decode(f);
          got.push(f.payload.toString('hex') + ':' + f.msgid);
        });
        expect(parser.pendingBytes).toBeLessThan(MAX_FRAME_LEN);
      }
      const want = pieces.filter((p) => p.valid).map((p) => {
        const [f] = parseAll([p.bytes]);
        return f!.payload.toString('hex') + ':' + f!.msgid;
      });
      // Every valid frame comes out in order (garbage could, in theory, form a valid frame too).
      let k = 0;
      for (const g of got) if (k < want.length && g === want[k]) k++;
      expect(k).toBe(want.length);
      const garbage = pieces.filter((p) => !p.valid).reduce((s, p) => s + p.bytes.length, 0);
      const { badCrc, unknownMsg, garbageBytes } = parser.stats;
      // Each dropped byte is counted once: as garbage, or as the start byte of a bad/unknown frame.
      expect(garbageBytes + badCrc + unknownMsg).toBeLessThanOrEqual(garbage + MAX_FRAME_LEN + (got.length - want.length) * MAX_FRAME_LEN);
      if (garbage > 0 && got.length === want.length) expect(garbageBytes + badCrc + unknownMsg).toBeGreaterThan(0);
    }), { numRuns: 300, seed: 20240601 });
  });
});
