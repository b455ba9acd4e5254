/**
 * Message and service definitions for ROS 1: the common standard types shipped by
 * `@foxglove/rosmsg-msgs-common` (std_msgs, geometry_msgs, sensor_msgs, nav_msgs, tf2_msgs …),
 * a few standard services (std_srvs), and whatever the caller registers. Each type gets its
 * md5sum computed as `gendeps --md5` does (checked against `rosmsg md5` / `rossrv md5` in the
 * tests), its full `message_definition` text, and a cached serializer/deserializer.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { MessageDefinition } from '@foxglove/message-definition';
import { parse, stringify } from '@foxglove/rosmsg';
import { ros1 as commonRos1 } from '@foxglove/rosmsg-msgs-common';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg-serialization';
import { fail, ok, okVoid } from '../../../../../core/result.js';
import type { Ros1Result } from '../ros1-node.types.js';

/** Standard service definitions (std_srvs), which the common-messages package does not carry. */
const STANDARD_SERVICES: Readonly<Record<string, string>> = {
  'std_srvs/Empty': '---\n',
  'std_srvs/Trigger': '---\nbool success\nstring message\n',
  'std_srvs/SetBool': 'bool data\n---\nbool success\nstring message\n',
};

const BUILTINS = new Set([
  'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64',
  'string', 'bool', 'char', 'byte', 'time', 'duration',
]);

/** Everything needed to put one message type on the wire. */
export interface MessageCodec {
  readonly type: string;
  readonly md5sum: string;
  /** Full definition text for the `message_definition` header field. */
  readonly definition: string;
  /** Serialises into a fresh buffer with room for a 4-byte length prefix at offset 0. */
  encodeFramed(msg: unknown): Buffer;
  decode(bytes: Uint8Array): Record<string, unknown>;
}

export interface ServiceCodec {
  readonly type: string;
  readonly md5sum: string;
  readonly request: MessageCodec;
  readonly response: MessageCodec;
}

export class TypeRegistry {
  private readonly defs = new Map<string, MessageDefinition>();
  private readonly services = new Map<string, { request: string; response: string }>();
  private readonly codecs = new Map<string, MessageCodec>();
  private readonly md5s = new Map<string, string>();
  /**
   * Fields declared `byte`/`char` in the original text, per type. The parser normalises them to
   * int8/uint8 (same wire format), but `gendeps --md5` hashes the declared name.
   */
  private readonly declared = new Map<string, Map<string, string>>();
  private commonScanned = false;

  constructor() {
    for (const [name, def] of Object.entries(commonRos1)) this.defs.set(name, { ...def, name });
    for (const [name, text] of Object.entries(STANDARD_SERVICES)) {
      const r = this.register(name, text, 'srv');
      if (!r.ok) throw new Error(`built-in ${name}: ${r.error.message}`);
    }
  }

  hasMessage(type: string): boolean {
    return this.defs.has(type);
  }

  hasService(type: string): boolean {
    return this.services.has(type);
  }

  /**
   * Registers a `.msg` (or `.srv`, with a `---` line) definition under `pkg/Name`. Types used
   * in it resolve as ROS does: `Header` is `std_msgs/Header`, unqualified names are in `pkg`.
   */
  register(type: string, text: string, kind: 'msg' | 'srv' = /^---\s*$/m.test(text) ? 'srv' : 'msg'): Ros1Result {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\/([A-Za-z][A-Za-z0-9_]*)$/.exec(type);
    if (!m) return fail('ROS1.BAD_NAME', `type must be pkg/Name, got ${JSON.stringify(type)}`);
    const pkg = m[1]!;
    try {
      if (kind === 'srv') {
        const parts = text.split(/^---[ \t]*\r?$/m);
        if (parts.length !== 2) return fail('ROS1.BAD_DEFINITION', `${type}: a .srv needs exactly one --- line`);
        const staged = new Map<string, MessageDefinition>();
        this.parseInto(`${type}Request`, parts[0]!, pkg, staged);
        this.parseInto(`${type}Response`, parts[1]!, pkg, staged);
        this.commit(staged);
        scanDeclared(parts[0]!, `${type}Request`, pkg, this.declared);
        scanDeclared(parts[1]!, `${type}Response`, pkg, this.declared);
        this.services.set(type, { request: `${type}Request`, response: `${type}Response` });
      } else {
        const staged = new Map<string, MessageDefinition>();
        this.parseInto(type, text, pkg, staged);
        this.commit(staged);
        scanDeclared(text, type, pkg, this.declared);
      }
    } catch (err) {
      return fail('ROS1.BAD_DEFINITION', `${type}: ${(err as Error).message}`, { cause: err });
    }
    return okVoid;
  }

