/**
 * The MAVLink parameter protocol over the simulator's parameters (PX4 names where PX4 has them).
 *
 * @remarks
 * - PARAM_REQUEST_LIST sends every parameter as PARAM_VALUE (index/count), then PX4's
 *   `_HASH_CHECK` entry (index 65535, INT32) that lets QGroundControl cache the list.
 * - PARAM_REQUEST_READ by name (param_index −1) or by index.
 * - PARAM_SET checks the value against the parameter's bounds (`SimWorld.setParam`) and always
 *   answers PARAM_VALUE with the value in force: the new one, or the old one if refused (with a
 *   STATUSTEXT saying why). PX4 itself does not range-check; QGroundControl does.
 * - Integer parameters travel as MAV_PARAM_TYPE_INT32 with PX4's *bytewise* encoding: the int32's
 *   four bytes are reinterpreted as the float `param_value` (MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE),
 *   not converted. A PARAM_SET is decoded by the parameter's own type, as PX4 copies the bytes
 *   whatever `param_type` says. Limitation: an int whose bit pattern is a float NaN (negative ints,
 *   ≥ 0x7F800001) would not survive node-mavlink's float field; ours are small and non-negative.
 * - Names longer than MAVLink's 16 characters (simulator-only parameters) are cut to 16 on the
 *   wire; the cut names are unique (checked at load).
 * - Values are float32 on the wire; a set value is stored as the float32 it travelled as.
 */
import { common, type MavLinkData } from 'node-mavlink';
import type { SimWorld } from '../sim-world.js';
import { SIM_PARAM_DEFS, SIM_PARAM_NAMES, type SimParamName } from '../params.js';
import { ParamType, Severity, isForUs, msg, num, str } from './internal/mav.js';

/** Parameters PX4 declares as INT32; every other one is REAL32. */
const INT_PARAMS = new Set<string>(['COM_DL_LOSS_T', 'NAV_DLL_ACT', 'COM_LOW_BAT_ACT', 'BAT_N_CELLS', 'GF_ACTION', 'GF_SOURCE', 'GF_PREDICT']);

/** Parameters in PX4's order (sorted by name); wire name = first 16 characters. */
const ORDER: readonly SimParamName[] = [...SIM_PARAM_NAMES].sort();
const WIRE = ORDER.map((n) => n.slice(0, 16));
const BY_WIRE = new Map(WIRE.map((w, i) => [w, i]));
if (BY_WIRE.size !== ORDER.length) throw new Error('SITL.PARAM_NAMES: two parameter names collide when cut to 16 characters');

const scratch = new DataView(new ArrayBuffer(4));

/** PX4 bytewise: the float whose bytes are the int32 `v`. */
export function intToWireFloat(v: number): number {
  scratch.setInt32(0, v, true);
  return scratch.getFloat32(0, true);
}

/** PX4 bytewise: the int32 whose bytes are the float `f`. */
export function wireFloatToInt(f: number): number {
  scratch.setFloat32(0, f, true);
  return scratch.getInt32(0, true);
}

export interface ParamLink {
  send(m: MavLinkData): void;
}

export class ParamServer {
  constructor(
    private readonly world: SimWorld,
    private readonly id: string,
    private readonly sysid: number,
    private readonly statustext: (severity: number, text: string) => void,
  ) {}

  /** Number of parameters served. */
  get count(): number {
    return ORDER.length;
  }

  handle(link: ParamLink, m: MavLinkData): boolean {
    if (m instanceof common.ParamRequestList) {
      if (this.forUs(m)) this.sendAll(link);
    } else if (m instanceof common.ParamRequestRead) {
      if (this.forUs(m)) this.read(link, str(m, 'paramId'), num(m, 'paramIndex'));
    } else if (m instanceof common.ParamSet) {
      if (this.forUs(m)) this.set(link, str(m, 'paramId'), num(m, 'paramValue'));
    } else return false;
    return true;
  }

  private forUs(m: MavLinkData): boolean {
    return isForUs(this.sysid, num(m, 'targetSystem'), num(m, 'targetComponent'));
  }

  private value(index: number): MavLinkData {
    const name = ORDER[index]!;
    const v = this.world.getParams(this.id)[name];
    const isInt = INT_PARAMS.has(name);
    return msg(common.ParamValue, {
      paramId: WIRE[index], paramValue: isInt ? intToWireFloat(Math.round(v)) : v,
      paramType: isInt ? ParamType.INT32 : ParamType.REAL32, paramCount: ORDER.length, paramIndex: index,
    });
  }

  private sendAll(link: ParamLink): void {
    for (let k = 0; k < ORDER.length; k++) link.send(this.value(k));
    link.send(msg(common.ParamValue, {
      paramId: '_HASH_CHECK', paramValue: intToWireFloat(this.hash()), paramType: ParamType.INT32,
      paramCount: ORDER.length, paramIndex: 65535,
    }));
  }

  private read(link: ParamLink, name: string, index: number): void {
    const k = index >= 0 && index !== 65535 ? index : BY_WIRE.get(name) ?? -1;
    if (k < 0 || k >= ORDER.length) {
      this.statustext(Severity.WARNING, `[pm] unknown param: ${name || `#${index}`}`);
      return;
    }
    link.send(this.value(k));
  }

  private set(link: ParamLink, wireName: string, wireValue: number): void {
    const k = BY_WIRE.get(wireName);
    if (k === undefined) {
      this.statustext(Severity.WARNING, `[pm] unknown param: ${wireName}`);
      return;
    }
    const name = ORDER[k]!;
    const value = INT_PARAMS.has(name) ? wireFloatToInt(wireValue) : wireValue;
    const r = this.world.setParam(this.id, name, value);
    if (!r.ok) {
      const def = SIM_PARAM_DEFS[name];
      this.statustext(Severity.WARNING, `Param ${wireName}: ${value} out of range [${def.min}, ${def.max}]`);
    }
    link.send(this.value(k));
  }

  /** A 32-bit FNV-1a over names and values: changes whenever any parameter does. */
  private hash(): number {
    const p = this.world.getParams(this.id);
    let h = 0x811c9dc5;
    for (const name of ORDER) {
      const s = `${name}=${Math.fround(p[name])};`;
      for (let c = 0; c < s.length; c++) h = Math.imul(h ^ s.charCodeAt(c), 0x01000193);
    }
    // Kept below 2^30 so the bytewise float is never a NaN pattern (which would not survive a float field).
    return h & 0x3fffffff;
  }
}
