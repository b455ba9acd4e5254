/**
 * A MAVLink FTP client (https://mavlink.io/en/services/ftp.html) for reading files off an
 * autopilot: OpenFileRO, BurstReadFile with gaps filled by ReadFile, TerminateSession, and
 * CalcFileCRC32 — the subset QGroundControl uses to fetch component metadata.
 *
 * @remarks
 * - One operation at a time (PX4 has a single FTP session); later calls queue behind it.
 * - Each request carries a new sequence number; the server answers with seq + 1. A timed-out
 *   request is resent with the *same* number, so the server resends its stored reply instead of
 *   re-running it (an OpenFileRO whose ACK was lost must not open a second session).
 * - A burst streams ACKs at increasing offsets until burst_complete (ask again from the last
 *   offset) or a NAK EOF. Lost burst packets leave holes that are then read with ReadFile.
 * - Every wait runs on the session's clock (autopilot time, divided by the speed factor).
 * - Files larger than `maxFileBytes` are refused before any data moves (FTP.TOO_LARGE).
 * - Results: FTP.NAK (context `nak`: MAV_FTP_ERR name, `errno` for FAIL_ERRNO), FTP.TIMEOUT,
 *   FTP.TOO_LARGE, FTP.BAD_REPLY (a malformed ACK), FTP.NO_LINK, FTP.ABORTED, FTP.BAD_PATH.
 */
import { common } from 'node-mavlink';
import { fail, ok, type Result } from '../../../../core/result.js';
import type { MavFrame } from '../codec.js';
import type { MavSession } from '../session.js';
import {
  FTP_MAX_DATA, FtpError, FtpOpcode, decodeFtp, encodeFtp, ftpErrorName, pathData, u32Data, type FtpPacket,
} from './ftp-payload.js';

export type FtpErrorCode = 'FTP.NAK' | 'FTP.TIMEOUT' | 'FTP.TOO_LARGE' | 'FTP.BAD_REPLY' | 'FTP.NO_LINK' | 'FTP.ABORTED' | 'FTP.BAD_PATH';
export type FtpResult<T> = Result<T, FtpErrorCode>;

export interface FtpClientOptions {
  /** Wait for a reply (or the next burst packet) before resending, ms of autopilot time (default 500). */
  readonly timeoutMs?: number;
  /** Resends of one request before FTP.TIMEOUT (default 6, the spec's recommendation). */
  readonly retries?: number;
  /** Largest file accepted, bytes (default 4 MiB). */
  readonly maxFileBytes?: number;
  /** Component serving FTP (default: the autopilot, 1). */
  readonly targetComponent?: number;
  /** Use BurstReadFile (default true); false reads chunk by chunk with ReadFile. */
  readonly burst?: boolean;
  /** First sequence number − 1 (default random). */
  readonly initialSeq?: number;
}

/** Counters for tests and diagnostics. */
export interface FtpClientStats {
  requests: number;
  resends: number;
  replies: number;
  /** Replies that matched no pending request (stale, duplicate, other client's). */
  ignored: number;
  burstPackets: number;
  /** Byte ranges re-read with ReadFile after a burst left holes. */
  holesFilled: number;
}

const MSG_FTP = 110;

interface Waiter {
  match(p: FtpPacket): boolean;
  onPacket(p: FtpPacket): void;
}

export class FtpClient {
  readonly stats: FtpClientStats = { requests: 0, resends: 0, replies: 0, ignored: 0, burstPackets: 0, holesFilled: 0 };
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly maxFileBytes: number;
  private readonly component: number;
  private readonly burst: boolean;
  private seq: number;
  private waiter: Waiter | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly off: () => void;

