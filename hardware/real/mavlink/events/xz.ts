/**
 * Bounded .xz decompression for component metadata (PX4 serves `*.json.xz`).
 *
 * @remarks
 * Uses `xz-decompress` (xz-embedded compiled to WebAssembly, shipped inside the npm package: no
 * native addon, no download at install, Node ≥ 16). Output is read chunk by chunk and the
 * stream is cancelled as soon as it passes `maxBytes`, so a small malicious file cannot expand
 * into gigabytes. Corrupt input is a result (`METADATA.XZ`), never an exception.
 */
// A CommonJS package: Node's ESM loader finds no named exports in it (vitest did), so take the default.
import xzDecompress from 'xz-decompress';
const { XzReadableStream } = xzDecompress;
import { fail, ok, type Result } from '../../../../core/result.js';

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** Starts with the .xz stream header magic. */
export function isXz(data: Uint8Array): boolean {
  return data.length >= 6 && XZ_MAGIC.every((b, i) => data[i] === b);
}

export type XzErrorCode = 'METADATA.XZ' | 'METADATA.TOO_LARGE';

/** Decompresses a whole .xz file; fails past `maxBytes` of output. */
export async function decompressXz(data: Uint8Array, maxBytes: number): Promise<Result<Uint8Array, XzErrorCode>> {
  if (!isXz(data)) return fail('METADATA.XZ', 'not an xz stream (bad magic)');
  const input = new Blob([data as Uint8Array<ArrayBuffer>]).stream() as ReadableStream<Uint8Array>;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    reader = new XzReadableStream(input).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return fail('METADATA.TOO_LARGE', `xz output exceeds ${maxBytes} bytes`, { context: { limit: maxBytes } });
      }
      chunks.push(value);
    }
  } catch (err) {
    await reader?.cancel().catch(() => undefined);
    return fail('METADATA.XZ', `corrupt xz data: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return ok(out);
}
