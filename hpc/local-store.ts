/**
 * Where the local engine keeps job inputs and results: in memory (default), or as files in a
 * private directory (`hpc-local-XXXXXX`, mode 0700, made under the given one and removed with
 * everything in it on close), so queued clouds and stored results need not sit in the heap and a
 * worker thread reads its inputs and writes its result itself. Byte accounting is the engine's.
 */
import { mkdtempSync } from 'node:fs';
import { open, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One stored input or result. */
export type StoredBlob = { readonly size: number; readonly bytes: Buffer } | { readonly size: number; readonly path: string };

export interface LocalBlobStore {
  /** The private directory, or null in memory. */
  readonly dir: string | null;
  put(name: string, bytes: Uint8Array): Promise<StoredBlob>;
  /** Where a thread should write the blob `name` (directory mode), or null (send the bytes back). */
  pathFor(name: string): string | null;
  /** Bytes [start, end). */
  read(b: StoredBlob, start: number, end: number): Promise<Buffer>;
  /** Forgets a blob (unlinks its file; errors are ignored — the directory goes on close). */
  release(b: StoredBlob): void;
  close(): Promise<void>;
}

/** `dir` null or unset: memory. */
export function createLocalBlobStore(dir?: string | null): LocalBlobStore {
  if (!dir) {
    return {
      dir: null,
      put: async (_name, bytes) => ({ size: bytes.length, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) }),
      pathFor: () => null,
      read: async (b, start, end) => ('bytes' in b ? b.bytes.subarray(start, end) : Buffer.alloc(0)),
      release: () => undefined,
      close: async () => undefined,
    };
  }
  const root = mkdtempSync(join(dir, 'hpc-local-'));
  return {
    dir: root,
    async put(name, bytes) {
      const path = join(root, name);
      await writeFile(path, bytes, { mode: 0o600 });
      return { size: bytes.length, path };
    },
    pathFor: (name) => join(root, name),
    async read(b, start, end) {
      if ('bytes' in b) return b.bytes.subarray(start, end);
      const fh = await open(b.path, 'r');
      try {
        const out = Buffer.allocUnsafe(Math.max(0, end - start));
        const { bytesRead } = await fh.read(out, 0, out.length, start);
        return out.subarray(0, bytesRead);
      } finally { await fh.close(); }
    },
    release(b) { if ('path' in b) unlink(b.path).catch(() => undefined); },
    close: () => rm(root, { recursive: true, force: true }),
  };
}
