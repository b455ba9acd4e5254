/**
 * PX4's reasons for the operator: the events protocol receiver, the metadata that gives events
 * their text, and the health-and-arming-check report, behind one small face for the adapter.
 *
 * @remarks
 * - Listens to EVENT / CURRENT_EVENT_SEQUENCE / RESPONSE_EVENT_ERROR from the autopilot
 *   component and runs {@link EventReceiver} (gap recovery with REQUEST_EVENT).
 * - `loadMetadata()` fetches the events metadata over MAVLink FTP (component metadata
 *   protocol). Events that arrive before it are kept (at most 256) and rendered once it is
 *   there; without metadata an event is reported as `event 0x… (no metadata)`.
 * - Each rendered event is emitted as {@link OperatorEvent}. Protocol-level events (log level
 *   8: health/arming summaries) and internal ones feed the health report and are not emitted.
 * - An event of type `append_health_and_arming_messages` (PX4's "Switching to mode '…' is
 *   currently not possible") gets the messages of the failing checks for that mode appended, as
 *   QGroundControl shows them: `…: No valid mission available`; PX4's "Arming denied: Resolve
 *   system health failures first" gets the checks that block the current mode (HEARTBEAT).
 * - {@link EventsClient.refusalReason} gives the warning-or-worse texts of the events that
 *   arrived after a cursor taken before a command, waiting briefly for them: PX4 sends a
 *   refusal's event and the command's ACK independently.
 * - Once the metadata is in, a fresh health report is asked for (MAV_CMD_RUN_PREARM_CHECKS).
 */
import type { Logger } from '../../../../core/logger.js';
import type { Result } from '../../../../core/result.js';
import type { CommandProtocol } from '../command-protocol.js';
import { FtpClient, type FtpClientOptions } from '../ftp/ftp-client.js';
import type { MavSession } from '../session.js';
import { fetchEventsMetadata, type ComponentMetadataErrorCode, type EventsMetadataSource } from './component-metadata.js';
import { CurrentEventSequence, EVENTS_MSG_ID, EventMessage, RequestEvent, ResponseEventError } from './event-messages.js';
import { decodeArguments, formatMessage, type EventArg } from './event-format.js';
import { EventReceiver, type EventReceiverStats, type ReceivedEvent } from './event-receiver.js';
import type { EventsMetadata } from './events-metadata.js';
import { HealthReportAssembler, checksForModeGroup, type HealthReport } from './health-report.js';

export type EventSeverity = 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'info' | 'debug';
const SEVERITIES: readonly EventSeverity[] = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'];

/** One event as the operator sees it. */
export interface OperatorEvent {
  /** Our clock's time when it was rendered, ms. */
  readonly t_ms: number;
  /** The autopilot's time of the event, ms since its boot. */
  readonly boot_ms: number;
  readonly id: number;
  /** Event name from the metadata (`commander_modeswitch_not_avail`), or `0x…` without it. */
  readonly name: string;
  readonly severity: EventSeverity;
  readonly text: string;
  /** Decoded arguments by name (enum values as their display text). */
  readonly args: Readonly<Record<string, string | number>>;
  readonly sequence: number;
}

export interface EventsClientOptions {
  readonly session: MavSession;
  readonly logger: Logger;
  /** For MAV_CMD_REQUEST_MESSAGE (COMPONENT_METADATA); the adapter's own. */
  readonly commands: CommandProtocol;
  readonly ftp?: FtpClientOptions;
  /** Component whose events we follow (default the autopilot, 1). */
  readonly component?: number;
  /** Profile for `<profile>` tags (default `normal`, as QGroundControl). */
  readonly profile?: string;
  /** Events kept for {@link EventsClient.recent} (default 100). */
  readonly keep?: number;
}

export interface EventsClient {
  /** Fetches the events metadata over FTP (once; later calls return the same result). */
  loadMetadata(signal?: AbortSignal): Promise<Result<EventsMetadataSource, ComponentMetadataErrorCode>>;
  /** Uses metadata obtained elsewhere (a cache, a test fixture). */
  useMetadata(meta: EventsMetadata): void;
  readonly metadata: EventsMetadata | undefined;
  subscribe(fn: (e: OperatorEvent) => void): () => void;
  /**
   * A position in the stream of events as they arrive (rendered now or once the metadata is in),
   * for {@link refusalReason}: take it before sending a command.
   */
  cursor(): number;
  /** Whether events can be put in words: metadata loaded, or its download under way. */
  canExplain(): boolean;
  /**
   * The warning-or-worse texts of the events that arrived after `cursor` (distinct, joined by `; `),
   * waiting up to `waitMs` (ms of the session clock) for the first and `settleMs` more for
   * its siblings (one refusal may send several events).
   */
  refusalReason(cursor: number, waitMs?: number, settleMs?: number): Promise<string | undefined>;
  /** The latest warning-or-worse event text of the last `withinMs` (no waiting). */
  lastRefusalReason(withinMs: number): string | undefined;
  /** The latest complete health-and-arming-check report. */
  healthReport(): HealthReport | undefined;
  recent(): readonly OperatorEvent[];
  readonly stats: Readonly<EventReceiverStats> & {
    readonly pending: number;
    readonly rendered: number;
    /** Whether sequence tracking has started (an event or CURRENT_EVENT_SEQUENCE was seen). */
    readonly tracking: boolean;
  };
  dispose(): void;
}

