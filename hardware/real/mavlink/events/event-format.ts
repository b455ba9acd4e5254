/**
 * Turning an EVENT's 40 argument bytes into values and its message template into text, by the
 * rules of libevents' parsers (`libs/python/libevents_parse/parser.py`, `libs/cpp/parse`).
 *
 * @remarks
 * Arguments are packed little-endian in declaration order; an enum argument has its enum's
 * base type. Message syntax:
 * - `\x` escapes a character;
 * - `{N}` the N-th argument (1-based), `{N:.D}` with D decimals, an optional unit suffix
 *   `m`, `m_v` (shown as m), `m/s`, `m^2`, `C` appended after a space;
 * - enum arguments show their entry's description; bitfields join the set bits' descriptions
 *   with the enum's separator (default `|`); unknown values show `(unknown: V)`;
 * - `<profile name="[!]P">…</profile>` is kept only for (not for) profile P; `<a href>` and
 *   `<param>` keep their content; unknown tags are dropped with their content;
 * - the result is trimmed. A bad placeholder is left as written (libevents does the same).
 */
import { fail, ok, type Result } from '../../../../core/result.js';
import { BASE_TYPES, type BaseType, type EnumDef, type EventInfo, type EventsMetadata } from './events-metadata.js';

export interface EventArg {
  readonly name: string;
  readonly type: string;
  /** Numbers for ≤ 32-bit types and floats, bigint for 64-bit ones. */
  readonly value: number | bigint;
  readonly enum?: EnumDef;
}

export type ArgsErrorCode = 'EVENTS.BAD_ARGUMENTS';

/** Decodes the arguments of `info` from the EVENT's argument bytes. */
export function decodeArguments(info: EventInfo, bytes: ArrayLike<number>, meta: EventsMetadata): Result<EventArg[], ArgsErrorCode> {
  const buf = Buffer.alloc(40);
  for (let i = 0; i < Math.min(40, bytes.length); i++) buf[i] = bytes[i]! & 0xff;
  const out: EventArg[] = [];
  let o = 0;
  for (const [k, a] of (info.def.arguments ?? []).entries()) {
    let base: BaseType;
    let en: EnumDef | undefined;
    if (a.type in BASE_TYPES) base = a.type as BaseType;
    else {
      en = meta.enumFor(a.type, info.namespace);
      if (!en) return fail('EVENTS.BAD_ARGUMENTS', `${info.def.name}: unknown argument type ${a.type}`);
      base = en.type;
    }
    const size = BASE_TYPES[base];
    if (o + size > 40) return fail('EVENTS.BAD_ARGUMENTS', `${info.def.name}: arguments exceed 40 bytes`);
    out.push({ name: a.name ?? `arg${k + 1}`, type: a.type, value: read(buf, o, base), ...(en ? { enum: en } : {}) });
    o += size;
  }
  return ok(out);
}

function read(b: Buffer, o: number, t: BaseType): number | bigint {
  switch (t) {
    case 'uint8_t': return b.readUInt8(o);
    case 'int8_t': return b.readInt8(o);
    case 'uint16_t': return b.readUInt16LE(o);
    case 'int16_t': return b.readInt16LE(o);
    case 'uint32_t': return b.readUInt32LE(o);
    case 'int32_t': return b.readInt32LE(o);
    case 'uint64_t': return b.readBigUInt64LE(o);
    case 'int64_t': return b.readBigInt64LE(o);
    case 'float': return b.readFloatLE(o);
  }
}

/** The value as libevents displays it: enum description(s) or the number. */
export function displayValue(arg: EventArg): string | number | bigint {
  const en = arg.enum;
  if (!en) return arg.value;
  const v = BigInt(arg.value);
  if (en.is_bitfield) {
    const parts: string[] = [];
    const bits = BASE_TYPES[en.type] * 8;
    for (let i = 0; i < bits; i++) {
      const bit = 1n << BigInt(i);
      if ((v & bit) === 0n) continue;
      const entry = en.entries[bit.toString()];
      parts.push(entry ? entry.description ?? entry.name : `(unknown: ${v})`);
    }
    return parts.join(en.separator ?? '|');
  }
  const entry = en.entries[v.toString()];
  return entry ? entry.description ?? entry.name : `(unknown: ${v})`;
}

const UNIT: Record<string, string> = { m: 'm', m_v: 'm', 'm/s': 'm/s', 'm^2': 'm^2', C: 'C' };

function formatArg(spec: string, args: readonly EventArg[]): string | undefined {
  const m = /^(\d+)(?::(?:\.(\d+))?)?(m|m_v|m\/s|m\^2|C)?$/.exec(spec);
  if (!m) return undefined;
  const idx = Number(m[1]) - 1;
  const arg = args[idx];
  if (!arg) return undefined;
  const v = displayValue(arg);
  let s: string;
  if (m[2] !== undefined && typeof v !== 'string') s = Number(v).toFixed(Math.min(20, Number(m[2])));
  else s = String(v);
  if (m[3]) s += ` ${UNIT[m[3]]}`;
  return s;
}

/** Formats a message template with decoded arguments, for `profile` (QGroundControl uses `normal`). */
export function formatMessage(template: string, args: readonly EventArg[], profile = 'normal'): string {
  return expand(template, args, profile).trim();
}

function expand(template: string, args: readonly EventArg[], profile: string): string {
  let out = '';
  let i = 0;
  const msg = template;
  while (i < msg.length) {
    const c = msg[i]!;
    if (c === '\\') {
      if (i + 1 < msg.length) out += msg[i + 1];
      i += 2;
      continue;
    }
    if (c === '<') {
      const m = /^<([a-z]+)(?: ([a-z]+)="([^"]*)")?>/.exec(msg.slice(i));
      const end = m ? msg.indexOf(`</${m[1]}>`, i + m[0].length) : -1;
      if (!m || end < 0) {
        out += c;
        i++;
        continue;
      }
      const content = msg.slice(i + m[0].length, end);
      const tag = m[1]!;
      if (tag === 'profile') {
        const p = m[3] ?? '';
        const keep = p.startsWith('!') ? profile !== p.slice(1) : profile === p;
        if (keep) out += expand(content, args, profile);
      } else if (tag === 'a' || tag === 'param') {
        out += content;
      }
      i = end + tag.length + 3;
      continue;
    }
    if (c === '{') {
      const close = msg.indexOf('}', i);
      const s = close > i ? formatArg(msg.slice(i + 1, close), args) : undefined;
      if (s === undefined) {
        out += c;
        i++;
        continue;
      }
      out += s;
      i = close + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
