/**
 * Outgoing frames: JSON, CBOR and PNG encodings of server ops, and rosbridge fragmentation.
 *
 * @remarks
 * Pure. {@link OutgoingMessage} holds one bus message's ROS form and encodes it lazily, once per
 * (compression, fragment size), so a message fanned out to a hundred clients is stringified once
 * and the same `Buffer` is written to every socket. JSON goes out as text frames from a
 * pre-encoded UTF-8 buffer (ws then writes it without converting again); CBOR as binary frames,
 * which roslib decodes like rosbridge's; PNG as rosbridge's `png` op — the JSON text as the
 * pixels of an 8-bit greyscale image, padded with spaces that JSON.parse ignores.
 */
import { encode as cborEncode } from 'cbor-x';
import { crc32, deflateSync } from 'node:zlib';
import type { Compression, ServerOp } from './protocol.js';

/** One WebSocket frame to write. */
export interface Frame {
  readonly data: Buffer;
  readonly binary: boolean;
}

export type OutCompression = Exclude<Compression, 'cbor-raw'>;

let nextMessageSeq = 0;

/** One server op (usually a `publish`) shared by every client that receives it. */
export class OutgoingMessage {
  /** Unique in the process; names the fragments of this message. */
  readonly seq = (nextMessageSeq = (nextMessageSeq + 1) % Number.MAX_SAFE_INTEGER);
  private json: string | undefined;
  private jsonFrame: Frame[] | undefined;
  private cborFrame: Frame[] | undefined;
  private pngFrame: Frame[] | undefined;
  private fragmented: Map<number, Frame[]> | undefined;

  /**
   * @param op the server op.
   * @param withBytes set when the op holds `Uint8Array`s (images, point clouds): JSON then carries
   *   them base64 (rosbridge's `uint8[]` convention), CBOR as byte strings. Off by default, so
   *   telemetry is stringified without a replacer.
   */
  constructor(readonly op: ServerOp, private readonly withBytes = false) {}

  /**
   * The frames for a client that asked for `compression` and `fragmentSize` (characters).
   * `variant` selects a per-client form of the message (a point budget); plain messages have one.
   */
  frames(compression: OutCompression = 'none', fragmentSize?: number, _variant?: number): Frame[] {
    if (compression === 'cbor') return (this.cborFrame ??= [{ data: cborEncode(this.op), binary: true }]);
    if (compression === 'png') return (this.pngFrame ??= [textFrame(JSON.stringify({ op: 'png', data: pngBase64(this.text()) }))]);
    const text = this.text();
    if (fragmentSize !== undefined && text.length > fragmentSize) {
      this.fragmented ??= new Map();
      let f = this.fragmented.get(fragmentSize);
      if (!f) {
        f = fragment(text, fragmentSize, `${this.op.op}:${'topic' in this.op ? this.op.topic : ''}:${this.seq}`).map(textFrame);
        this.fragmented.set(fragmentSize, f);
      }
      return f;
    }
    return (this.jsonFrame ??= [textFrame(text)]);
  }

  /** Bytes of the plain JSON encoding (for limits and stats). */
  get jsonBytes(): number {
    return this.frames('none')[0]!.data.byteLength;
  }

  private text(): string {
    return (this.json ??= this.withBytes ? JSON.stringify(this.op, bytesAsBase64) : JSON.stringify(this.op));
  }
}

/** JSON replacer: `Uint8Array` → base64 text (a Buffer would already be `{type, data}` here). */
function bytesAsBase64(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') : value;
}

/**
 * A message with one form per variant (a LiDAR scan decimated to each client's point budget):
 * each variant is built on first use, then encoded once and shared like any message, so ten
 * clients with the same budget cost one decimation and one encoding.
 */
export class VariantMessage extends OutgoingMessage {
  private readonly variants = new Map<number, OutgoingMessage>();

  /**
   * @param build the message for one variant.
   * @param normalize maps a requested variant to the one to build (e.g. budgets to powers of
   *   two), bounding how many forms one message can have.
   * @param fallback the variant of a client that asked for none.
   */
  constructor(
    topic: string,
    private readonly build: (variant: number) => OutgoingMessage,
    private readonly normalize: (variant: number) => number,
    private readonly fallback: number,
  ) {
    // The op is only a label (topic); every frame comes from a variant.
    super({ op: 'publish', topic, msg: null });
  }

  override frames(compression: OutCompression = 'none', fragmentSize?: number, variant?: number): Frame[] {
    return this.variant(variant).frames(compression, fragmentSize);
  }

  override get jsonBytes(): number {
    return this.variant(undefined).jsonBytes;
  }

  variant(requested: number | undefined): OutgoingMessage {
    const v = this.normalize(requested ?? this.fallback);
    let m = this.variants.get(v);
    if (!m) {
      m = this.build(v);
      this.variants.set(v, m);
    }
    return m;
  }
}

export const textFrame = (text: string): Frame => ({ data: Buffer.from(text, 'utf8'), binary: false });

/** rosbridge fragmentation: the JSON text cut into `size`-character pieces, each in a `fragment` op. */
export function fragment(text: string, size: number, id: string): string[] {
  const total = Math.ceil(text.length / size);
  const out: string[] = [];
  for (let num = 0; num < total; num++)
    out.push(JSON.stringify({ op: 'fragment', id, data: text.slice(num * size, (num + 1) * size), num, total }));
  return out;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body, crc32(head.subarray(4))) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

/**
 * The UTF-8 bytes of `text` as a square-ish 8-bit greyscale PNG, base64-encoded (rosbridge's
 * `png` compression). Padding is ASCII space, which JSON.parse skips after the value.
 */
export function pngBase64(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const width = Math.max(1, Math.ceil(Math.sqrt(bytes.length)));
  const height = Math.max(1, Math.ceil(bytes.length / width));
  const raw = Buffer.alloc((width + 1) * height, 0x20);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    bytes.copy(raw, y * (width + 1) + 1, y * width, Math.min(bytes.length, (y + 1) * width));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const png = Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  return png.toString('base64');
}
