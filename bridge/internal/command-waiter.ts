/**
 * Waits for a vehicle command's result, found by correlation id in the twin's event log.
 *
 * @remarks
 * `Twin#command` is fire-and-forget: the vehicle actor queues the command and its result is
 * appended to the event log (`command.result`, with the cid) when the port answers. One log sink
 * serves every pending call, and only while some call is pending, so an idle bridge adds
 * nothing to the twin's hot path. The timeout is wall time: it bounds how long a socket client
 * waits, whatever the twin's clock does (a stepped virtual clock may never reach a sim timeout).
 */
import type { EventLog, LogEntry } from '../../actors/event-log.js';

export interface CommandOutcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
}

export class CommandWaiter {
  private readonly pending = new Map<string, ((r: CommandOutcome | undefined) => void)[]>();
  private removeSink: (() => void) | undefined;

  constructor(private readonly log: EventLog) {}

  /** Resolves with the result of the command sent with `cid`, or undefined after `timeout_ms`. */
  wait(cid: string, timeout_ms: number): Promise<CommandOutcome | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(undefined), timeout_ms);
      const settle = (r: CommandOutcome | undefined) => {
        clearTimeout(timer);
        const list = this.pending.get(cid)?.filter((f) => f !== settle) ?? [];
        if (list.length) this.pending.set(cid, list);
        else this.pending.delete(cid);
        this.detachIfIdle();
        resolve(r);
      };
      this.pending.set(cid, [...(this.pending.get(cid) ?? []), settle]);
      this.removeSink ??= this.log.addSink((entry) => this.onEntry(entry));
    });
  }

  /** Resolves every pending call with undefined (server shutdown). */
  cancelAll(): void {
    for (const list of [...this.pending.values()]) for (const settle of list) settle(undefined);
  }

  get size(): number {
    return this.pending.size;
  }

  private onEntry(entry: LogEntry): void {
    if (entry.type !== 'command.result' || entry.cid === undefined) return;
    const list = this.pending.get(entry.cid);
    if (!list) return;
    const d = entry.data ?? {};
    const outcome: CommandOutcome = {
      ok: d.ok === true,
      ...(typeof d.code === 'string' ? { code: d.code } : {}),
      ...(typeof d.message === 'string' ? { message: d.message } : {}),
    };
    // First come, first served: two clients may use the same op id (roslib 1.x numbers its ids
    // per connection, `call_service:/drone1/arm:3`). Such ids name the service, hence the vehicle,
    // and a vehicle runs its commands in order, so results pair with calls in arrival order.
    list[0]!(outcome);
  }

  private detachIfIdle(): void {
    if (this.pending.size === 0 && this.removeSink) {
      // Deferred: the log is iterating its sinks when a result settles a call, and removing
      // from an array being iterated would skip the next sink. Each remover runs exactly once.
      const remove = this.removeSink;
      this.removeSink = undefined;
      queueMicrotask(remove);
    }
  }
}
