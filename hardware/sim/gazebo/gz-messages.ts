/**
 * Gazebo's protobuf messages (ignition-msgs 8, Fortress), loaded at run time with protobufjs from
 * protos/gz/ignition/msgs/*.proto — copies of the upstream definitions (package `ignition.msgs`,
 * field numbers unchanged). No generated code.
 *
 * @remarks
 * Garden/Harmonic (gz-msgs 9+) use the package `gz.msgs` with the same fields: {@link gzTypeName}
 * maps a short name to either prefix, and {@link GzMessages.type} accepts both.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { fail, ok, type Result } from '../../../core/result.js';

/** The .proto files this module loads (relative to protos/gz/). */
export const GZ_PROTO_FILES = [
  'ignition/msgs/boolean.proto',
  'ignition/msgs/clock.proto',
  'ignition/msgs/discovery.proto',
  'ignition/msgs/double.proto',
  'ignition/msgs/empty.proto',
  'ignition/msgs/image.proto',
  'ignition/msgs/int32.proto',
  'ignition/msgs/laserscan.proto',
  'ignition/msgs/pointcloud_packed.proto',
  'ignition/msgs/pose.proto',
  'ignition/msgs/pose_v.proto',
  'ignition/msgs/stringmsg.proto',
] as const;

/** Error codes of message encoding and decoding. */
export type GzMessageErrorCode = 'GZ.UNKNOWN_TYPE' | 'GZ.DECODE_FAILED' | 'GZ.ENCODE_FAILED';

/** Message package prefix: `ignition.msgs` (Fortress, transport 11) or `gz.msgs` (Garden+). */
export type GzPackage = 'ignition.msgs' | 'gz.msgs';

/** `Pose` → `ignition.msgs.Pose` (or `gz.msgs.Pose`); a fully qualified name is returned as is. */
export function gzTypeName(short: string, pkg: GzPackage = 'ignition.msgs'): string {
  return short.includes('.') ? short : `${pkg}.${short}`;
}

function protoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Source tree (hardware/sim/gazebo/) or build (dist/hardware/sim/gazebo/).
  for (const p of [join(here, '../../../protos/gz'), join(here, '../../../../protos/gz')]) if (existsSync(p)) return p;
  throw new Error(`protos/gz not found above ${here}`);
}

/** The loaded message set: look types up by name, encode and decode with result values. */
export class GzMessages {
  private readonly cache = new Map<string, protobuf.Type | null>();

  constructor(readonly root: protobuf.Root) {}

  /** The protobufjs type, for `ignition.msgs.X`, `gz.msgs.X` or `X`; undefined when unknown. */
  type(name: string): protobuf.Type | undefined {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const canonical = name.startsWith('gz.msgs.') ? `ignition.msgs.${name.slice(8)}` : gzTypeName(name);
    let t: protobuf.Type | null = null;
    try {
      t = this.root.lookupType(canonical);
    } catch {
      t = null;
    }
    this.cache.set(name, t);
    return t ?? undefined;
  }

  /** Encodes a plain object (protobufjs field names: camelCase or snake_case both accepted). */
  encode(typeName: string, value: Record<string, unknown>): Result<Uint8Array, GzMessageErrorCode> {
    const t = this.type(typeName);
    if (!t) return fail('GZ.UNKNOWN_TYPE', `unknown message type ${typeName}`);
    const shape = checkShape(t, value, typeName);
    if (shape) return fail('GZ.ENCODE_FAILED', shape);
    try {
      const msg = t.fromObject(value);
      pruneDefaults(t, msg as unknown as Record<string, unknown>);
      const problem = t.verify(msg);
      if (problem) return fail('GZ.ENCODE_FAILED', `${typeName}: ${problem}`);
      return ok(t.encode(msg).finish());
    } catch (cause) {
      return fail('GZ.ENCODE_FAILED', `${typeName}: ${(cause as Error).message}`, { cause });
    }
  }

