/**
 * MAVLink 2 incompat_flags: a frame with a bit we do not understand must be dropped (the
 * specification: "a MAVLink library must discard a packet if it does not understand any flag in
 * incompat_flags"); SIGNED (0x01) is understood and adds a 13-byte signature to the frame.
 */
import { common, minimal, MavLinkProtocolV2 } from 'node-mavlink';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordPx4Telemetry, type Recording } from '../../bench/internal/px4-telemetry.js';
import { Rng } from '../../core/rng.js';
import { mavCrc, MavlinkEncoder, MavlinkParser, REGISTRY, type MavFrame } from '../../hardware/real/mavlink/codec.js';

/** Sets `bits` in a MAVLink 2 frame's incompat_flags and recomputes its CRC (the frame stays well-formed). */
function withIncompat(frame: Buffer, bits: number): Buffer {
  const b = Buffer.from(frame);
  b[2] = b[2]! | bits;
  const len = b[1]!;
  const msgid = b[7]! | (b[8]! << 8) | (b[9]! << 16);
  const crc = mavCrc(b, 1, 10 + len, REGISTRY[msgid]!.MAGIC_NUMBER);
  b[10 + len] = crc & 0xff;
  b[11 + len] = crc >> 8;
  return b;
}

const key = (f: MavFrame) => `${f.version}/${f.seq}/${f.sysid}/${f.compid}/${f.msgid}/${f.payload.toString('hex')}`;

function parse(chunks: Buffer[]): { frames: string[]; parser: MavlinkParser } {
  const parser = new MavlinkParser();
  const frames: string[] = [];
  for (const c of chunks) parser.push(c, (f) => frames.push(key(f)));
  return { frames, parser };
}

let rec: Recording;
beforeAll(() => {
  rec = recordPx4Telemetry(100, 11);
});

describe('incompat_flags', () => {
  const hb = Object.assign(new minimal.Heartbeat(), { type: 2, autopilot: 12, baseMode: 81, customMode: 0x04040000, systemStatus: 4, mavlinkVersion: 3 });

  for (const bits of [0x02, 0x04, 0x80, 0xfe]) {
    it(`drops a frame with a valid CRC and incompat_flags 0x${bits.toString(16)}; the next frame still comes out`, () => {
      const enc = new MavlinkEncoder(1, 1);
      const bad = withIncompat(enc.encode(hb), bits);
      const good = enc.encode(hb);
      const { frames, parser } = parse([Buffer.concat([bad, good])]);
      expect(frames).toHaveLength(1);
      expect(frames[0]).toBe(parse([good]).frames[0]);
      expect(parser.stats.incompatible).toBe(1);
    });
  }

  it('a signed frame (0x01) is read with its 13-byte signature; signed | unknown (0x03) is dropped', () => {
    const proto = new MavLinkProtocolV2(3, 1, MavLinkProtocolV2.IFLAG_SIGNED);
    const signed = proto.sign(proto.serialize(hb, 9), 1, Buffer.alloc(32, 7), Date.UTC(2025, 0, 1));
    expect(signed.length).toBe(10 + signed[1]! + 2 + 13);
    const plain = new MavlinkEncoder(3, 1).encode(hb);
    const both = parse([Buffer.concat([signed, plain, withIncompat(signed, 0x02), plain])]);
    expect(both.frames).toHaveLength(3);
    expect(both.parser.stats.incompatible).toBe(1);
    expect(both.frames[0]).toBe(parse([plain]).frames[0]!.replace(/^2\/0\//, '2/9/'));
  });

  it('a corpus of 5,000 valid frames and 2,000 corrupted ones decodes exactly the 5,000 valid frames, in order', () => {
    const rng = new Rng(20261130);
    const pick = <T,>(a: readonly T[]) => a[Math.floor(rng.next() * a.length)]!;
    const v2 = rec.frames.filter((f) => f.version === 2 && !f.signed);
    expect(rec.frames.length).toBeGreaterThanOrEqual(5000);
    const valid = rec.frames.slice(0, 5000).map((f) => f.bytes);
    const want = parse(valid).frames;
    expect(want).toHaveLength(5000);
    const corrupt = (): Buffer => {
      const f = Buffer.from(pick(v2).bytes);
      const len = f[1]!;
      switch (Math.floor(rng.next() * 4)) {
        case 0: // a well-formed frame with flags we do not understand (what was accepted before)
          return withIncompat(f, pick([0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x06, 0x82]));
        case 1: { // one payload byte changed (a burst under 16 bits: the CRC always sees it)
          if (len === 0) return f.subarray(0, 5);
          const at = 10 + Math.floor(rng.next() * len);
          f[at] = f[at]! ^ (1 + Math.floor(rng.next() * 255));
          return f;
        }
        case 2: // cut short
          return f.subarray(0, 1 + Math.floor(rng.next() * (f.length - 1)));
        default: // CRC bytes damaged
          f[10 + len] = f[10 + len]! ^ 0x5a;
          return f;
      }
    };
    const stream: Buffer[] = [];
    let bad = 0;
    let incompat = 0;
    for (const v of valid) {
      while (bad < 2000 && rng.next() < 0.3) {
        const c = corrupt();
        if (c.length > 2 && c[0] === 0xfd && (c[2]! & ~1) !== 0 && c.length === 12 + c[1]!) incompat++;
        stream.push(c);
        bad++;
      }
      stream.push(v);
    }
    while (bad < 2000) {
      stream.push(corrupt());
      bad++;
    }
    expect(incompat).toBeGreaterThan(300);
    const all = Buffer.concat(stream);
    for (const size of [all.length, 4096, 263, 17]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
      // Trailing zeros flush a cut-short frame at the very end.
      chunks.push(Buffer.alloc(300));
      const got = parse(chunks);
      expect(got.frames.length, `chunks of ${size}`).toBe(5000);
      expect(got.frames).toEqual(want);
      expect(got.parser.stats.incompatible).toBeGreaterThanOrEqual(incompat);
    }
  });

  it('still decodes MAVLink 2 frames with compat_flags set (those may be ignored)', () => {
    const f = Buffer.from(new MavlinkEncoder(1, 1).encode(Object.assign(new common.SystemTime(), { timeUnixUsec: 1n, timeBootMs: 5 })));
    f[3] = 0x01;
    const len = f[1]!;
    const crc = mavCrc(f, 1, 10 + len, common.SystemTime.MAGIC_NUMBER);
    f[10 + len] = crc & 0xff;
    f[11 + len] = crc >> 8;
    expect(parse([f]).frames).toHaveLength(1);
  });
});
