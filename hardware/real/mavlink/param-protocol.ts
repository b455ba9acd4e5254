/**
 * The MAVLink parameter protocol (https://mavlink.io/en/services/parameter.html): read one,
 * list all, set with verification.
 *
 * @remarks
 * - Read: PARAM_REQUEST_READ by name (param_index = -1) or index → the PARAM_VALUE echo.
 * - List: PARAM_REQUEST_LIST → PARAM_VALUE stream (param_count, param_index); when the stream
 *   goes quiet with gaps, each missing index is re-requested with PARAM_REQUEST_READ.
 * - Set: PARAM_SET → the vehicle answers with PARAM_VALUE carrying the value it now holds; the
 *   set succeeds only if that value is the one we sent (a vehicle clamps or refuses silently).
 * - Encoding of integer types in the float field: PX4 copies the int's bytes into the float
 *   (MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE, which PX4 v1.15 declares in AUTOPILOT_VERSION);
 *   ArduPilot converts the value (C cast). We read the raw four bytes from the frame and write
 *   them into the frame, so bytewise values survive exactly — even those whose bytes are a float
 *   NaN (every INT32 from -8 388 607 to -1), which a trip through a JS number need not preserve.
 * - A set goes out in the type the vehicle declares (PX4 refuses any other: "param types
 *   mismatch"): {@link ParamProtocol.setParam}.
 */
import { common } from 'node-mavlink';
import { fail, ok, type Result } from '../../../core/result.js';
import type { VehicleErrorCode } from '../../vehicle.port.js';
import type { MavFrame } from './codec.js';
import type { AutopilotKind, MavSession } from './session.js';

/** MAV_PARAM_TYPE. */
export const MAV_PARAM_TYPE = { UINT8: 1, INT8: 2, UINT16: 3, INT16: 4, UINT32: 5, INT32: 6, UINT64: 7, INT64: 8, REAL32: 9, REAL64: 10 } as const;

export interface ParamValue {
  readonly name: string;
  readonly value: number;
  readonly type: number;
  readonly index: number;
  readonly count: number;
}

export type ParamErrorCode = VehicleErrorCode | 'PARAM.NOT_FOUND' | 'PARAM.NOT_SET';
export type ParamResult<T> = Result<T, ParamErrorCode>;

export interface ParamOptions {
  /** Wait for a PARAM_VALUE, ms of autopilot time (default 1000). */
  readonly timeoutMs?: number;
  /** Resends per request (default 3). */
  readonly retries?: number;
}

const MSG_PARAM_VALUE = 22;
const scratch = new DataView(new ArrayBuffer(4));

const isInt = (type: number) => type >= 1 && type <= 6;

/** Decodes PARAM_VALUE.param_value from its four raw bytes. */
export function decodeParamValue(raw: number /* the float bits as uint32 */, type: number, autopilot: AutopilotKind): number {
  scratch.setUint32(0, raw >>> 0, true);
  const asFloat = scratch.getFloat32(0, true);
  if (!isInt(type) || autopilot !== 'px4') return isInt(type) ? Math.round(asFloat) : asFloat;
  switch (type) {
    case MAV_PARAM_TYPE.UINT8: return scratch.getUint8(0);
    case MAV_PARAM_TYPE.INT8: return scratch.getInt8(0);
    case MAV_PARAM_TYPE.UINT16: return scratch.getUint16(0, true);
    case MAV_PARAM_TYPE.INT16: return scratch.getInt16(0, true);
    case MAV_PARAM_TYPE.UINT32: return scratch.getUint32(0, true);
    default: return scratch.getInt32(0, true);
  }
}

/** The float to put in PARAM_SET.param_value so the vehicle reads `value` of `type`. */
export function encodeParamValue(value: number, type: number, autopilot: AutopilotKind): number {
  if (!isInt(type) || autopilot !== 'px4') return value;
  scratch.setUint32(0, 0, true);
  if (type === MAV_PARAM_TYPE.UINT32) scratch.setUint32(0, value >>> 0, true);
  else scratch.setInt32(0, value | 0, true);
  return scratch.getFloat32(0, true);
}

/**
 * The four bytes of PARAM_SET.param_value for `value` of `type`: the integer's own bytes for PX4
 * (bytewise), the float's bytes otherwise. Sent as bytes, not through a JS number: an INT32 such
 * as -1 (ff ff ff ff) is a float NaN, whose bits a float32 write need not keep.
 */
