/** DataView scalar access by ScalarType, and the limits every decoder shares. */
import type { ScalarType } from '../point-cloud.js';

/** Decoders refuse clouds above this many points (hostile headers must not allocate gigabytes). */
export const MAX_POINTS_DEFAULT = 200_000_000;

export function readScalar(dv: DataView, off: number, t: ScalarType, le: boolean): number {
  switch (t) {
    case 'int8': return dv.getInt8(off);
    case 'uint8': return dv.getUint8(off);
    case 'int16': return dv.getInt16(off, le);
    case 'uint16': return dv.getUint16(off, le);
    case 'int32': return dv.getInt32(off, le);
    case 'uint32': return dv.getUint32(off, le);
    case 'float32': return dv.getFloat32(off, le);
    case 'float64': return dv.getFloat64(off, le);
  }
}

export function writeScalar(dv: DataView, off: number, t: ScalarType, v: number, le: boolean): void {
  switch (t) {
    case 'int8': dv.setInt8(off, v); return;
    case 'uint8': dv.setUint8(off, v); return;
    case 'int16': dv.setInt16(off, v, le); return;
    case 'uint16': dv.setUint16(off, v, le); return;
    case 'int32': dv.setInt32(off, v, le); return;
    case 'uint32': dv.setUint32(off, v, le); return;
    case 'float32': dv.setFloat32(off, v, le); return;
    case 'float64': dv.setFloat64(off, v, le); return;
  }
}

export function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Index just past the first "\n" at or after `from`, or -1. */
export function lineEnd(b: Uint8Array, from: number): number {
  const i = b.indexOf(10, from);
  return i < 0 ? -1 : i + 1;
}

const td = new TextDecoder('latin1');
export function latin1(b: Uint8Array, from: number, to: number): string {
  return td.decode(b.subarray(from, to));
}
