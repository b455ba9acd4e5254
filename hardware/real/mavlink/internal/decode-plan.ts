/**
 * Per-message decode plans: one specialised function per MAVLink message class, built once from
 * node-mavlink's field table (`clazz.FIELDS`) and reused for every packet of that message.
 *
 * @remarks
 * node-mavlink decodes a packet by looping over the field table, looking each field's type up
 * in a dictionary of deserialisers, and first calling the message constructor, which resolves
 * every enum default through `Object.keys(Enum)[0]`. A plan instead compiles the field table
 * into straight-line code (`this.type = b[4]; this.lat = b[o] | b[o+1] << 8 …`) in a
 * constructor whose prototype is the message class's: results are real instances of the class
 * (`instanceof`, `constructor`, own keys in the class's declaration order), with the same values
 * node-mavlink's deserialisers produce. Where code generation is disallowed
 * (`--disallow-code-generation-from-strings`), the plan falls back to a closure per field.
 */
import type { MavLinkData, MavLinkPacketField, MavLinkPacketRegistry } from 'node-mavlink';

type MessageClass = MavLinkPacketRegistry[number];

export interface DecodePlan {
  readonly msgid: number;
  readonly crcExtra: number;
  /** Full (untruncated) payload length, extensions included. */
  readonly payloadLength: number;
  /** Decodes a payload of at least `payloadLength` bytes, starting at index 0. */
  decode: (payload: Buffer) => MavLinkData;
}

/** Array readers, shared by generated code; they mirror node-mavlink's DESERIALIZERS. */
const ARRAY_READERS: Record<string, (b: Buffer, o: number, n: number) => unknown> = {
  'char[]': (b, o, n) => {
    // node-mavlink stops at the first NUL; short strings are the norm, so build by concatenation.
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = b[o + i]!;
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  },
  'int8_t[]': (b, o, n) => fill(n, (i) => (b[o + i]! << 24) >> 24),
  'uint8_t[]': (b, o, n) => fill(n, (i) => b[o + i]!),
  'int16_t[]': (b, o, n) => fill(n, (i) => b.readInt16LE(o + 2 * i)),
  'uint16_t[]': (b, o, n) => fill(n, (i) => b.readUInt16LE(o + 2 * i)),
  'int32_t[]': (b, o, n) => fill(n, (i) => b.readInt32LE(o + 4 * i)),
  'uint32_t[]': (b, o, n) => fill(n, (i) => b.readUInt32LE(o + 4 * i)),
  'int64_t[]': (b, o, n) => fill(n, (i) => b.readBigInt64LE(o + 8 * i)),
  'uint64_t[]': (b, o, n) => fill(n, (i) => b.readBigUInt64LE(o + 8 * i)),
  'float[]': (b, o, n) => fill(n, (i) => b.readFloatLE(o + 4 * i)),
  'double[]': (b, o, n) => fill(n, (i) => b.readDoubleLE(o + 8 * i)),
};

function fill<T>(n: number, at: (i: number) => T): T[] {
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = at(i);
  return out;
}

/** A JS expression reading one scalar field of type `type` at byte `o` of buffer `b`. */
function scalarExpr(type: string, o: number): string | undefined {
  const at = (k: number) => `b[${o + k}]`;
  switch (type) {
    case 'uint8_t':
    case 'uint8_t_mavlink_version':
      return at(0);
    case 'int8_t':
      return `(${at(0)} << 24 >> 24)`;
    case 'char':
      return `String.fromCharCode(${at(0)})`;
    case 'uint16_t':
      return `(${at(0)} | ${at(1)} << 8)`;
    case 'int16_t':
      return `((${at(0)} | ${at(1)} << 8) << 16 >> 16)`;
    case 'int32_t':
      return `(${at(0)} | ${at(1)} << 8 | ${at(2)} << 16 | ${at(3)} << 24)`;
    case 'uint32_t':
      return `((${at(0)} | ${at(1)} << 8 | ${at(2)} << 16 | ${at(3)} << 24) >>> 0)`;
    case 'float':
      return `b.readFloatLE(${o})`;
    case 'double':
      return `b.readDoubleLE(${o})`;
    case 'int64_t':
      return `b.readBigInt64LE(${o})`;
    case 'uint64_t':
      return `b.readBigUInt64LE(${o})`;
    default:
      return undefined;
  }
}