  /** md5sum of a message or service type, or undefined when unknown. */
  md5sum(type: string): string | undefined {
    const srv = this.services.get(type);
    if (srv) {
      try {
        return md5hex(this.md5Text(srv.request) + this.md5Text(srv.response));
      } catch {
        return undefined;
      }
    }
    if (!this.defs.has(type)) return undefined;
    try {
      return this.messageMd5(type);
    } catch {
      return undefined;
    }
  }

  message(type: string): Ros1Result<MessageCodec> {
    const cached = this.codecs.get(type);
    if (cached) return ok(cached);
    if (!this.defs.has(type)) return fail('ROS1.UNKNOWN_TYPE', `no definition for message type ${type}`);
    try {
      const deps = this.closure(type);
      const md5sum = this.messageMd5(type);
      const definition = stringify(deps);
      const reader = new MessageReader(deps);
      const codec: MessageCodec = {
        type,
        md5sum,
        definition,
        encodeFramed: framedEncoder(deps),
        decode: (bytes) => reader.readMessage<Record<string, unknown>>(bytes),
      };
      this.codecs.set(type, codec);
      return ok(codec);
    } catch (err) {
      return fail('ROS1.BAD_DEFINITION', `${type}: ${(err as Error).message}`, { cause: err });
    }
  }

  service(type: string): Ros1Result<ServiceCodec> {
    const srv = this.services.get(type);
    if (!srv) return fail('ROS1.UNKNOWN_TYPE', `no definition for service type ${type}`);
    const request = this.message(srv.request);
    if (!request.ok) return request;
    const response = this.message(srv.response);
    if (!response.ok) return response;
    const md5sum = this.md5sum(type);
    if (md5sum === undefined) return fail('ROS1.BAD_DEFINITION', `${type}: md5sum could not be computed`);
    return ok({ type, md5sum, request: request.value, response: response.value });
  }

  private parseInto(type: string, text: string, pkg: string, staged: Map<string, MessageDefinition>): void {
    const parsed = parse(text, { skipTypeFixup: true });
    const [root, ...subs] = parsed;
    if (!root) throw new Error('empty definition');
    const known = (t: string) => staged.has(t) || this.defs.has(t);
    // Embedded MSG: blocks first, so the root's references can resolve to them.
    for (const sub of subs) {
      if (sub.name === undefined) throw new Error('MSG: block without a name');
      const subPkg = sub.name.includes('/') ? sub.name.split('/')[0]! : pkg;
      staged.set(qualify(sub.name, subPkg), { ...sub, name: qualify(sub.name, subPkg) });
    }
    for (const [name, def] of [...staged.entries()]) {
      staged.set(name, fixFields(def, name.split('/')[0]!, known));
    }
    staged.set(type, fixFields({ ...root, name: type }, pkg, known));
  }

  private commit(staged: Map<string, MessageDefinition>): void {
    for (const [name, def] of staged) {
      for (const f of def.definitions) {
        if (f.isComplex === true && !staged.has(f.type) && !this.defs.has(f.type)) {
          throw new Error(`unknown field type ${f.type} in ${name}`);
        }
      }
    }
    for (const [name, def] of staged) {
      this.defs.set(name, def);
      this.codecs.delete(name);
      this.md5s.delete(name);
    }
  }

