/**
 * The rosbridge v2 wire protocol: incoming ops validated with zod, outgoing ops typed.
 *
 * @remarks
 * Pure (no sockets, no twin): `parseClientMessage` turns one WebSocket frame into a typed op or
 * a {@link ParseFailure} with a dotted code, so the session can answer with a `status` error
 * and keep the connection. Like foxglove/ws-protocol the ops are a union keyed on `op`; unlike
 * it, nothing from the wire is cast — every field is checked before the session sees it.
 * Unknown keys are stripped (roslib sends `latch`, `queue_size`… that we do not use).
 */
import { decode as cborDecode } from 'cbor-x';
import { z } from 'zod';

/** rosbridge ids are strings or integers; we carry them as strings (they become log `cid`s). */
const Id = z
  .union([z.string().max(256), z.number().int().safe()])
  .optional()
  .transform((v) => (v === undefined ? undefined : String(v)));
const Name = z.string().min(1).max(256);
const NonNegInt = z.number().finite().min(0).transform(Math.floor);

export const StatusLevelSchema = z.enum(['error', 'warning', 'info', 'none']);
export type StatusLevel = z.infer<typeof StatusLevelSchema>;

export const CompressionSchema = z.enum(['none', 'cbor', 'png', 'cbor-raw']);
export type Compression = z.infer<typeof CompressionSchema>;

const AuthOp = z
  .object({
    op: z.literal('auth'),
    id: Id,
    /** Ours: a JWT. */
    token: z.string().min(1).max(8192).optional(),
    /** rosauth's classic field; we accept a JWT here so `ROSLIB.Ros#authenticate(jwt, …)` works. */
    mac: z.string().min(1).max(8192).optional(),
    client: z.string().max(256).optional(),
    dest: z.string().max(256).optional(),
    rand: z.string().max(256).optional(),
    t: z.number().optional(),
    level: z.string().max(64).optional(),
    end: z.number().optional(),
  })
  .refine((o) => o.token !== undefined || o.mac !== undefined, { message: 'needs a `token` (or rosauth `mac`)', path: ['token'] });

const SubscribeOp = z.object({
  op: z.literal('subscribe'),
  id: Id,
  topic: Name,
  type: z.string().max(256).optional(),
  /** Minimum milliseconds between two messages to this subscription. */
  throttle_rate: NonNegInt.optional(),
  /** Messages kept while throttled or congested; the oldest goes first. */
  queue_length: NonNegInt.optional(),
  /** JSON longer than this many characters is sent as `fragment` ops. */
  fragment_size: z.number().int().min(1).optional(),
  compression: CompressionSchema.optional(),
  /** Ours, for sensor_msgs/PointCloud2 topics: at most this many points per message (decimated). */
  point_budget: z.number().int().min(1).max(10_000_000).optional(),
});

const UnsubscribeOp = z.object({ op: z.literal('unsubscribe'), id: Id, topic: Name });

const AdvertiseOp = z.object({ op: z.literal('advertise'), id: Id, topic: Name, type: z.string().min(1).max(256) });

const UnadvertiseOp = z.object({ op: z.literal('unadvertise'), id: Id, topic: Name });

const PublishOp = z.object({
  op: z.literal('publish'),
  id: Id,
  topic: Name,
  msg: z.record(z.string(), z.unknown()),
});

const CallServiceOp = z.object({
  op: z.literal('call_service'),
  id: Id,
  service: Name,
  /** The spec says a list; roslib sends an object. Both are accepted. */
  args: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.null()]).optional(),
  fragment_size: z.number().int().min(1).optional(),
  compression: CompressionSchema.optional(),
  /** Seconds the caller will wait. */
  timeout: z.number().finite().optional(),
  type: z.string().max(256).optional(),
});

const SetLevelOp = z.object({ op: z.literal('set_level'), id: Id, level: StatusLevelSchema });

const FragmentOp = z.object({
  op: z.literal('fragment'),
  id: z.union([z.string().min(1).max(256), z.number().int().safe()]).transform(String),
  data: z.string(),
  num: z.number().int().min(0),
  total: z.number().int().min(1).max(100_000),
});

export const ClientOpSchema = z.discriminatedUnion('op', [
  AuthOp,
  SubscribeOp,
  UnsubscribeOp,
  AdvertiseOp,
  UnadvertiseOp,
  PublishOp,
  CallServiceOp,
  SetLevelOp,
  FragmentOp,
]);

export type ClientOp = z.output<typeof ClientOpSchema>;
export type SubscribeRequest = z.output<typeof SubscribeOp>;
export type CallServiceRequest = z.output<typeof CallServiceOp>;
export type PublishRequest = z.output<typeof PublishOp>;
export type FragmentRequest = z.output<typeof FragmentOp>;

/** Ops of the protocol that this bridge recognises but does not serve (a clearer error than "unknown"). */
export const UNSUPPORTED_OPS: ReadonlySet<string> = new Set([
  'advertise_service',
  'unadvertise_service',
  'service_response',
  'advertise_action',
  'unadvertise_action',
  'send_action_goal',
  'cancel_action_goal',
  'action_feedback',
  'action_result',
  'png',
  'status',
]);

