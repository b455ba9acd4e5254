/**
 * A small ground station for the SITL tests and benchmark, written against dgram and the codec
 * only (not the project's MAVLink adapter, so the two sides are tested independently).
 *
 * @remarks
 * Every received message is logged with the sim time at which it was read (`clock.now()`):
 * under a paced `VirtualClock`, a datagram sent during a sim instant is read before the clock
 * moves on (the clock yields to I/O between instants), so `t` is the sim time it was sent at.
 */
import { createSocket, type Socket } from 'node:dgram';
import { common, minimal, standard, type MavLinkData, type MavLinkPacketRegistry } from 'node-mavlink';
import { decode, MavlinkEncoder, MavlinkParser, REGISTRY, type MavFrame } from '../../../hardware/real/mavlink/codec.js';
import type { Clock, TimerHandle } from '../../../core/clock.js';

export const TEST_REGISTRY: MavLinkPacketRegistry = { ...REGISTRY, ...standard.REGISTRY };

export interface Received {
  readonly frame: MavFrame;
  readonly msg: MavLinkData;
  /** Sim time when read, ms. */
  readonly t: number;
}

type Ctor<T extends MavLinkData> = new () => T;

export class TestGcs {
  readonly log: Received[] = [];
  private waiters: { pred: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];
  private readonly encoder: MavlinkEncoder;
  private target: { address: string; port: number } | undefined;
  private hbTimer: TimerHandle | undefined;
  /** Message ids to decode and log (others are counted only); undefined = all. */
  filter: Set<number> | undefined;
  dropped = 0;

  private constructor(private readonly socket: Socket, private readonly clock: Clock, readonly sysid: number, readonly compid: number) {
    this.encoder = new MavlinkEncoder(sysid, compid);
    socket.on('message', (buf, rinfo) => {
      const parser = new MavlinkParser(TEST_REGISTRY);
      parser.push(buf, (frame) => {
        if (this.filter && !this.filter.has(frame.msgid)) { this.dropped++; return; }
        const msg = decode(frame, TEST_REGISTRY);
        if (!msg) return;
        if (!this.target) this.target = { address: rinfo.address, port: rinfo.port };
        const r = { frame, msg, t: this.clock.now() };
        this.log.push(r);
        const ready = this.waiters.filter((w) => w.pred(r));
        this.waiters = this.waiters.filter((w) => !ready.includes(w));
        for (const w of ready) w.resolve(r);
      });
    });
  }

  /** Binds a free port (or `port`) on 127.0.0.1. */
  static async open(clock: Clock, opts: { sysid?: number; compid?: number; port?: number } = {}): Promise<TestGcs> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    return new TestGcs(socket, clock, opts.sysid ?? 255, opts.compid ?? 190);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Where to send (the SITL link's local port). */
  connect(port: number, address = '127.0.0.1'): this {
    this.target = { address, port };
    return this;
  }

  send(m: MavLinkData): void {
    this.sendRaw(this.encoder.encode(m));
  }

  sendRaw(buf: Buffer): void {
    if (!this.target) throw new Error('TestGcs: no target');
    this.socket.send(buf, this.target.port, this.target.address);
  }

  heartbeat(): void {
    this.send(Object.assign(new minimal.Heartbeat(), { type: 6, autopilot: 8, baseMode: 0, customMode: 0, systemStatus: 4, mavlinkVersion: 3 }));
  }

  /** A GCS heartbeat now and every `periodMs` of sim time (on the clock, like the SITL). */
  startHeartbeats(periodMs = 1000): void {
    this.stopHeartbeats();
    const beat = () => {
      this.heartbeat();
      this.hbTimer = this.clock.setTimeout(beat, periodMs);
    };
    beat();
  }

  stopHeartbeats(): void {
    this.clock.clearTimeout(this.hbTimer);
    this.hbTimer = undefined;
  }

  /** The first message (logged from index `since`, or arriving later) of class `C` matching `pred`. */
  next<T extends MavLinkData>(C: Ctor<T>, pred: (m: T, r: Received) => boolean = () => true, opts: { since?: number; timeoutMs?: number } = {}): Promise<Received & { msg: T }> {
    const match = (r: Received) => r.msg instanceof C && pred(r.msg as T, r);
    const since = opts.since ?? this.log.length;
    for (let k = since; k < this.log.length; k++) if (match(this.log[k]!)) return Promise.resolve(this.log[k] as Received & { msg: T });
    const timeoutMs = opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const waiter = { pred: match, resolve: (r: Received) => { clearTimeout(timer); resolve(r as Received & { msg: T }); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`TestGcs: no ${C.name} within ${timeoutMs} ms (wall)`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The first logged (from `since`) or later message matching `pred`. */
  nextWhere(pred: (r: Received) => boolean, opts: { since?: number; timeoutMs?: number } = {}): Promise<Received> {
    return this.next(Object as unknown as Ctor<MavLinkData>, (_, r) => pred(r), opts);
  }

  /** Logged messages of class `C` since index `since`. */
  all<T extends MavLinkData>(C: Ctor<T>, since = 0): (Received & { msg: T })[] {
    return this.log.slice(since).filter((r) => r.msg instanceof C) as (Received & { msg: T })[];
  }

  /** COMMAND_LONG to (sysid, 1) and its COMMAND_ACK. */
  async command(targetSystem: number, command: number, params: number[] = [], confirmation = 0): Promise<common.CommandAck> {
    const since = this.log.length;
    const m = new common.CommandLong();
    Object.assign(m, { targetSystem, targetComponent: 1, command, confirmation });
    params.forEach((v, k) => Object.assign(m, { [`_param${k + 1}`]: v }));
    this.send(m);
    return (await this.next(common.CommandAck, (a) => a.command === command, { since })).msg;
  }

  /** COMMAND_INT to (sysid, 1) — x/y raw int32 (degE7), z float — and its COMMAND_ACK. */
  async commandInt(targetSystem: number, command: number, frame: number, params: number[], x: number, y: number, z: number): Promise<common.CommandAck> {
    const since = this.log.length;
    const m = new common.CommandInt();
    Object.assign(m, { targetSystem, targetComponent: 1, command, frame, current: 0, autocontinue: 0, _param5: x, _param6: y, _param7: z });
    params.slice(0, 4).forEach((v, k) => Object.assign(m, { [`_param${k + 1}`]: v }));
    this.send(m);
    return (await this.next(common.CommandAck, (a) => a.command === command, { since })).msg;
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** A message of class `C` with `fields` (numbers for enum fields). */
export function mk<T extends MavLinkData>(C: Ctor<T>, fields: Record<string, unknown>): T {
  return Object.assign(new C(), fields);
}
