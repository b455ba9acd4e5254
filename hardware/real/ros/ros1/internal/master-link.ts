/**
 * Our side of the master: the registrations we hold (publishers, subscribers, services), a
 * liveness poll (`getPid`), and re-registration of everything when the master comes back or
 * its pid changes (a restarted roscore knows nothing of us; rospy would stay silently
 * unregistered). Registrations made while the master is away are sent when it answers.
 */
import type { XmlRpcValue } from '@foxglove/xmlrpc';
import { z } from 'zod';
import type { Logger } from '../../../../../core/logger.js';
import { fail, okVoid } from '../../../../../core/result.js';
import type { MasterBackEvent, MasterLostEvent, Ros1Result } from '../ros1-node.types.js';
import { rosCall } from './xmlrpc-call.js';

export type RegistrationKind = 'pub' | 'sub' | 'srv';

interface Registration {
  readonly kind: RegistrationKind;
  readonly name: string;
  readonly type: string;
  registered: boolean;
}

export interface MasterLinkDeps {
  readonly masterUri: string;
  readonly callerId: string;
  readonly timeoutMs: number;
  readonly log: Logger;
  /** Our slave URI (known once the XML-RPC server listens). */
  readonly callerApi: () => string;
  /** Our `rosrpc://host:port` service URI. */
  readonly serviceApi: () => string;
  /** The master's publisher list for a topic we (re-)registered as subscriber. */
  readonly onPublishers: (topic: string, publishers: string[]) => void;
  readonly onLost: (e: MasterLostEvent) => void;
  readonly onBack: (e: MasterBackEvent) => void;
}

export class MasterLink {
  private readonly regs = new Map<string, Registration>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private pid: number | undefined;
  private stopped = false;
  reachable = false;

  constructor(private readonly deps: MasterLinkDeps) {}

  /** First contact (silent), then a poll every `pollMs`. */
  async start(pollMs: number): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), pollMs);
  }

  /**
   * Adds a registration and sends it if the master is reachable. Resolves with the outcome of
   * that first attempt; a failed one is retried on every poll until it succeeds.
   */
  add(kind: RegistrationKind, name: string, type: string): Promise<Ros1Result> {
    const reg: Registration = { kind, name, type, registered: false };
    this.regs.set(`${kind} ${name}`, reg);
    if (this.reachable) return this.register(reg);
    return Promise.resolve(fail('ROS1.MASTER_UNREACHABLE', `master ${this.deps.masterUri} not reachable: ${name} is registered when it answers`));
  }

  async remove(kind: RegistrationKind, name: string): Promise<void> {
    const key = `${kind} ${name}`;
    const reg = this.regs.get(key);
    this.regs.delete(key);
    if (reg && this.reachable) await this.unregister(reg, this.deps.timeoutMs);
  }

  /** Stops polling and unregisters everything (best effort, short timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const regs = [...this.regs.values()];
    this.regs.clear();
    if (this.reachable) await Promise.all(regs.map((r) => this.unregister(r, Math.min(this.deps.timeoutMs, 1000))));
  }

  private async unregister(reg: Registration, timeoutMs: number): Promise<void> {
    const { masterUri, callerId } = this.deps;
    const [method, api] =
      reg.kind === 'pub'
        ? ['unregisterPublisher', this.deps.callerApi()]
        : reg.kind === 'sub'
          ? ['unregisterSubscriber', this.deps.callerApi()]
          : ['unregisterService', this.deps.serviceApi()];
    const r = await rosCall(masterUri, method, [callerId, reg.name, api], timeoutMs);
    if (!r.ok) this.deps.log.warn({ method, name: reg.name, err: r.error.message }, 'ros1: unregistration failed');
  }

  private async register(reg: Registration): Promise<Ros1Result> {
    const { masterUri, callerId, log } = this.deps;
    const calls: Record<RegistrationKind, [string, XmlRpcValue[]]> = {
      pub: ['registerPublisher', [callerId, reg.name, reg.type, this.deps.callerApi()]],
      sub: ['registerSubscriber', [callerId, reg.name, reg.type, this.deps.callerApi()]],
      srv: ['registerService', [callerId, reg.name, this.deps.serviceApi(), this.deps.callerApi()]],
    };
    const [method, params] = calls[reg.kind];
    const r = await rosCall(masterUri, method, params, this.deps.timeoutMs);
    if (this.regs.get(`${reg.kind} ${reg.name}`) !== reg) return fail('ROS1.SHUT_DOWN', `${reg.name} was closed while registering`);
    if (!r.ok) {
      reg.registered = false;
      log.warn({ method, name: reg.name, err: r.error.message }, 'ros1: registration failed (retried on the next master poll)');
      return r;
    }
    reg.registered = true;
    if (reg.kind === 'sub') {
      const pubs = z.array(z.string()).safeParse(r.value);
      if (pubs.success) this.deps.onPublishers(reg.name, pubs.data);
      else log.warn({ topic: reg.name, value: r.value }, 'ros1: registerSubscriber answered without a publisher list');
    }
    return okVoid;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    const { masterUri, log } = this.deps;
    try {
      const r = await rosCall(masterUri, 'getPid', [this.deps.callerId], this.deps.timeoutMs);
      if (this.stopped) return;
      if (!r.ok) {
        if (this.reachable) {
          this.reachable = false;
          log.warn({ master: masterUri, err: r.error.message }, 'ros1: master lost');
          this.deps.onLost({ masterUri, reason: r.error.message });
        }
        return;
      }
      const pid = typeof r.value === 'number' ? r.value : undefined;
      const wasLost = !this.reachable;
      const restarted = this.pid !== undefined && pid !== this.pid;
      this.pid = pid;
      this.reachable = true;
      // A master that went away or restarted may have forgotten us: register everything again.
      if (wasLost || restarted) for (const reg of this.regs.values()) reg.registered = false;
      const pending = [...this.regs.values()].filter((reg) => !reg.registered);
      const results = await Promise.all(pending.map((reg) => this.register(reg)));
      // The poll inside start() makes the first contact silently; later ones report.
      if ((wasLost || restarted) && this.timer !== undefined) {
        const reregistered = results.filter((x) => x.ok).length;
        log.info({ master: masterUri, restarted, reregistered }, 'ros1: master back');
        this.deps.onBack({ masterUri, restarted, reregistered });
      }
    } finally {
      this.polling = false;
    }
  }
}
