/**
 * The file under an MCAP writer, and the chunk compressor.
 *
 * @remarks
 * Writes are synchronous `write(2)` calls on one descriptor: once the writer hands a finished
 * chunk over, it is in the kernel, so a process killed mid-run leaves a file readable up to its
 * last chunk (the page cache outlives the process; `close` also fsyncs for power loss).
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
export class SyncFile {
  private offset = 0n;
  private fd: number | undefined;

  /** Opens (creates or truncates) `path`; throws the fs error (the caller turns it into a result). */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w', 0o644);
  }

  /** Appends `buffer` (one or more `write(2)` calls; throws the fs error). */
  write(buffer: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.path}: written after close`);
    let done = 0;
    while (done < buffer.byteLength) done += writeSync(this.fd, buffer, done, buffer.byteLength - done);
    this.offset += BigInt(buffer.byteLength);
  }

  /** Bytes written so far. */
  get bytes(): number {
    return Number(this.offset);
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

export type ChunkCompression = 'zstd' | 'none';

export type CompressChunk = (chunk: Uint8Array) => { compression: string; compressedData: Uint8Array };

/**
 * The chunk compressor for `compression`, loaded lazily (zstd is WebAssembly: Foxglove's own
 * build, `@foxglove/wasm-zstd`, the codec Foxglove Studio reads with). Level 3, zstd's default.
 */
export async function chunkCompressor(compression: ChunkCompression): Promise<CompressChunk | undefined> {
  if (compression === 'none') return undefined;
  const zstd = (await import('@foxglove/wasm-zstd')).default;
  await zstd.isLoaded;
  return (chunk) => ({ compression: 'zstd', compressedData: zstd.compress(chunk, 3) });
}

/** A zstd decompressor for readers (`McapStreamReader` / `McapIndexedReader` decompressHandlers). */
export async function chunkDecompressors(): Promise<Record<string, (data: Uint8Array, size: bigint) => Uint8Array>> {
  const zstd = (await import('@foxglove/wasm-zstd')).default;
  await zstd.isLoaded;
  return { zstd: (data, size) => zstd.decompress(data, Number(size)) };
}
