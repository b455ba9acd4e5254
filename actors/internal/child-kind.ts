/**
 * What every port-backed child kind of the twin (sensors, SLAM) shares: its entries by key and by
 * actor id, the (re)binding of a spawned actor (old watchers dropped, state changes logged once
 * each, actor errors logged), forgetting a failed one until its restart, stopping and disposing
 * the ports; and the call of a port operation from a machine's promise actor.
 *
 * @remarks
 * The kinds keep their own specifics (requests and health for sensors, anchoring and degradation
 * for SLAM) in their entries; this file only holds the bookkeeping, so the order of effects —
 * and with it the event log — is the same as when each kind did it by hand.
 */
import type { AnyActorRef, Subscription } from 'xstate';
import type { Clock } from '../../core/clock.js';
import type { Result } from '../../core/result.js';
import type { AppendFn } from './child-watch.js';

/** The part of an entry the binding manages. */
export interface ChildEntry<Ref extends AnyActorRef> {
  readonly actorId: string;
  ref?: Ref;
  subs: Subscription[];
  unsubPort?: () => void;
}

/** How a spawned actor is watched: its public state name (changes are logged as `state`) and what to log with it. */
export interface StateWatch<Ref extends AnyActorRef> {
  name(snapshot: ReturnType<Ref['getSnapshot']>): string;
  data(state: string, snapshot: ReturnType<Ref['getSnapshot']>): Record<string, unknown>;
}

export class ChildKindBinding<Ref extends AnyActorRef, E extends ChildEntry<Ref>> {
  private readonly entries = new Map<string, E>();
  private readonly byActor = new Map<string, E>();
  private stopped = false;

  constructor(private readonly append: AppendFn) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  add(key: string, entry: E): void {
    this.entries.set(key, entry);
    this.byActor.set(entry.actorId, entry);
  }

  get(key: string): E | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<E> {
    return this.entries.values();
  }

  /**
   * A child actor was (re)spawned: drops the watchers of its previous incarnation, keeps the ref,
   * logs each change of its state once and its errors, plus `extra` subscriptions. Returns the
   * entry (undefined when unknown or after stop) so the kind can start the actor.
   */
  bind(actorId: string, ref: Ref, watch: StateWatch<Ref>, extra: (e: E) => Subscription[] = () => []): E | undefined {
    const e = this.byActor.get(actorId);
    if (!e || this.stopped) return undefined;
    for (const s of e.subs) s.unsubscribe();
    e.ref = ref;
    let last = '';
    e.subs = [
      ref.subscribe({
        next: (snap: ReturnType<Ref['getSnapshot']>) => {
          const state = watch.name(snap);
          if (state === last) return;
          last = state;
          this.append(e.actorId, 'state', watch.data(state, snap));
        },
        error: (err: unknown) => this.append(e.actorId, 'actor.error', { error: String(err) }),
      }),
      ...extra(e),
    ];
    return e;
  }

  /** A child actor failed: forgotten (no ref, no watchers) until its restart. Returns its entry. */
  unbind(actorId: string): E | undefined {
    const e = this.byActor.get(actorId);
    if (!e) return undefined;
    for (const s of e.subs) s.unsubscribe();
    e.subs = [];
    e.ref = undefined;
    return e;
  }

  /** Stops listening to every port and actor; `each` runs per entry afterwards. */
  stop(each?: (e: E) => void): void {
    this.stopped = true;
    for (const e of this.entries.values()) {
      e.unsubPort?.();
      for (const s of e.subs) s.unsubscribe();
      e.subs = [];
      each?.(e);
    }
  }

  /** Disposes every entry's port. */
  async dispose(portOf: (e: E) => { dispose(): Promise<void> }): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => portOf(e).dispose()));
  }
}

/**
 * Runs one port operation for a machine's promise actor: tells the clock when it starts and when
 * it settles (a port answering at once settles in a microtask, which the virtual clock runs
 * before moving on only when told); a missing port or a refused result throws `fail(code,
 * message)` so the machine's `onError` gets the port's dotted code.
 */
export async function callPort<P, T>(
  clock: Clock,
  port: P | undefined,
  missing: { readonly code: string; readonly message: string },
  run: (port: P) => Promise<Result<T>>,
  fail: (code: string, message: string) => Error,
): Promise<T> {
  clock.notifyAsync();
  try {
    if (!port) throw fail(missing.code, missing.message);
    const r = await run(port);
    if (!r.ok) throw fail(r.error.code, r.error.message);
    return r.value;
  } finally {
    clock.notifyAsync();
  }
}