export function encodeParamBytes(value: number, type: number, autopilot: AutopilotKind): Buffer {
  const b = Buffer.alloc(4);
  if (isInt(type) && autopilot === 'px4') {
    if (type === MAV_PARAM_TYPE.UINT32) b.writeUInt32LE(value >>> 0, 0);
    else b.writeInt32LE(value | 0, 0);
  } else b.writeFloatLE(value, 0);
  return b;
}

export class ParamProtocol {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly listeners = new Set<(p: ParamValue) => void>();
  /** Fails each request under way (dispose). */
  private readonly abandons = new Set<() => void>();
  private disposed = false;
  private readonly off: () => void;
  /** Every value heard, by name (types for later sets). */
  readonly cache = new Map<string, ParamValue>();

  constructor(private readonly session: MavSession, opts: ParamOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.retries = opts.retries ?? 3;
    this.off = session.on(MSG_PARAM_VALUE, (m, frame) => {
      const pv = m as common.ParamValue;
      const v: ParamValue = {
        name: String(pv.paramId).replace(/\0.*$/s, ''),
        value: decodeParamValue(rawFloatBits(frame), pv.paramType, session.autopilot),
        type: pv.paramType,
        index: pv.paramIndex,
        count: pv.paramCount,
      };
      this.cache.set(v.name, v);
      for (const fn of [...this.listeners]) fn(v);
    });
  }

  /** Stops listening; requests under way fail with VEHICLE.DISPOSED (none hangs). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.off();
    for (const abandon of [...this.abandons]) abandon();
  }

  /** Reads one parameter by name or index. */
  read(id: string | number, signal?: AbortSignal): Promise<ParamResult<ParamValue>> {
    const req = () => {
      const m = new common.ParamRequestRead();
      m.targetSystem = this.session.sysid ?? 0;
      m.targetComponent = this.session.compid;
      m.paramId = typeof id === 'string' ? id : '';
      m.paramIndex = typeof id === 'string' ? -1 : id;
      this.session.send(m);
    };
    const match = (p: ParamValue) => (typeof id === 'string' ? p.name === id : p.index === id);
    return this.exchange(`read ${id}`, req, match, signal, 'PARAM.NOT_FOUND');
  }

  /**
   * Sets a parameter in the type the vehicle declares for it (its PARAM_VALUE.param_type, read
   * first when not heard yet) and verifies the echo. PX4 takes a PARAM_SET only in the declared
   * type (mavlink_parameters.cpp: INT32 with INT32, FLOAT with REAL32, else "param types
   * mismatch" and nothing is set), e.g. COM_DL_LOSS_T is INT32: sent as REAL32 it is refused.
   */
  setParam(name: string, value: number, signal?: AbortSignal): Promise<ParamResult<ParamValue>> {
    return this.set(name, value, undefined, signal);
  }

  /**
   * As {@link setParam}. `type` is only a fallback for a vehicle that does not answer the read
   * of the declared type; the declared type always wins.
   */
  async set(name: string, value: number, type?: number, signal?: AbortSignal): Promise<ParamResult<ParamValue>> {
    let t = this.cache.get(name)?.type;
    if (t === undefined) {
      const r = await this.read(name, signal);
      if (r.ok) t = r.value.type;
      else if (type === undefined || (!r.ok && r.error.code === 'VEHICLE.NO_LINK')) return r;
      else t = type;
    }
    const want = isInt(t) ? Math.round(value) : Math.fround(value);
    const req = () => {
      const m = new common.ParamSet();
      m.targetSystem = this.session.sysid ?? 0;
      m.targetComponent = this.session.compid;
      m.paramId = name;
      m.paramValue = encodeParamValue(want, t!, this.session.autopilot);
      m.paramType = t!;
      const bytes = encodeParamBytes(want, t!, this.session.autopilot);
      this.session.send(m, (payload) => bytes.copy(payload, 0)); // param_value is at offset 0
    };
    const r = await this.exchange(`set ${name}`, req, (p) => p.name === name, signal, 'VEHICLE.TIMEOUT');
    if (!r.ok) return r;
    const got = isInt(r.value.type) ? r.value.value : Math.fround(r.value.value);
    if (got !== want)
      return fail('PARAM.NOT_SET', `${name}: vehicle holds ${got}, not ${want}`, { context: { name, wanted: want, got } });
    return r;
  }