const PENDING_MAX = 256;
const MAV_CMD_RUN_PREARM_CHECKS = 401;
/** PX4's arming refusals whose reasons are the failing checks of the latest report. */
const ARM_DENIED = /^commander_arm_denied_resolve_failures$/;

export function createEventsClient(o: EventsClientOptions): EventsClient {
  const { session, logger } = o;
  const clock = session.clock;
  const component = o.component ?? 1;
  const profile = o.profile ?? 'normal';
  const keep = o.keep ?? 100;
  const ftp = new FtpClient(session, o.ftp);
  const subs = new Set<(e: OperatorEvent) => void>();
  const health = new HealthReportAssembler();
  const recent: OperatorEvent[] = [];
  /** Delivery index of each entry of `recent` (events count from 1 in arrival order). */
  const recentIdx: number[] = [];
  const pending: { e: ReceivedEvent; idx: number }[] = [];
  let delivered = 0;
  const waiters = new Set<{ check: () => void; done: (v: string | undefined) => void }>();
  let meta: EventsMetadata | undefined;
  let loading: Promise<Result<EventsMetadataSource, ComponentMetadataErrorCode>> | undefined;
  let rendered = 0;
  let disposed = false;

  const receiver = new EventReceiver({
    ourSystem: session.gcsSysid, ourComponent: session.gcsCompid,
    request: (first, last) => {
      const m = new RequestEvent();
      m.targetSystem = session.sysid ?? 0;
      m.targetComponent = component;
      m.firstSequence = first;
      m.lastSequence = last;
      session.send(m);
    },
    deliver: (e) => {
      const idx = ++delivered;
      if (meta) render(e, idx);
      else {
        if (pending.length >= PENDING_MAX) pending.shift();
        pending.push({ e, idx });
      }
    },
    lost: (n) => logger.debug({ lost: n }, 'events: events lost (no longer on the vehicle)'),
    after: (ms, fn) => session.after(session.ms(ms), fn),
  });

  /** The autopilot's custom mode from its HEARTBEAT (PX4: main << 16 | sub << 24). */
  let customMode: number | undefined;
  const offs = [
    session.on(0, (m) => {
      customMode = Number((m as unknown as { customMode: number }).customMode) >>> 0;
    }),
    session.on(EVENTS_MSG_ID.EVENT, (m, f) => {
      if (f.compid !== component) return;
      const e = m as EventMessage;
      receiver.onEvent({
        id: e.id >>> 0, sequence: e.sequence, eventTimeBootMs: e.eventTimeBootMs, logLevels: e.logLevels,
        arguments: e.arguments, destinationSystem: e.destinationSystem, destinationComponent: e.destinationComponent,
      });
    }, { anyComponent: true }),
    session.on(EVENTS_MSG_ID.CURRENT_EVENT_SEQUENCE, (m, f) => {
      if (f.compid !== component) return;
      const c = m as CurrentEventSequence;
      receiver.onCurrentSequence(c.sequence, c.flags);
    }, { anyComponent: true }),
    session.on(EVENTS_MSG_ID.RESPONSE_EVENT_ERROR, (m, f) => {
      if (f.compid !== component) return;
      const r = m as ResponseEventError;
      if (!session.isForUs(r.targetSystem, r.targetComponent)) return;
      receiver.onError(r.sequence, r.sequenceOldestAvailable);
    }, { anyComponent: true }),
  ];

  function render(e: ReceivedEvent, idx: number): void {
    if (disposed) return;
    const level = e.logLevels & 0x0f;
    const now = clock.now();
    const info = meta?.event(e.id);
    if (!info || !meta) {
      if (level >= 8) return;
      emit({ t_ms: now, boot_ms: e.eventTimeBootMs, id: e.id, name: `0x${e.id.toString(16).padStart(8, '0')}`, severity: SEVERITIES[level] ?? 'info', text: `event 0x${e.id.toString(16)} (no metadata)`, args: {}, sequence: e.sequence }, idx);
      return;
    }
    const args = decodeArguments(info, e.arguments, meta);
    if (!args.ok) {
      logger.debug({ err: args.error, id: e.id }, 'events: undecodable arguments');
      return;
    }
    let text = formatMessage(info.def.message, args.value, profile);
    const severity = SEVERITIES[Math.min(level, 7)] ?? 'info';
    const report = health.handle({ id: e.id, name: info.def.name, group: info.group, type: info.def.type, args: args.value, text, severity }, now);
    if (report) wake();
    if (level >= 8 || info.group === 'arming_check' || info.group === 'health') return; // protocol events: the report carries them
    if (info.def.type === 'append_health_and_arming_messages' && args.value[0]) {
      const group = meta.modeGroupOf(Number(args.value[0].value));
      const why = checksForModeGroup(health.current, group).map((c) => c.text);
      if (why.length > 0) text = `${text}: ${why.join('; ')}`;
    } else if (ARM_DENIED.test(info.def.name)) {
      // "Arming denied: Resolve system health failures first": the failures are the report's
      // checks that block the current mode (from the HEARTBEAT), else its error-level ones.
      const group = customMode === undefined ? undefined : meta.modeGroupOf(customMode);
      const checks = group !== undefined ? checksForModeGroup(health.current, group)
        : (health.current?.checks ?? []).filter((c) => SEVERITIES.indexOf(c.severity as EventSeverity) <= SEVERITIES.indexOf('error'));
      const why = [...new Set(checks.map((c) => c.text))];
      if (why.length > 0) text = `${text}: ${why.join('; ')}`;
    }
    emit({ t_ms: now, boot_ms: e.eventTimeBootMs, id: e.id, name: info.def.name, severity, text, args: argRecord(args.value), sequence: e.sequence }, idx);
  }

  function emit(ev: OperatorEvent, idx: number): void {
    rendered++;
    recent.push(ev);
    recentIdx.push(idx);
    if (recent.length > keep) {
      recent.shift();
      recentIdx.shift();
    }
    for (const fn of subs) {
      try {
        fn(ev);
      } catch (err) {
        logger.error({ err }, 'events: subscriber threw');
      }
    }
    wake();
  }

  function wake(): void {
    for (const w of [...waiters]) w.check();
  }

  const isRefusal = (e: OperatorEvent) => SEVERITIES.indexOf(e.severity) <= SEVERITIES.indexOf('warning');
  /** Warning-or-worse texts of the events delivered after the `after`-th (distinct, in order). */
  function reasonsAfter(after: number): string | undefined {
    const texts: string[] = [];
    for (let i = 0; i < recent.length; i++) {
      const e = recent[i]!;
      if (recentIdx[i]! > after && isRefusal(e) && !texts.includes(e.text)) texts.push(e.text);
    }
    return texts.length > 0 ? texts.join('; ') : undefined;
  }
  function latestSince(since: number): string | undefined {
    for (let i = recent.length - 1; i >= 0; i--) {
      const e = recent[i]!;
      if (e.t_ms < since) break;
      if (isRefusal(e)) return e.text;
    }
    return undefined;
  }

  return {
    get metadata() {
      return meta;
    },
    get stats() {
      return { ...receiver.stats, pending: pending.length, rendered, tracking: receiver.expected !== undefined };
    },
    loadMetadata(signal) {
      if (loading) return loading;
      loading = fetchEventsMetadata({ session, commands: o.commands, ftp, ...(signal ? { signal } : {}) }).then((r) => {
        if (r.ok) {
          this.useMetadata(r.value.metadata);
          // As QGroundControl: ask for a fresh health and arming-check report (PX4 otherwise
          // sends one only when the checks change).
          const comp = r.value.metadata.json.components[String(component)];
          if (comp?.supported_protocols?.includes('health_and_arming_check') && !disposed)
            void o.commands.send({ command: MAV_CMD_RUN_PREARM_CHECKS, params: [0, 0, 0, 0, 0, 0, 0], targetComponent: component });
        } else {
          logger.warn({ err: r.error }, 'events: no events metadata; events are shown by id');
          loading = undefined; // allow a later retry
        }
        return r;
      });
      return loading;
    },
    useMetadata(m) {
      meta = m;
      const queued = pending.splice(0);
      for (const q of queued) render(q.e, q.idx);
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
    lastRefusalReason(withinMs) {
      return latestSince(clock.now() - withinMs);
    },
    cursor: () => delivered,
    canExplain: () => meta !== undefined || loading !== undefined,
    refusalReason(after, waitMs = 500, settleMs = 50) {
      if (disposed) return Promise.resolve(reasonsAfter(after));
      return new Promise((resolve) => {
        let cancel = () => {};
        let settling = false;
        const w = {
          check: () => {
            if (settling || reasonsAfter(after) === undefined) return;
            settling = true;
            cancel();
            cancel = session.after(settleMs, () => w.done(reasonsAfter(after)));
          },
          done: (v: string | undefined) => {
            cancel();
            waiters.delete(w);
            resolve(v);
          },
        };
        waiters.add(w);
        cancel = session.after(waitMs, () => w.done(reasonsAfter(after)));
        w.check();
      });
    },
    healthReport: () => health.current,
    recent: () => recent,
    dispose() {
      disposed = true;
      for (const off of offs) off();
      receiver.dispose();
      ftp.dispose();
      for (const w of [...waiters]) w.done(undefined);
      subs.clear();
    },
  };
}

function argRecord(args: readonly EventArg[]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const a of args) out[a.name] = typeof a.value === 'bigint' ? Number(a.value) : a.value;
  return out;
}
