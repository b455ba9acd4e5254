/**
 * `RecordingBlobBuffer`: the blob store of a run that has no other (`twin run --record` without
 * `--store`): sensors put image and point bytes here, the recorder takes them out by key and
 * writes them into the recording, and they are gone.
 *
 * @remarks
 * A camera may publish its capture reference at trigger time and store the bytes a little later
 * (the simulated camera renders and encodes asynchronously), so `get` waits for a key that has
 * not arrived yet, up to `wait_ms` (wall time). Bytes nobody takes (sidecars) are evicted
 * oldest first beyond `maxBytes`.
 */
import { createHash } from 'node:crypto';
import { fail, ok, type Result } from '../core/result.js';
import type { BlobSink } from '../hardware/sensor.port.js';
import type { BlobSource } from './mcap-recorder.js';

export interface RecordingBlobBufferOptions {
  /** How long `get` waits for a key to be put (wall ms). Default 30 000. */
  readonly wait_ms?: number;
  /** Bytes held at most; the oldest are dropped beyond it. Default 512 MiB. */
  readonly maxBytes?: number;
}

export class RecordingBlobBuffer implements BlobSink, BlobSource {
  private readonly held = new Map<string, Uint8Array>();
  private readonly waiting = new Map<string, ((data: Uint8Array) => void)[]>();
  private bytes = 0;
  private readonly wait_ms: number;
  private readonly maxBytes: number;

  constructor(options: RecordingBlobBufferOptions = {}) {
    this.wait_ms = options.wait_ms ?? 30_000;
    this.maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
  }

  async put(key: string, data: Uint8Array, _mediaType: string): Promise<Result<{ readonly key: string; readonly bytes: number; readonly sha256: string }, string>> {
    const copy = Uint8Array.from(data);
    const sha256 = createHash('sha256').update(copy).digest('hex');
    const waiters = this.waiting.get(key);
    if (waiters?.length) {
      this.waiting.delete(key);
      for (const w of waiters) w(copy);
    } else {
      this.drop(key);
      this.held.set(key, copy);
      this.bytes += copy.byteLength;
      for (const [k, v] of this.held) {
        if (this.bytes <= this.maxBytes) break;
        this.held.delete(k);
        this.bytes -= v.byteLength;
      }
    }
    return ok({ key, bytes: copy.byteLength, sha256 });
  }

  /** Takes the bytes of `key` (waiting for them up to `wait_ms`); they are not kept. */
  get(key: string): Promise<Result<Uint8Array, string>> {
    const data = this.held.get(key);
    if (data) {
      this.drop(key);
      return Promise.resolve(ok(data));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const list = (this.waiting.get(key) ?? []).filter((w) => w !== got);
        if (list.length) this.waiting.set(key, list);
        else this.waiting.delete(key);
        resolve(fail('BLOB.NOT_FOUND', `no blob '${key}' within ${this.wait_ms} ms`));
      }, this.wait_ms);
      timer.unref?.();
      const got = (d: Uint8Array) => {
        clearTimeout(timer);
        resolve(ok(d));
      };
      this.waiting.set(key, [...(this.waiting.get(key) ?? []), got]);
    });
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.bytes;
  }

  private drop(key: string): void {
    const old = this.held.get(key);
    if (old) {
      this.held.delete(key);
      this.bytes -= old.byteLength;
    }
  }
}