  private closure(type: string, out = new Map<string, MessageDefinition>()): MessageDefinition[] {
    const def = this.defs.get(type);
    if (!def) throw new Error(`no definition for ${type}`);
    if (!out.has(type)) {
      out.set(type, def);
      for (const f of def.definitions) if (f.isComplex === true) this.closure(f.type, out);
    }
    return [...out.values()];
  }

  private messageMd5(type: string): string {
    const cached = this.md5s.get(type);
    if (cached) return cached;
    const v = md5hex(this.md5Text(type));
    this.md5s.set(type, v);
    return v;
  }

  private declaredOf(type: string): Map<string, string> | undefined {
    if (!this.declared.has(type) && !this.commonScanned) {
      this.commonScanned = true;
      const common = new Map<string, Map<string, string>>();
      scanCommonTexts(common);
      for (const [t, fields] of common) if (!this.declared.has(t)) this.declared.set(t, fields);
    }
    return this.declared.get(type);
  }

  /** The text `gendeps --md5` hashes: constants, then fields with sub-messages replaced by their md5. */
  private md5Text(type: string): string {
    const def = this.defs.get(type);
    if (!def) throw new Error(`no definition for ${type}`);
    let out = '';
    const declared = def.definitions.some((f) => f.type === 'int8' || f.type === 'uint8') ? this.declaredOf(type) : undefined;
    const typeOf = (f: { type: string; name: string }) => (f.type === 'int8' || f.type === 'uint8' ? (declared?.get(f.name) ?? f.type) : f.type);
    for (const f of def.definitions) {
      if (f.isConstant === true) out += `${typeOf(f)} ${f.name}=${f.valueText ?? String(f.value)}\n`;
    }
    for (const f of def.definitions) {
      if (f.isConstant === true) continue;
      if (BUILTINS.has(f.type)) {
        const arr = f.isArray === true ? `[${f.arrayLength ?? ''}]` : '';
        out += `${typeOf(f)}${arr} ${f.name}\n`;
      } else {
        out += `${this.messageMd5(f.type)} ${f.name}\n`;
      }
    }
    return out.trim();
  }
}

const BLOB_TYPES = new Set(['uint8', 'int8', 'byte', 'char']);

type Part = { blob: true; name: string } | { blob: false; name: string; writer: MessageWriter };

/**
 * The foxglove writer moves arrays one element at a time (a 1 MiB PointCloud2 costs ~7 ms to
 * size and write). Top-level byte arrays (`data` of PointCloud2, Image, CompressedImage …) are
 * therefore copied in one `set`, and the other top-level fields written by per-field writers.
 */
