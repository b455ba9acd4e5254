/**
 * LZF (liblzf 3.x, as PCL's `lzfCompress`/`lzfDecompress` in pcl/io/lzf.h): the codec of PCD
 * `binary_compressed`. Control byte c < 32: a literal run of c + 1 bytes; otherwise a back
 * reference of length (c >> 5) + 2 (7 → plus the next byte) at distance ((c & 31) << 8 | next) + 1.
 */

/** Decompresses into exactly `outLength` bytes; null when the stream is corrupt or the size differs. */
export function lzfDecompress(input: Uint8Array, outLength: number): Uint8Array | null {
  const out = new Uint8Array(outLength);
  let ip = 0, op = 0;
  const inEnd = input.length;
  while (ip < inEnd) {
    let ctrl = input[ip++]!;
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLength || ip + ctrl > inEnd) return null;
      out.set(input.subarray(ip, ip + ctrl), op);
      op += ctrl; ip += ctrl;
    } else {
      let len = ctrl >> 5;
      if (len === 7) { if (ip >= inEnd) return null; len += input[ip++]!; }
      if (ip >= inEnd) return null;
      let ref = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++]!;
      len += 2;
      if (op + len > outLength || ref < 0) return null;
      // Overlapping copies are the format's run-length encoding: byte by byte.
      for (let k = 0; k < len; k++) out[op++] = out[ref++]!;
    }
  }
  return op === outLength ? out : null;
}

const HLOG = 16;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LIT = 1 << 5;

/** Compresses `input` (liblzf's algorithm, any valid LZF stream decodes with PCL). */
export function lzfCompress(input: Uint8Array): Uint8Array {
  const inLen = input.length;
  const out = new Uint8Array(inLen + Math.ceil(inLen / MAX_LIT) + 16);
  if (inLen === 0) return out.subarray(0, 0);
  const htab = new Int32Array(1 << HLOG).fill(-1);
  let ip = 0, op = 1, lit = 0;
  const flushLitHeader = () => { out[op - lit - 1] = lit - 1; };
  while (ip < inLen - 2) {
    const h = ((((input[ip]! << 16) | (input[ip + 1]! << 8) | input[ip + 2]!) * 2654435761) >>> (32 - HLOG));
    const ref = htab[h]!;
    htab[h] = ip;
    const off = ip - ref - 1;
    if (ref >= 0 && off < MAX_OFF && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      let len = 2;
      const maxLen = Math.min(MAX_REF, inLen - ip - len);
      do len++; while (len < maxLen && input[ref + len] === input[ip + len]);
      len -= 2;
      // Close the pending literal run (or drop its unused header byte).
      if (lit) flushLitHeader(); else op--;
      if (len < 7) out[op++] = (off >> 8) + (len << 5);
      else { out[op++] = (off >> 8) + (7 << 5); out[op++] = len - 7; }
      out[op++] = off & 0xff;
      ip += len + 2;
      lit = 0; op++; // reserve the next literal header
    } else {
      lit++; out[op++] = input[ip++]!;
      if (lit === MAX_LIT) { flushLitHeader(); lit = 0; op++; }
    }
  }
  while (ip < inLen) {
    lit++; out[op++] = input[ip++]!;
    if (lit === MAX_LIT) { flushLitHeader(); lit = 0; op++; }
  }
  if (lit) flushLitHeader(); else op--;
  return out.slice(0, op);
}