  /** Lists every parameter, re-requesting the gaps. */
  list(signal?: AbortSignal): Promise<ParamResult<Map<string, ParamValue>>> {
    const s = this.session;
    if (this.disposed) return Promise.resolve(fail('VEHICLE.DISPOSED', 'param list: disposed'));
    if (!s.linkUp) return Promise.resolve(fail('VEHICLE.NO_LINK', 'param list: no link to the vehicle'));
    return new Promise((resolve) => {
      const byIndex = new Map<number, ParamValue>();
      let count = -1;
      let cancel = () => {};
      let rounds = 0;
      const abandon = () => finish(fail('VEHICLE.DISPOSED', 'param list: disposed'));
      const finish = (r: ParamResult<Map<string, ParamValue>>) => {
        cancel();
        this.abandons.delete(abandon);
        this.listeners.delete(onValue);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
        s.clock.notifyAsync();
      };
      const onAbort = () => finish(fail('VEHICLE.TIMEOUT', 'param list: aborted by caller', { context: { aborted: true } }));
      const complete = () => count >= 0 && byIndex.size >= count;
      const quiet = () => {
        if (complete()) return finish(ok(new Map([...byIndex.values()].map((p) => [p.name, p]))));
        if (rounds++ >= this.retries) return finish(fail('VEHICLE.TIMEOUT', `param list: ${byIndex.size}/${count < 0 ? '?' : count} received`, { context: { received: byIndex.size, count } }));
        if (count < 0) requestList();
        else for (let i = 0; i < count; i++) if (!byIndex.has(i)) this.requestIndex(i);
        arm();
      };
      const arm = () => {
        cancel();
        cancel = s.after(s.ms(this.timeoutMs), quiet);
      };
      const onValue = (p: ParamValue) => {
        if (p.index === 0xffff) return; // an unsolicited change, not part of the list
        count = p.count;
        if (!byIndex.has(p.index)) rounds = 0;
        byIndex.set(p.index, p);
        if (complete()) return finish(ok(new Map([...byIndex.values()].map((v) => [v.name, v]))));
        arm();
      };
      const requestList = () => {
        const m = new common.ParamRequestList();
        m.targetSystem = s.sysid ?? 0;
        m.targetComponent = s.compid;
        s.send(m);
      };
      this.listeners.add(onValue);
      this.abandons.add(abandon);
      signal?.addEventListener('abort', onAbort, { once: true });
      requestList();
      arm();
    });
  }

  private requestIndex(i: number): void {
    const m = new common.ParamRequestRead();
    m.targetSystem = this.session.sysid ?? 0;
    m.targetComponent = this.session.compid;
    m.paramId = '';
    m.paramIndex = i;
    this.session.send(m);
  }

  private exchange(what: string, send: () => void, match: (p: ParamValue) => boolean, signal: AbortSignal | undefined, timeoutCode: ParamErrorCode): Promise<ParamResult<ParamValue>> {
    const s = this.session;
    if (this.disposed) return Promise.resolve(fail('VEHICLE.DISPOSED', `param ${what}: disposed`));
    if (!s.linkUp) return Promise.resolve(fail('VEHICLE.NO_LINK', `param ${what}: no link to the vehicle`));
    return new Promise((resolve) => {
      let left = this.retries;
      let cancel = () => {};
      const abandon = () => finish(fail('VEHICLE.DISPOSED', `param ${what}: disposed`));
      const finish = (r: ParamResult<ParamValue>) => {
        cancel();
        this.abandons.delete(abandon);
        this.listeners.delete(onValue);
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
        s.clock.notifyAsync();
      };
      const onAbort = () => finish(fail('VEHICLE.TIMEOUT', `param ${what}: aborted by caller`, { context: { aborted: true } }));
      const onValue = (p: ParamValue) => {
        if (match(p)) finish(ok(p));
      };
      const attempt = () => {
        send();
        cancel = s.after(s.ms(this.timeoutMs), () => {
          if (left-- > 0) return attempt();
          finish(fail(timeoutCode, `param ${what}: no PARAM_VALUE after ${this.retries + 1} attempts`));
        });
      };
      this.listeners.add(onValue);
      this.abandons.add(abandon);
      signal?.addEventListener('abort', onAbort, { once: true });
      attempt();
    });
  }
}

/** PARAM_VALUE.param_value's raw bits (offset 0; a truncated payload is zero-extended). */
function rawFloatBits(frame: MavFrame): number {
  const p = frame.payload;
  let v = 0;
  for (let i = 3; i >= 0; i--) v = v * 256 + (p[i] ?? 0);
  return v;
}