function framedEncoder(deps: MessageDefinition[]): (msg: unknown) => Buffer {
  const [root, ...rest] = deps;
  const fields = root!.definitions.filter((f) => f.isConstant !== true);
  const hasBlob = fields.some((f) => f.isArray === true && f.arrayLength === undefined && BLOB_TYPES.has(f.type));
  if (!hasBlob) {
    const writer = new MessageWriter(deps);
    return (msg) => {
      const size = writer.calculateByteSize(msg);
      const out = Buffer.allocUnsafe(4 + size);
      out.writeUInt32LE(size, 0);
      writer.writeMessage(msg, out.subarray(4));
      return out;
    };
  }
  const parts: Part[] = fields.map((f) =>
    f.isArray === true && f.arrayLength === undefined && BLOB_TYPES.has(f.type)
      ? { blob: true, name: f.name }
      : { blob: false, name: f.name, writer: new MessageWriter([{ definitions: [f] }, ...rest]) },
  );
  return (msg) => {
    const m = msg as Record<string, unknown>;
    if (m === null || typeof m !== 'object') throw new TypeError('message must be an object');
    const values: unknown[] = [];
    const sizes: number[] = [];
    let total = 0;
    for (const p of parts) {
      if (p.blob) {
        const v = m[p.name];
        const bytes = v instanceof Uint8Array ? v : ArrayBuffer.isView(v) ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : Array.isArray(v) ? Uint8Array.from(v as number[]) : undefined;
        if (!bytes) throw new TypeError(`field ${p.name} must be a Uint8Array or an array of numbers`);
        values.push(bytes);
        sizes.push(4 + bytes.byteLength);
      } else {
        const wrapped = { [p.name]: m[p.name] };
        values.push(wrapped);
        sizes.push(p.writer.calculateByteSize(wrapped));
      }
      total += sizes[sizes.length - 1]!;
    }
    const out = Buffer.allocUnsafe(4 + total);
    out.writeUInt32LE(total, 0);
    let o = 4;
    parts.forEach((p, i) => {
      const size = sizes[i]!;
      if (p.blob) {
        const bytes = values[i] as Uint8Array;
        out.writeUInt32LE(bytes.byteLength, o);
        out.set(bytes, o + 4);
      } else {
        p.writer.writeMessage(values[i], out.subarray(o, o + size));
      }
      o += size;
    });
    return out;
  };
}

/** Records the fields declared `byte`/`char` in a definition text (root block and `MSG:` blocks). */
function scanDeclared(text: string, rootType: string, pkg: string, into: Map<string, Map<string, string>>): void {
  const blocks = text.split(/^=+[ \t]*\r?$/m);
  blocks.forEach((block, i) => {
    let type = rootType;
    if (i > 0) {
      const m = /^\s*MSG:\s*(\S+)/m.exec(block);
      if (!m) return;
      type = qualify(m[1]!, pkg);
    }
    for (const line of block.split('\n')) {
      const m = /^\s*(byte|char)(\[\d*\])?\s+([A-Za-z]\w*)/.exec(line.replace(/#.*/, ''));
      if (!m) continue;
      let fields = into.get(type);
      if (!fields) into.set(type, (fields = new Map()));
      fields.set(m[3]!, m[1]!);
    }
  });
}

/**
 * The common definitions' original .msg texts ship in the package (`msgdefs/ros1`); only the
 * few with byte/char fields matter (rosgraph_msgs/Log, diagnostic_msgs, std_msgs/Byte …).
 */
function scanCommonTexts(into: Map<string, Map<string, string>>): void {
  try {
    const root = join(dirname(createRequire(import.meta.url).resolve('@foxglove/rosmsg-msgs-common/package.json')), 'msgdefs', 'ros1');
    for (const pkg of readdirSync(root)) {
      for (const file of readdirSync(join(root, pkg))) {
        if (!file.endsWith('.msg')) continue;
        const text = readFileSync(join(root, pkg, file), 'utf8');
        if (/^\s*(byte|char)\b/m.test(text)) scanDeclared(text, `${pkg}/${file.slice(0, -4)}`, pkg, into);
      }
    }
  } catch {
    // Without the texts, byte/char fields hash as int8/uint8: their md5 would differ from ROS's.
  }
}

function md5hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function qualify(name: string, pkg: string): string {
  if (name.includes('/')) return name;
  if (name === 'Header') return 'std_msgs/Header';
  return `${pkg}/${name}`;
}

function fixFields(def: MessageDefinition, pkg: string, known: (t: string) => boolean): MessageDefinition {
  return {
    ...def,
    definitions: def.definitions.map((f) => {
      if (f.isComplex !== true && BUILTINS.has(f.type)) return { ...f, isComplex: false };
      let t = f.type;
      if (!t.includes('/')) t = t === 'Header' && !known(`${pkg}/Header`) ? 'std_msgs/Header' : `${pkg}/${t}`;
      return { ...f, type: t, isComplex: true };
    }),
  };
}
