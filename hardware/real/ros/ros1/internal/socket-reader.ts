/**
 * Reads a TCPROS byte stream: exact byte counts and length-prefixed frames, either awaited one
 * at a time (handshakes, service calls) or pushed to a callback (topic streams). Refuses frames
 * larger than the configured maximum, so a hostile length cannot make us allocate gigabytes.
 */
import type { Socket } from 'node:net';

export class StreamError extends Error {
  constructor(
    readonly code: 'TCPROS.CLOSED' | 'TCPROS.OVERSIZED' | 'TCPROS.SOCKET_ERROR',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Waiter {
  readonly n: number;
  readonly resolve: (b: Buffer) => void;
  readonly reject: (e: StreamError) => void;
}

export class SocketReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter: Waiter | undefined;
  private ended: StreamError | undefined;
  private frameSink: ((frame: Buffer) => void) | undefined;
  private frameError: ((e: StreamError) => void) | undefined;
  private discarding = false;

  constructor(
    readonly socket: Socket,
    /** Largest frame accepted; may be raised after a handshake (headers are held to less). */
    public maxFrameBytes: number,
  ) {
    socket.on('data', (d: Buffer) => this.push(d));
    socket.on('end', () => this.finish(new StreamError('TCPROS.CLOSED', 'peer closed the connection')));
    socket.on('close', () => this.finish(new StreamError('TCPROS.CLOSED', 'connection closed')));
    socket.on('error', (err) => this.finish(new StreamError('TCPROS.SOCKET_ERROR', err.message, { cause: err })));
  }

  /** Bytes waiting in the buffer. */
  get pending(): number {
    return this.buffered;
  }

  /** Resolves with exactly `n` bytes; rejects when the stream ends first. */
  readExact(n: number): Promise<Buffer> {
    if (this.waiter || this.frameSink) throw new Error('SocketReader: concurrent read');
    if (this.buffered >= n) return Promise.resolve(this.take(n));
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
    });
  }

  /** Reads one `uint32 length + body` frame and returns the body. */
  async readFrame(): Promise<Buffer> {
    const len = (await this.readExact(4)).readUInt32LE(0);
    if (len > this.maxFrameBytes) {
      throw new StreamError('TCPROS.OVERSIZED', `frame of ${len} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
    }
    return this.readExact(len);
  }

  /**
   * Switches to push mode: every complete frame goes to `sink`, synchronously. `onError` gets
   * the end of the stream or an oversized frame (after which the reader stops).
   */
  onFrames(sink: (frame: Buffer) => void, onError: (e: StreamError) => void): void {
    this.frameSink = sink;
    this.frameError = onError;
    this.drainFrames();
    // Already ended (and not stopped by drainFrames): report it now, once.
    if (this.ended && this.isSinking()) {
      const onError = this.frameError;
      this.frameSink = undefined;
      this.frameError = undefined;
      onError?.(this.ended);
    }
  }

  /** Drops everything the peer sends from now on (a subscriber has nothing to say after its header). */
  discard(): void {
    this.discarding = true;
    this.chunks = [];
    this.buffered = 0;
  }

  private isSinking(): boolean {
    return this.frameSink !== undefined;
  }

  private push(d: Buffer): void {
    if (this.ended || this.discarding) return;
    this.chunks.push(d);
    this.buffered += d.length;
    if (this.frameSink) this.drainFrames();
    else if (this.waiter && this.buffered >= this.waiter.n) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(this.take(w.n));
    }
  }

  private drainFrames(): void {
    while (this.frameSink && this.buffered >= 4) {
      const len = this.peekUInt32();
      if (len > this.maxFrameBytes) {
        const e = new StreamError('TCPROS.OVERSIZED', `frame of ${len} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
        this.stop(e);
        return;
      }
      if (this.buffered < 4 + len) return;
      this.take(4);
      this.frameSink(this.take(len));
    }
  }

  private stop(e: StreamError): void {
    const onError = this.frameError;
    this.frameSink = undefined;
    this.frameError = undefined;
    this.ended = e;
    this.chunks = [];
    this.buffered = 0;
    onError?.(e);
  }

  private finish(e: StreamError): void {
    if (this.ended) return;
    this.ended = e;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.reject(e);
    }
    if (this.frameSink) {
      const onError = this.frameError;
      this.frameSink = undefined;
      this.frameError = undefined;
      onError?.(e);
    }
  }

  private peekUInt32(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readUInt32LE(0);
    const b = Buffer.concat(this.chunks, Math.min(this.buffered, 4));
    return b.readUInt32LE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - o);
      c.copy(out, o, 0, k);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
