/**
 * The MAVLink FTP payload (https://mavlink.io/en/services/ftp.html): the 251-byte `payload` of
 * FILE_TRANSFER_PROTOCOL holds a 12-byte header (seq_number u16, session, opcode, size,
 * req_opcode, burst_complete, padding, offset u32, little-endian) and up to 239 data bytes.
 * Pure encoding and decoding shared by the client and the SITL's server; decoding untrusted
 * bytes never throws.
 */

/** MAV_FTP_OPCODE. */
export const FtpOpcode = {
  NONE: 0, TERMINATE_SESSION: 1, RESET_SESSIONS: 2, LIST_DIRECTORY: 3, OPEN_FILE_RO: 4, READ_FILE: 5,
  CREATE_FILE: 6, WRITE_FILE: 7, REMOVE_FILE: 8, CREATE_DIRECTORY: 9, REMOVE_DIRECTORY: 10, OPEN_FILE_WO: 11,
  TRUNCATE_FILE: 12, RENAME: 13, CALC_FILE_CRC32: 14, BURST_READ_FILE: 15, ACK: 128, NAK: 129,
} as const;

/** MAV_FTP_ERR (first data byte of a NAK). */
export const FtpError = {
  NONE: 0, FAIL: 1, FAIL_ERRNO: 2, INVALID_DATA_SIZE: 3, INVALID_SESSION: 4, NO_SESSIONS_AVAILABLE: 5, EOF: 6,
  UNKNOWN_COMMAND: 7, FILE_EXISTS: 8, FILE_PROTECTED: 9, FILE_NOT_FOUND: 10,
} as const;

const ERROR_NAME: Record<number, string> = Object.fromEntries(Object.entries(FtpError).map(([k, v]) => [v, k]));
/** `FILE_NOT_FOUND`, or `ERR 42` for a code MAVLink does not define. */
export const ftpErrorName = (code: number): string => ERROR_NAME[code] ?? `ERR ${code}`;

/** Bytes of FILE_TRANSFER_PROTOCOL.payload. */
export const FTP_PAYLOAD_LEN = 251;
export const FTP_HEADER_LEN = 12;
/** Most data bytes one message carries (PX4's kMaxDataLength). */
export const FTP_MAX_DATA = FTP_PAYLOAD_LEN - FTP_HEADER_LEN;

export interface FtpPacket {
  /** 0..65535; a reply carries the request's + 1. */
  readonly seq: number;
  readonly session: number;
  readonly opcode: number;
  /** Request opcode echoed in ACK/NAK. */
  readonly reqOpcode: number;
  readonly burstComplete: boolean;
  readonly offset: number;
  /** `size` bytes of data (a copy). */
  readonly data: Uint8Array;
}

/** Serialises a packet into the 251 payload bytes (data cut to {@link FTP_MAX_DATA}). */
export function encodeFtp(p: Partial<FtpPacket> & { opcode: number }): number[] {
  const out = new Array<number>(FTP_PAYLOAD_LEN).fill(0);
  const seq = (p.seq ?? 0) & 0xffff;
  const data = p.data ?? new Uint8Array(0);
  const size = Math.min(data.length, FTP_MAX_DATA);
  const offset = (p.offset ?? 0) >>> 0;
  out[0] = seq & 0xff;
  out[1] = seq >> 8;
  out[2] = (p.session ?? 0) & 0xff;
  out[3] = p.opcode & 0xff;
  out[4] = size;
  out[5] = (p.reqOpcode ?? 0) & 0xff;
  out[6] = p.burstComplete ? 1 : 0;
  out[8] = offset & 0xff;
  out[9] = (offset >>> 8) & 0xff;
  out[10] = (offset >>> 16) & 0xff;
  out[11] = offset >>> 24;
  for (let i = 0; i < size; i++) out[FTP_HEADER_LEN + i] = data[i]!;
  return out;
}

/**
 * Reads a payload (as node-mavlink decodes it: a number array, possibly short). Returns
 * undefined when it cannot be an FTP packet (fewer than 12 header bytes, or `size` > 239).
 */
export function decodeFtp(payload: ArrayLike<number>): FtpPacket | undefined {
  if (payload.length < FTP_HEADER_LEN) return undefined;
  const b = (i: number) => (i < payload.length ? payload[i]! & 0xff : 0);
  const size = b(4);
  if (size > FTP_MAX_DATA) return undefined;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = b(FTP_HEADER_LEN + i);
  return {
    seq: b(0) | (b(1) << 8),
    session: b(2),
    opcode: b(3),
    reqOpcode: b(5),
    burstComplete: b(6) !== 0,
    offset: (b(8) | (b(9) << 8) | (b(10) << 16) | (b(11) << 24)) >>> 0,
    data,
  };
}

/** A path as request data: UTF-8, no terminator (PX4 and QGroundControl send it so). */
export function pathData(path: string): Uint8Array {
  return new TextEncoder().encode(path).subarray(0, FTP_MAX_DATA);
}

/** Little-endian u32 at the start of `data` (OpenFileRO's size, CalcFileCRC32's CRC), or undefined. */
export function u32Data(data: Uint8Array): number | undefined {
  if (data.length !== 4) return undefined;
  return (data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)) >>> 0;
}

export function u32Bytes(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let k = i;
    for (let j = 0; j < 8; j++) k = k & 1 ? (k >>> 1) ^ 0xedb88320 : k >>> 1;
    t[i] = k >>> 0;
  }
  return t;
})();

/**
 * MAVLink's CRC32 (PX4 `crc32part`, QGroundControl, component metadata `fileCrc`): the
 * reflected 0xEDB88320 polynomial with initial value 0 and no final inversion, unlike zlib's.
 */
export function mavCrc32(data: Uint8Array, crc = 0): number {
  let c = crc >>> 0;
  for (let i = 0; i < data.length; i++) c = (c >>> 8) ^ CRC_TABLE[(c ^ data[i]!) & 0xff]!;
  return c >>> 0;
}