export type ParseErrorCode =
  | 'BRIDGE.TOO_LARGE'
  | 'BRIDGE.BAD_JSON'
  | 'BRIDGE.BAD_CBOR'
  | 'BRIDGE.NOT_AN_OP'
  | 'BRIDGE.UNKNOWN_OP'
  | 'BRIDGE.UNSUPPORTED_OP'
  | 'BRIDGE.INVALID_FIELDS';

export interface ParseFailure {
  readonly ok: false;
  readonly code: ParseErrorCode;
  readonly message: string;
  /** The op's `id`, when the frame got far enough to have one (status replies carry it). */
  readonly id?: string;
  readonly op?: string;
}
export type ParseResult = { readonly ok: true; readonly op: ClientOp } | ParseFailure;

const fail = (code: ParseErrorCode, message: string, extra: { id?: string; op?: string } = {}): ParseFailure => ({
  ok: false,
  code,
  message,
  ...extra,
});

/**
 * Parses one frame. Text frames are JSON; binary frames are CBOR (the encoding rosbridge
 * offers besides JSON). `maxBytes` is checked before any decoding so a huge frame costs nothing.
 */
export function parseClientMessage(data: string | Uint8Array, isBinary: boolean, maxBytes: number): ParseResult {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (size > maxBytes) return fail('BRIDGE.TOO_LARGE', `message of ${size} bytes exceeds the limit of ${maxBytes} bytes`);
  let value: unknown;
  if (isBinary && typeof data !== 'string') {
    try {
      value = cborDecode(data);
    } catch (error) {
      return fail('BRIDGE.BAD_CBOR', `binary frame is not valid CBOR: ${(error as Error).message}`);
    }
  } else {
    const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (error) {
      return fail('BRIDGE.BAD_JSON', `malformed JSON: ${(error as Error).message}`);
    }
  }
  return parseClientValue(value);
}

/** Validates an already-decoded value (a reassembled fragment goes through here too). */
export function parseClientValue(value: unknown): ParseResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return fail('BRIDGE.NOT_AN_OP', 'a rosbridge message is a JSON object with a string `op`');
  const raw = value as Record<string, unknown>;
  const id = typeof raw.id === 'string' || (typeof raw.id === 'number' && Number.isSafeInteger(raw.id)) ? String(raw.id).slice(0, 256) : undefined;
  if (typeof raw.op !== 'string') return fail('BRIDGE.NOT_AN_OP', 'a rosbridge message needs a string `op`', { id });
  const op = raw.op;
  const shownOp = JSON.stringify(op.slice(0, 64));
  if (UNSUPPORTED_OPS.has(op)) return fail('BRIDGE.UNSUPPORTED_OP', `op ${shownOp} is not served by this bridge`, { id, op });
  const parsed = ClientOpSchema.safeParse(value);
  if (parsed.success) return { ok: true, op: parsed.data };
  const unknownOp = parsed.error.issues.some((i) => i.code === 'invalid_union' && i.path.length === 1 && i.path[0] === 'op');
  if (unknownOp) return fail('BRIDGE.UNKNOWN_OP', `unknown op ${shownOp}`, { id, op });
  return fail('BRIDGE.INVALID_FIELDS', `${op}: ${describeIssues(parsed.error)}`, { id, op });
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`)
    .join('; ');
}

// ---- outgoing ops (server → client) ----

export interface StatusOp {
  readonly op: 'status';
  readonly id?: string;
  readonly level: Exclude<StatusLevel, 'none'>;
  readonly msg: string;
}

export interface PublishOut {
  readonly op: 'publish';
  readonly topic: string;
  readonly msg: unknown;
}

export interface ServiceResponseOp {
  readonly op: 'service_response';
  readonly id?: string;
  readonly service: string;
  /** The response fields on success; the error text on failure (rosbridge's convention, which roslib hands to the failure callback). */
  readonly values?: unknown;
  readonly result: boolean;
}

export interface FragmentOut {
  readonly op: 'fragment';
  readonly id: string;
  readonly data: string;
  readonly num: number;
  readonly total: number;
}

export type ServerOp = StatusOp | PublishOut | ServiceResponseOp | FragmentOut | { readonly op: 'png'; readonly data: string; readonly id?: string };

const LEVEL_RANK: Record<StatusLevel, number> = { none: 0, error: 1, warning: 2, info: 3 };

/** True when a status of `level` passes a client's `set_level` threshold (rosbridge's default is `error`). */
export function statusPasses(level: Exclude<StatusLevel, 'none'>, threshold: StatusLevel): boolean {
  return LEVEL_RANK[level] <= LEVEL_RANK[threshold];
}

/** ROS 1 names types `pkg/Type`, ROS 2 `pkg/msg/Type`; both spell the same type here. */
export function sameRosType(a: string, b: string): boolean {
  const norm = (t: string) => t.replace(/\/(msg|srv)\//, '/');
  return norm(a) === norm(b);
}

/** `rosapi/topics` and `/rosapi/topics` name the same thing (roslib 2 omits the slash). */
export function normalizeName(name: string): string {
  return name.startsWith('/') ? name : `/${name}`;
}