/** Same readers as closures, for the no-codegen fallback. */
function scalarReader(type: string): ((b: Buffer, o: number) => unknown) | undefined {
  switch (type) {
    case 'uint8_t':
    case 'uint8_t_mavlink_version':
      return (b, o) => b[o]!;
    case 'int8_t':
      return (b, o) => (b[o]! << 24) >> 24;
    case 'char':
      return (b, o) => String.fromCharCode(b[o]!);
    case 'uint16_t':
      return (b, o) => b.readUInt16LE(o);
    case 'int16_t':
      return (b, o) => b.readInt16LE(o);
    case 'int32_t':
      return (b, o) => b.readInt32LE(o);
    case 'uint32_t':
      return (b, o) => b.readUInt32LE(o);
    case 'float':
      return (b, o) => b.readFloatLE(o);
    case 'double':
      return (b, o) => b.readDoubleLE(o);
    case 'int64_t':
      return (b, o) => b.readBigInt64LE(o);
    case 'uint64_t':
      return (b, o) => b.readBigUInt64LE(o);
    default:
      return undefined;
  }
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** Fields in the order the class's constructor creates them (so instances match key for key). */
function orderedFields(clazz: MessageClass): readonly MavLinkPacketField[] {
  const byName = new Map(clazz.FIELDS.map((f) => [f.name, f]));
  const keys = Object.keys(new clazz() as object);
  const ordered = keys.map((k) => byName.get(k)).filter((f): f is MavLinkPacketField => f !== undefined);
  // Any field the constructor does not initialise goes last, in wire order.
  for (const f of clazz.FIELDS) if (!ordered.includes(f)) ordered.push(f);
  return ordered;
}

function compiled(clazz: MessageClass, fields: readonly MavLinkPacketField[]): ((b: Buffer) => MavLinkData) | undefined {
  const lines: string[] = [];
  for (const f of fields) {
    if (!IDENT.test(f.name)) return undefined;
    const expr = f.length > 0 ? (ARRAY_READERS[f.type] ? `A[${JSON.stringify(f.type)}](b, ${f.offset}, ${f.length})` : undefined) : scalarExpr(f.type, f.offset);
    if (expr === undefined) return undefined;
    lines.push(`this.${f.name} = ${expr};`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const make = new Function('A', 'P', `function M(b) {\n${lines.join('\n')}\n}\nM.prototype = P;\nreturn function decode(b) { return new M(b); };`);
    return make(ARRAY_READERS, clazz.prototype) as (b: Buffer) => MavLinkData;
  } catch {
    return undefined; // code generation disallowed: use the interpreted plan
  }
}

function interpreted(clazz: MessageClass, fields: readonly MavLinkPacketField[]): (b: Buffer) => MavLinkData {
  const steps = fields.map((f) => {
    const name = f.name;
    const offset = f.offset;
    if (f.length > 0) {
      const read = ARRAY_READERS[f.type];
      const n = f.length;
      if (!read) throw new Error(`no reader for ${clazz.MSG_NAME}.${name}: ${f.type}`);
      return (b: Buffer, m: Record<string, unknown>) => void (m[name] = read(b, offset, n));
    }
    const read = scalarReader(f.type);
    if (!read) throw new Error(`no reader for ${clazz.MSG_NAME}.${name}: ${f.type}`);
    return (b: Buffer, m: Record<string, unknown>) => void (m[name] = read(b, offset));
  });
  return (b) => {
    const m = Object.create(clazz.prototype) as Record<string, unknown>;
    for (const step of steps) step(b, m);
    return m as unknown as MavLinkData;
  };
}

const cache = new WeakMap<MessageClass, DecodePlan>();

/**
 * The decode plan for a message class, cached. Its decoder is compiled on the first decode of
 * that message: a parser only needs the CRC extra, and a link sees a few dozen of ~300 messages.
 *
 * @param codegen - false forces the interpreted decoder (uncached; for tests of the fallback).
 */
export function planFor(clazz: MessageClass, codegen = true): DecodePlan {
  if (!codegen) {
    const fields = orderedFields(clazz);
    return { msgid: clazz.MSG_ID, crcExtra: clazz.MAGIC_NUMBER, payloadLength: clazz.PAYLOAD_LENGTH, decode: interpreted(clazz, fields) };
  }
  let plan = cache.get(clazz);
  if (plan) return plan;
  const p: DecodePlan = {
    msgid: clazz.MSG_ID,
    crcExtra: clazz.MAGIC_NUMBER,
    payloadLength: clazz.PAYLOAD_LENGTH,
    decode: (b) => {
      const fields = orderedFields(clazz);
      p.decode = compiled(clazz, fields) ?? interpreted(clazz, fields);
      return p.decode(b);
    },
  };
  cache.set(clazz, p);
  return p;
}
