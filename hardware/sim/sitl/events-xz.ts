/**
 * A minimal .xz writer for the SITL's metadata files, so it serves `*.json.xz` at PX4's URIs:
 * one block of LZMA2 *uncompressed* chunks (the format's stored mode), CRC32 check.
 *
 * @remarks
 * Any xz decoder reads it (`xz -t`, xz-embedded in `xz-decompress`, Python's lzma); it is not
 * smaller than its input, which does not matter for a few kilobytes over loopback. Written here
 * because no maintained npm package compresses xz without a native addon on Node 20; the
 * layout follows the .xz file format specification 1.2.1 (stream header/footer, block header
 * with one LZMA2 filter, index), LZMA2 chunks of at most 64 KiB.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

/** CRC-32 (IEEE, as zlib and .xz use it): Node's own `zlib.crc32`. */
export function crc32(data: ArrayLike<number>, from = 0, to = data.length): number {
  return zlibCrc32(Uint8Array.from({ length: to - from }, (_, i) => data[from + i]!));
}

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** .xz multibyte integer (7 bits per byte, little-endian, high bit = more). */
function varint(v: number): number[] {
  const out: number[] = [];
  let x = v;
  while (x >= 0x80) {
    out.push((x & 0x7f) | 0x80);
    x = Math.floor(x / 128);
  }
  out.push(x);
  return out;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;
const CHUNK = 0x10000;

/** `data` as a valid .xz stream (stored, not compressed). */
export function xzStore(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  // Stream header: magic, flags (check = CRC32), CRC32 of the flags.
  const flags = [0x00, 0x01];
  out.push(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, ...flags, ...le32(crc32(flags)));
  // Block header: size, flags (1 filter, no sizes), LZMA2 filter (id 0x21, 1 property byte:
  // dictionary 4 KiB), padding, CRC32.
  const header = [0x02, 0x00, 0x21, 0x01, 0x00, 0x00, 0x00, 0x00];
  const blockStart = out.length;
  out.push(...header, ...le32(crc32(header)));
  const headerSize = out.length - blockStart;
  // LZMA2 uncompressed chunks: 0x01 = with dictionary reset (first), 0x02 = without; size − 1 big-endian.
  const dataStart = out.length;
  for (let o = 0, first = true; o < data.length; o += CHUNK, first = false) {
    const n = Math.min(CHUNK, data.length - o);
    out.push(first ? 0x01 : 0x02, ((n - 1) >> 8) & 0xff, (n - 1) & 0xff);
    for (let i = 0; i < n; i++) out.push(data[o + i]!);
  }
  out.push(0x00); // end of LZMA2 data
  const compressedSize = out.length - dataStart;
  for (let i = pad4(headerSize + compressedSize); i > 0; i--) out.push(0);
  out.push(...le32(crc32(data)));
  const unpadded = headerSize + compressedSize + 4;
  // Index: indicator, one record (unpadded size, uncompressed size), padding, CRC32.
  const index = [0x00, ...varint(1), ...varint(unpadded), ...varint(data.length)];
  for (let i = pad4(index.length); i > 0; i--) index.push(0);
  out.push(...index, ...le32(crc32(index)));
  // Stream footer: CRC32 of (backward size, flags), backward size, flags, magic.
  const backward = [...le32((index.length + 4) / 4 - 1), ...flags];
  out.push(...le32(crc32(backward)), ...backward, 0x59, 0x5a);
  return Uint8Array.from(out);
}