  constructor(private readonly session: MavSession, opts: FtpClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 500;
    this.retries = opts.retries ?? 6;
    this.maxFileBytes = opts.maxFileBytes ?? 4 * 1024 * 1024;
    this.component = opts.targetComponent ?? 1;
    this.burst = opts.burst ?? true;
    // PX4 treats a request whose seq is its last reply's − 1 as a resend: a new client must not
    // start where an earlier one stopped, so the start is random unless a test pins it.
    this.seq = (opts.initialSeq ?? Math.floor(Math.random() * 0x10000)) & 0xffff;
    this.off = session.on(MSG_FTP, (m, frame) => this.onMessage(m as common.FileTransferProtocol, frame), { anyComponent: true });
  }

  /** Downloads a whole file. `path` as on the vehicle (`/etc/extras/x.json.xz`) or an `mftp://` URI. */
  download(path: string, signal?: AbortSignal): Promise<FtpResult<Uint8Array>> {
    return this.serialise(() => this.runDownload(path, signal));
  }

  /** The server's MAVLink CRC32 of a file (CalcFileCRC32). */
  crc32(path: string, signal?: AbortSignal): Promise<FtpResult<number>> {
    return this.serialise(async () => {
      const p = toPath(path);
      if (!p.ok) return p;
      const r = await this.request({ opcode: FtpOpcode.CALC_FILE_CRC32, data: pathData(p.value) }, signal);
      if (!r.ok) return r;
      const crc = u32Data(r.value.data);
      return crc === undefined ? fail('FTP.BAD_REPLY', `CalcFileCRC32 ACK with ${r.value.data.length} data bytes`) : ok(crc);
    });
  }

  dispose(): void {
    this.off();
    this.waiter = undefined;
  }

  private serialise<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private onMessage(m: common.FileTransferProtocol, frame: MavFrame): void {
    if (frame.compid !== this.component) return;
    if (!this.session.isForUs(m.targetSystem, m.targetComponent)) return;
    const p = decodeFtp(m.payload);
    const w = this.waiter;
    if (!p || (p.opcode !== FtpOpcode.ACK && p.opcode !== FtpOpcode.NAK) || !w || !w.match(p)) {
      this.stats.ignored++;
      return;
    }
    this.stats.replies++;
    w.onPacket(p);
  }

