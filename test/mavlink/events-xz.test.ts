/**
 * The SITL's stored .xz writer: every output is a valid .xz stream (the xz CLI when present,
 * and xz-decompress, which the client uses) that decodes to its input.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decompressXz } from '../../hardware/real/mavlink/events/xz.js';
import { crc32, xzStore } from '../../hardware/sim/sitl/events-xz.js';

describe('SITL .xz writer (stored LZMA2 chunks)', () => {
  it('round-trips through xz-decompress for sizes around the 64 KiB chunk boundary', async () => {
    for (const n of [0, 1, 3, 4, 5, 65535, 65536, 65537, 200_000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      const r = await decompressXz(xzStore(data), 1 << 20);
      expect(r.ok && Buffer.from(r.value).equals(Buffer.from(data)), `n=${n}`).toBe(true);
    }
  });

  it('random data round-trips (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (data) => {
      const r = await decompressXz(xzStore(data), 1 << 20);
      return r.ok && Buffer.from(r.value).equals(Buffer.from(data));
    }), { numRuns: 100 });
  });

  it('CRC-32 is the IEEE one (check value of "123456789")', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it.skipIf(!existsSync('/usr/bin/xz'))('the xz CLI accepts and decodes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xzstore-'));
    const data = new TextEncoder().encode(JSON.stringify({ hello: 'world', n: [1, 2, 3] }).repeat(3000));
    writeFileSync(join(dir, 'a.json.xz'), xzStore(data));
    execFileSync('/usr/bin/xz', ['-t', join(dir, 'a.json.xz')]);
    const out = execFileSync('/usr/bin/xz', ['-dc', join(dir, 'a.json.xz')]);
    expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
  });
});
