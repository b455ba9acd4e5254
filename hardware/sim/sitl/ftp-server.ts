/**
 * The SITL's MAVLink FTP server: read-only files held in memory, served the way PX4's
 * `mavlink_ftp.cpp` (v1.15) serves its ROMFS, so the client in `hardware/real/mavlink/ftp` is
 * exercised against its server twin over UDP.
 *
 * @remarks
 * PX4 behaviour kept:
 * - Replies carry the request's seq + 1; a request whose seq + 1 equals the last reply's seq
 *   is a resend and gets that reply again, unexecuted (PX4 keeps only replies of ≤ 4 data
 *   bytes; larger ones are reads, re-run harmlessly).
 * - One session (id 0): a second OpenFileRO while one is open is NAK NO_SESSIONS_AVAILABLE.
 * - OpenFileRO of a missing file: NAK FILE_NOT_FOUND (PX4 maps ENOENT to it).
 * - ReadFile past the end: NAK EOF; BurstReadFile streams ACKs from the offset with seq
 *   numbers counting up from the request's + 1, ends with NAK EOF, or sets burst_complete
 *   after 35 000 bytes (PX4's chunking) so the client asks again.
 * - CalcFileCRC32: MAVLink CRC32 of the file. Write operations: NAK FILE_PROTECTED (read-only
 *   ROMFS). Unknown opcodes: NAK UNKNOWN_COMMAND. `size` > 239: NAK INVALID_DATA_SIZE.
 * No timers: the server only answers.
 */
import {
  FTP_MAX_DATA, FtpError, FtpOpcode, mavCrc32, u32Bytes, type FtpPacket,
} from '../../real/mavlink/ftp/ftp-payload.js';

/** Bytes a burst sends before setting burst_complete (PX4: 35 000). */
export const BURST_CHUNK_BYTES = 35_000;

export interface FtpServerStats {
  requests: number;
  resentReplies: number;
  naks: number;
  burstPackets: number;
}

type Reply = Omit<FtpPacket, 'data'> & { data: Uint8Array };

export class FtpServer {
  readonly stats: FtpServerStats = { requests: 0, resentReplies: 0, naks: 0, burstPackets: 0 };
  private readonly files = new Map<string, Uint8Array>();
  private open: { path: string; data: Uint8Array } | undefined;
  private lastReply: Reply | undefined;

  /** Serves `data` at `path` (absolute, e.g. `/etc/extras/component_general.json`). */
  addFile(path: string, data: Uint8Array): void {
    this.files.set(normalise(path), data);
  }

  /**
   * Handles one request; `reply` is called for each answer (several for a burst), in order.
   */
  handle(req: FtpPacket, reply: (p: Reply) => void): void {
    this.stats.requests++;
    const last = this.lastReply;
    if (last && ((req.seq + 1) & 0xffff) === last.seq) {
      this.stats.resentReplies++;
      reply(last);
      return;
    }
    const seq = (req.seq + 1) & 0xffff;
    const ack = (data: Uint8Array = new Uint8Array(0), extra: Partial<Reply> = {}): Reply => ({
      seq, session: req.session, opcode: FtpOpcode.ACK, reqOpcode: req.opcode, burstComplete: false, offset: req.offset, data, ...extra,
    });
    const nak = (code: number): Reply => {
      this.stats.naks++;
      return { seq, session: req.session, opcode: FtpOpcode.NAK, reqOpcode: req.opcode, burstComplete: false, offset: req.offset, data: Uint8Array.of(code) };
    };
    const out = this.execute(req, ack, nak, reply);
    if (!out) return; // a burst answered for itself
    this.lastReply = out.data.length <= 4 ? out : undefined;
    reply(out);
  }

  private execute(req: FtpPacket, ack: (d?: Uint8Array, x?: Partial<Reply>) => Reply, nak: (c: number) => Reply, reply: (p: Reply) => void): Reply | undefined {
    if (req.data.length > FTP_MAX_DATA) return nak(FtpError.INVALID_DATA_SIZE);
    switch (req.opcode) {
      case FtpOpcode.NONE:
        return ack();
      case FtpOpcode.TERMINATE_SESSION:
        if (req.session !== 0 || !this.open) return nak(FtpError.INVALID_SESSION);
        this.open = undefined;
        return ack();
      case FtpOpcode.RESET_SESSIONS:
        this.open = undefined;
        return ack();
      case FtpOpcode.OPEN_FILE_RO: {
        if (this.open) return nak(FtpError.NO_SESSIONS_AVAILABLE);
        const path = normalise(text(req.data));
        const data = this.files.get(path);
        if (!data) return nak(FtpError.FILE_NOT_FOUND);
        this.open = { path, data };
        return ack(u32Bytes(data.length), { session: 0 });
      }
      case FtpOpcode.READ_FILE: {
        if (req.session !== 0 || !this.open) return nak(FtpError.INVALID_SESSION);
        const f = this.open.data;
        if (req.offset >= f.length) return nak(FtpError.EOF);
        return ack(f.slice(req.offset, Math.min(f.length, req.offset + req.data.length)));
      }
      case FtpOpcode.BURST_READ_FILE: {
        if (req.session !== 0 || !this.open) return nak(FtpError.INVALID_SESSION);
        this.lastReply = undefined;
        this.streamBurst(req, this.open.data, reply);
        return undefined;
      }
      case FtpOpcode.CALC_FILE_CRC32: {
        const data = this.files.get(normalise(text(req.data)));
        if (!data) return nak(FtpError.FILE_NOT_FOUND);
        return ack(u32Bytes(mavCrc32(data)));
      }
      case FtpOpcode.LIST_DIRECTORY:
        return nak(FtpError.FAIL);
      case FtpOpcode.CREATE_FILE: case FtpOpcode.WRITE_FILE: case FtpOpcode.REMOVE_FILE: case FtpOpcode.CREATE_DIRECTORY:
      case FtpOpcode.REMOVE_DIRECTORY: case FtpOpcode.OPEN_FILE_WO: case FtpOpcode.TRUNCATE_FILE: case FtpOpcode.RENAME:
        return nak(FtpError.FILE_PROTECTED);
      default:
        return nak(FtpError.UNKNOWN_COMMAND);
    }
  }

  private streamBurst(req: FtpPacket, f: Uint8Array, reply: (p: Reply) => void): void {
    let seq = (req.seq + 1) & 0xffff;
    let offset = req.offset;
    let sent = 0;
    for (;;) {
      const base = { seq, session: 0, reqOpcode: FtpOpcode.BURST_READ_FILE, offset };
      seq = (seq + 1) & 0xffff;
      if (offset >= f.length) {
        this.stats.naks++;
        const eof: Reply = { ...base, opcode: FtpOpcode.NAK, burstComplete: false, data: Uint8Array.of(FtpError.EOF) };
        this.lastReply = eof;
        reply(eof);
        return;
      }
      const data = f.slice(offset, Math.min(f.length, offset + FTP_MAX_DATA));
      offset += data.length;
      sent += data.length;
      const complete = sent > BURST_CHUNK_BYTES;
      this.stats.burstPackets++;
      reply({ ...base, opcode: FtpOpcode.ACK, burstComplete: complete, data });
      if (complete) return;
    }
  }
}

function text(data: Uint8Array): string {
  const end = data.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? data.subarray(0, end) : data);
}

/** `etc/x` and `/etc/x` are the same file (PX4 prefixes its root directory either way). */
function normalise(path: string): string {
  return `/${path.replace(/^\/+/, '')}`;
}