  private send(p: Partial<FtpPacket> & { opcode: number; seq: number }): void {
    const m = new common.FileTransferProtocol();
    m.targetNetwork = 0;
    m.targetSystem = this.session.sysid ?? 0;
    m.targetComponent = this.component;
    m.payload = encodeFtp(p);
    this.session.send(m);
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  /** One request → its ACK (ok) or NAK (FTP.NAK); resent with the same seq on timeout. */
  private request(req: Partial<FtpPacket> & { opcode: number }, signal?: AbortSignal, retries = this.retries): Promise<FtpResult<FtpPacket>> {
    const s = this.session;
    if (signal?.aborted) return Promise.resolve(fail('FTP.ABORTED', 'aborted by caller'));
    if (s.sysid === undefined) return Promise.resolve(fail('FTP.NO_LINK', 'no vehicle'));
    const seq = this.nextSeq();
    const replySeq = (seq + 1) & 0xffff;
    const name = opcodeName(req.opcode);
    return new Promise((resolve) => {
      let attempt = 0;
      let cancel = () => {};
      const finish = (r: FtpResult<FtpPacket>) => {
        cancel();
        this.waiter = undefined;
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
        s.clock.notifyAsync();
      };
      const onAbort = () => finish(fail('FTP.ABORTED', `${name}: aborted by caller`));
      const transmit = () => {
        this.stats.requests++;
        if (attempt > 0) this.stats.resends++;
        this.send({ ...req, seq });
        cancel = s.after(s.ms(this.timeoutMs), () => {
          if (attempt >= retries) return finish(fail('FTP.TIMEOUT', `${name}: no reply after ${attempt + 1} attempts`, { context: { opcode: req.opcode, attempts: attempt + 1 } }));
          attempt++;
          transmit();
        });
      };
      this.waiter = {
        match: (p) => p.seq === replySeq && p.reqOpcode === req.opcode,
        onPacket: (p) => {
          if (p.opcode === FtpOpcode.ACK) return finish(ok(p));
          finish(nakResult(name, p));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      transmit();
    });
  }

  private async runDownload(path: string, signal?: AbortSignal): Promise<FtpResult<Uint8Array>> {
    const p = toPath(path);
    if (!p.ok) return p;
    let open = await this.request({ opcode: FtpOpcode.OPEN_FILE_RO, data: pathData(p.value) }, signal);
    if (!open.ok && open.error.context?.nak === 'NO_SESSIONS_AVAILABLE') {
      // A session left open by an earlier, interrupted transfer: reset and try once more.
      await this.request({ opcode: FtpOpcode.RESET_SESSIONS }, signal, 1);
      open = await this.request({ opcode: FtpOpcode.OPEN_FILE_RO, data: pathData(p.value) }, signal);
    }
    if (!open.ok) return open;
    const size = u32Data(open.value.data);
    const session = open.value.session;
    const close = () => this.request({ opcode: FtpOpcode.TERMINATE_SESSION, session }, undefined, 1);
    if (size === undefined) {
      await close();
      return fail('FTP.BAD_REPLY', `OpenFileRO ACK with ${open.value.data.length} data bytes (expected the 4-byte size)`);
    }
    if (size > this.maxFileBytes) {
      await close();
      return fail('FTP.TOO_LARGE', `${p.value}: ${size} bytes exceeds the ${this.maxFileBytes}-byte limit`, { context: { size, limit: this.maxFileBytes } });
    }
    const file = new Uint8Array(size);
    const have = new Uint8Array(size);
    let r: FtpResult<void> = ok(undefined);
    if (this.burst && size > 0) r = await this.burstRead(session, file, have, signal);
    if (r.ok) r = await this.fillHoles(session, file, have, signal);
    await close();
    return r.ok ? ok(file) : r;
  }

  /** Bursts until EOF; holes (lost packets) stay marked 0 in `have`. */
  private async burstRead(session: number, file: Uint8Array, have: Uint8Array, signal?: AbortSignal): Promise<FtpResult<void>> {
    let offset = 0;
    for (let bursts = 0; offset < file.length; bursts++) {
      if (bursts > file.length / FTP_MAX_DATA + this.retries + 2) break; // a server that never finishes
      const r = await this.oneBurst(session, offset, file, have, signal);
      if (!r.ok) return r;
      if (r.value.eof) break;
      offset = r.value.next;
    }
    return ok(undefined);
  }

  private oneBurst(session: number, offset: number, file: Uint8Array, have: Uint8Array, signal?: AbortSignal): Promise<FtpResult<{ eof: boolean; next: number }>> {
    const s = this.session;
    if (signal?.aborted) return Promise.resolve(fail('FTP.ABORTED', 'aborted by caller'));
    const seq = this.nextSeq();
    return new Promise((resolve) => {
      let attempt = 0;
      let cancel = () => {};
      let next = offset;
      let progressed = false;
      const finish = (r: FtpResult<{ eof: boolean; next: number }>) => {
        cancel();
        this.waiter = undefined;
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
        s.clock.notifyAsync();
      };
      const onAbort = () => finish(fail('FTP.ABORTED', 'BurstReadFile: aborted by caller'));
      const arm = () => {
        cancel();
        cancel = s.after(s.ms(this.timeoutMs), () => {
          // Packets stopped: if some came, the rest is read as holes; else ask again.
          if (progressed) return finish(ok({ eof: true, next }));
          if (attempt >= this.retries) return finish(fail('FTP.TIMEOUT', `BurstReadFile: no data after ${attempt + 1} attempts`, { context: { offset } }));
          attempt++;
          transmit();
        });
      };
      const transmit = () => {
        this.stats.requests++;
        if (attempt > 0) this.stats.resends++;
        this.send({ opcode: FtpOpcode.BURST_READ_FILE, seq, session, offset: next, data: new Uint8Array(0) });
        arm();
      };
      this.waiter = {
        // Burst packets count up from seq + 1; anything older belongs to an earlier request.
        match: (p) => p.reqOpcode === FtpOpcode.BURST_READ_FILE && p.session === session && seqAfter(p.seq, seq),
        onPacket: (p) => {
          if (p.opcode === FtpOpcode.NAK) {
            if (p.data[0] === FtpError.EOF) return finish(ok({ eof: true, next }));
            return finish(nakResult('BurstReadFile', p));
          }
          this.stats.burstPackets++;
          if (!store(file, have, p.offset, p.data)) return finish(fail('FTP.BAD_REPLY', `burst data at ${p.offset}+${p.data.length} outside the ${file.length}-byte file`));
          progressed = true;
          next = Math.max(next, p.offset + p.data.length);
          if (p.burstComplete) return finish(ok({ eof: next >= file.length, next }));
          arm();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      transmit();
    });
  }

  /** Reads every byte range still missing with ReadFile. */
  private async fillHoles(session: number, file: Uint8Array, have: Uint8Array, signal?: AbortSignal): Promise<FtpResult<void>> {
    let i = 0;
    while (i < file.length) {
      if (have[i]) {
        i++;
        continue;
      }
      const len = Math.min(FTP_MAX_DATA, file.length - i);
      // ReadFile's `size` is the byte count wanted; the encoder takes it from the data length.
      const r = await this.request({ opcode: FtpOpcode.READ_FILE, session, offset: i, data: new Uint8Array(len) }, signal);
      if (!r.ok) {
        if (r.error.context?.nak === 'EOF') return fail('FTP.BAD_REPLY', `file ended at ${i} of ${file.length} announced bytes`);
        return r;
      }
      if (r.value.data.length === 0) return fail('FTP.BAD_REPLY', `empty ReadFile ACK at ${i}`);
      if (!store(file, have, i, r.value.data)) return fail('FTP.BAD_REPLY', `ReadFile data at ${i}+${r.value.data.length} outside the file`);
      this.stats.holesFilled++;
      i += r.value.data.length;
    }
    return ok(undefined);
  }
}

/** Copies a received chunk into place; false when it falls outside the file. */
function store(file: Uint8Array, have: Uint8Array, offset: number, data: Uint8Array): boolean {
  if (offset + data.length > file.length) return false;
  file.set(data, offset);
  have.fill(1, offset, offset + data.length);
  return true;
}

/** Is `a` after `b` in wrapping 16-bit sequence space? */
function seqAfter(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

function nakResult(name: string, p: FtpPacket): FtpResult<never> {
  const code = p.data[0] ?? FtpError.FAIL;
  const nak = ftpErrorName(code);
  const errno = code === FtpError.FAIL_ERRNO ? p.data[1] : undefined;
  return fail('FTP.NAK', `${name}: NAK ${nak}${errno !== undefined ? ` (errno ${errno})` : ''}`, { context: { nak, code, ...(errno !== undefined ? { errno } : {}) } });
}

const OPCODE_NAME: Record<number, string> = Object.fromEntries(Object.entries(FtpOpcode).map(([k, v]) => [v, k]));
const opcodeName = (op: number) => OPCODE_NAME[op] ?? `opcode ${op}`;

/**
 * `mftp://etc/extras/a.json.xz` or `mftp:///etc/…` → `/etc/extras/a.json.xz` (QGroundControl keeps
 * the slash after the scheme); a `[;comp=N]` suffix is dropped. Paths over 239 bytes are refused.
 */
export function toPath(uriOrPath: string): FtpResult<string> {
  let p = uriOrPath.trim();
  if (/^mftp:\/\//i.test(p)) p = p.slice('mftp:/'.length);
  p = p.replace(/\[;comp=\d+\]$/, '');
  if (p.length === 0 || new TextEncoder().encode(p).length > FTP_MAX_DATA || p.includes('\0')) return fail('FTP.BAD_PATH', `not a usable FTP path: ${JSON.stringify(uriOrPath)}`);
  if (!p.startsWith('/')) p = `/${p}`;
  return ok(p.replace(/^\/\/+/, '/'));
}