  /**
   * Decodes bytes to a plain object (64-bit integers as numbers, or decimal strings with
   * `longs: 'string'` when they may exceed 2^53; enums as names; defaults filled).
   * Truncated or malformed bytes are `GZ.DECODE_FAILED`, never an exception.
   */
  decode(typeName: string, bytes: Uint8Array, options: { longs?: 'number' | 'string' } = {}): Result<Record<string, unknown>, GzMessageErrorCode> {
    const t = this.type(typeName);
    if (!t) return fail('GZ.UNKNOWN_TYPE', `unknown message type ${typeName}`);
    try {
      // A plain Uint8Array view: protobufjs's Buffer reader silently clamps a string or bytes
      // field that runs past the end; the generic reader reports it.
      const m = t.decode(Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes);
      return ok(t.toObject(m, { longs: options.longs === 'string' ? String : Number, enums: String, defaults: true }) as Record<string, unknown>);
    } catch (cause) {
      return fail('GZ.DECODE_FAILED', `${typeName}: ${(cause as Error).message}`, { cause, context: { bytes: bytes.length } });
    }
  }
}

/**
 * Removes proto3 scalar fields set to their default (0, false, '', empty bytes, first enum value),
 * so the bytes are what protobuf C++ writes (it never serialises a proto3 default; protobufjs
 * writes any field that was set).
 */
function pruneDefaults(t: protobuf.Type, m: Record<string, unknown>): void {
  for (const f of t.fieldsArray) {
    const v = m[f.name];
    if (v === undefined || v === null) continue;
    if (f.resolvedType instanceof protobuf.Type) {
      if (f.repeated) for (const item of v as Record<string, unknown>[]) pruneDefaults(f.resolvedType, item);
      else pruneDefaults(f.resolvedType, v as Record<string, unknown>);
      continue;
    }
    if (f.repeated || f.map || f.partOf) continue;
    const isDefault =
      v === 0 || v === false || v === '' || (v instanceof Uint8Array && v.length === 0) ||
      (typeof v === 'object' && v !== null && 'low' in v && 'high' in v && (v as { low: number; high: number }).low === 0 && (v as { low: number; high: number }).high === 0);
    if (isDefault) delete m[f.name];
  }
}

const INTS = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const LONGS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/**
 * Checks a plain object against the message type before protobufjs coerces it (which would turn
 * `'abc'` into NaN): known fields only, numbers for numeric fields, integers for integer ones,
 * enum values by number or name. Returns the first problem, or undefined.
 */
function checkShape(t: protobuf.Type, value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path}: object expected`;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const f = t.fields[k] ?? t.fieldsArray.find((x) => x.name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()) === k);
    if (!f) return `${path}.${k}: no such field in ${t.fullName.slice(1)}`;
    if (v === undefined || v === null) continue;
    const items = f.repeated ? (Array.isArray(v) ? v : undefined) : [v];
    if (!items) return `${path}.${k}: array expected`;
    for (const item of items) {
      const problem = checkValue(f, item, `${path}.${k}`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function checkValue(f: protobuf.Field, v: unknown, path: string): string | undefined {
  if (f.resolvedType instanceof protobuf.Type) return checkShape(f.resolvedType, v, path);
  if (f.resolvedType instanceof protobuf.Enum) {
    const e = f.resolvedType;
    if (typeof v === 'number' ? Object.values(e.values).includes(v) : typeof v === 'string' && v in e.values) return undefined;
    return `${path}: not a value of ${e.name}`;
  }
  switch (true) {
    case f.type === 'double' || f.type === 'float':
      return typeof v === 'number' ? undefined : `${path}: number expected`;
    case INTS.has(f.type):
      return typeof v === 'number' && Number.isInteger(v) ? undefined : `${path}: integer expected`;
    case LONGS.has(f.type):
      return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+$/.test(v)) ? undefined : `${path}: 64-bit integer expected`;
    case f.type === 'bool':
      return typeof v === 'boolean' ? undefined : `${path}: boolean expected`;
    case f.type === 'string':
      return typeof v === 'string' ? undefined : `${path}: string expected`;
    case f.type === 'bytes':
      return v instanceof Uint8Array || typeof v === 'string' ? undefined : `${path}: bytes expected`;
    default:
      return undefined;
  }
}

let shared: GzMessages | undefined;

/** Loads protos/gz once per process (synchronous; a few ms). */
export function gzMessages(): GzMessages {
  if (shared) return shared;
  const dir = protoRoot();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(dir, target));
  root.loadSync([...GZ_PROTO_FILES], { keepCase: true });
  root.resolveAll();
  shared = new GzMessages(root);
  return shared;
}
