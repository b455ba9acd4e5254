/**
 * LAZ (LASzip-compressed LAS) reading with laz-perf (hobu, the LAZ implementation PDAL uses,
 * compiled to WASM; npm `laz-perf`). The point records are decompressed into an uncompressed LAS
 * image (same header and VLRs, compression bits cleared, EVLR pointer dropped) that
 * {@link decodeLas} then reads, so LAZ gets exactly the LAS reader's semantics. Point formats as
 * laz-perf supports them: 0–3 (LAS ≤ 1.3 style, LAZ 1.x) and 6–8 (LAS 1.4 layered chunks).
 * Writing LAZ is not offered: laz-perf's WASM build has a decoder only.
 *
 * Async (the WASM module is instantiated once, on first use). Never throws: corrupt or truncated
 * compressed data is `LAS.LAZ_CORRUPT`.
 */
import { createLazPerf } from 'laz-perf';
import { fail, ok, type Result } from '../../core/result.js';
import { MAX_POINTS_DEFAULT } from '../internal/scalar-io.js';
import { decodeLas, type LasErrorCode, type LasFile } from './las.codec.js';

export type LazErrorCode = LasErrorCode | 'LAS.LAZ_CORRUPT';

interface LazPerfModule {
  readonly HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  LASZip: new () => { open(p: number, n: number): void; getPoint(p: number): void; getCount(): number; getPointLength(): number; getPointFormat(): number; delete(): void };
}

let modulePromise: Promise<LazPerfModule> | null = null;
function lazPerf(): Promise<LazPerfModule> {
  if (!modulePromise) {
    // laz-perf ships CommonJS (an Emscripten factory); its typings describe the module loosely.
    modulePromise = (createLazPerf as unknown as () => Promise<LazPerfModule>)();
    modulePromise.catch(() => { modulePromise = null; });
  }
  return modulePromise;
}

/** True when `bytes` is a LAS file whose point data is LAZ-compressed (point format bit 7 or 6 set). */
export function isLaz(bytes: Uint8Array): boolean {
  return bytes.length >= 227 && bytes[0] === 0x4c && bytes[1] === 0x41 && bytes[2] === 0x53 && bytes[3] === 0x46 && (bytes[104]! & 0xc0) !== 0;
}

/**
 * Decompresses LAZ into uncompressed LAS bytes (header and VLRs kept, point format bits 6/7
 * cleared; a LAS 1.4 header's EVLR pointer and count zeroed, as EVLRs are not carried over).
 */
export async function decompressLaz(bytes: Uint8Array, opts: { maxPoints?: number } = {}): Promise<Result<Uint8Array, LazErrorCode>> {
  if (!isLaz(bytes)) return fail('LAS.BAD_HEADER', 'not a LAZ file (no LASF signature or point format compression bit clear)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = dv.getUint16(94, true);
  const dataOffset = dv.getUint32(96, true);
  const recLen = dv.getUint16(105, true);
  const vMin = bytes[25]!;
  if (headerSize < 227 || dataOffset < headerSize || dataOffset + 8 > bytes.length) return fail('LAS.BAD_HEADER', `header size ${headerSize} / point data offset ${dataOffset} inconsistent with ${bytes.length} bytes`);
  let count = dv.getUint32(107, true);
  if (vMin >= 4 && headerSize >= 375 && count === 0) count = Number(dv.getBigUint64(247, true));
  const maxPoints = opts.maxPoints ?? MAX_POINTS_DEFAULT;
  if (count > maxPoints) return fail('LAS.TOO_LARGE', `${count} points > limit ${maxPoints}`);
  // The chunk table offset (int64 at the start of the point data) must lie inside the file, or laz-perf reads past it.
  const chunkTable = Number(dv.getBigInt64(dataOffset, true));
  if (chunkTable !== -1 && (chunkTable < dataOffset + 8 || chunkTable + 8 > bytes.length)) return fail('LAS.LAZ_CORRUPT', `chunk table offset ${chunkTable} outside the ${bytes.length}-byte file (truncated?)`);

  let m: LazPerfModule;
  try { m = await lazPerf(); } catch (e) { return fail('LAS.LAZ_CORRUPT', `laz-perf failed to load: ${(e as Error).message}`, { cause: e }); }
  const filePtr = m._malloc(bytes.length);
  let ptPtr = 0;
  let laz: InstanceType<LazPerfModule['LASZip']> | null = null;
  try {
    m.HEAPU8.set(bytes, filePtr);
    laz = new m.LASZip();
    laz.open(filePtr, bytes.length);
    const n = laz.getCount(), len = laz.getPointLength();
    if (n !== count) return fail('LAS.LAZ_CORRUPT', `laz-perf counts ${n} points, the header ${count}`);
    if (len !== recLen) return fail('LAS.LAZ_CORRUPT', `laz-perf point length ${len} ≠ header record length ${recLen}`);
    const out = new Uint8Array(dataOffset + n * len);
    out.set(bytes.subarray(0, dataOffset));
    out[104] = bytes[104]! & 0x3f;
    if (vMin >= 4 && headerSize >= 375) { out.fill(0, 235, 247); } // start of first EVLR (u64) + EVLR count (u32)
    ptPtr = m._malloc(len);
    for (let i = 0; i < n; i++) {
      laz.getPoint(ptPtr);
      out.set(m.HEAPU8.subarray(ptPtr, ptPtr + len), dataOffset + i * len); // HEAPU8 re-read: memory may grow
    }
    return ok(out);
  } catch (e) {
    // Emscripten exceptions are numbers or Errors; the module may be unusable after an abort.
    modulePromise = null;
    return fail('LAS.LAZ_CORRUPT', `LAZ decompression failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    try { laz?.delete(); if (ptPtr) m._free(ptPtr); m._free(filePtr); } catch { /* module aborted */ }
  }
}

/** Decodes a LAZ file into a cloud, with the same fields and header as {@link decodeLas}. */
export async function decodeLaz(bytes: Uint8Array, opts: { maxPoints?: number } = {}): Promise<Result<LasFile, LazErrorCode>> {
  const las = await decompressLaz(bytes, opts);
  return las.ok ? decodeLas(las.value, opts) : las;
}
