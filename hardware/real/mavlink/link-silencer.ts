/**
 * A link whose frames to and from a system can be silenced, for injecting link loss into a real
 * vehicle: an RF outage is two-way — the vehicle stops hearing us (its datalink-loss failsafe),
 * and we stop hearing it (the twin's own link-lost judgement), as in the simulator.
 *
 * @remarks
 * One silencer per underlying link (cached), so every session on a shared link still sees one
 * link object: the GCS identity (one sequence counter, one broadcast heartbeat per link, see
 * `internal/gcs-identity.ts`) stays shared. Silencing a system drops frames routed to it; our
 * broadcasts (the GCS heartbeat) are dropped only while the whole link is silenced, which the
 * adapter does when it owns the link. On a link shared by several vehicles the broadcast
 * heartbeat goes on for the others, so a silenced vehicle still hears a GCS heartbeat there.
 */
import type { Link } from './link.js';

interface Silencer {
  readonly link: Link;
  readonly systems: Map<number, number>;
  all: number;
  dropped: number;
}

const bySource = new WeakMap<Link, Silencer>();

/** The silenceable face of `link` (the same object for every caller with the same link). */
export function silenceable(link: Link): Link {
  return silencerOf(link).link;
}

function silencerOf(link: Link): Silencer {
  const known = bySource.get(link);
  if (known) return known;
  const state: { -readonly [K in keyof Silencer]: Silencer[K] } = { link, systems: new Map(), all: 0, dropped: 0 };
  const send = (frame: Buffer, toSysid?: number) => {
    if (state.all > 0 || (toSysid !== undefined && (state.systems.get(toSysid) ?? 0) > 0)) {
      state.dropped++;
      return;
    }
    link.send(frame, toSysid);
  };
  // Inbound: frames from a silenced system (or from anyone while the whole link is) never reach
  // the sessions.
  const onFrame: Link['onFrame'] = (fn) =>
    link.onFrame((frame, from) => {
      if (state.all > 0 || (state.systems.size > 0 && (state.systems.get(frame.sysid) ?? 0) > 0)) return;
      fn(frame, from);
    });
  state.link = new Proxy(link, {
    get(target, key) {
      if (key === 'send') return send;
      if (key === 'onFrame') return onFrame;
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  // Reachable from the source link and from its silenceable face alike.
  bySource.set(link, state);
  bySource.set(state.link, state);
  return state;
}

/**
 * Silences (`on`) or restores frames to `target` on `link` (a link from {@link silenceable} or
 * its source): a system id, or `'all'` for everything including broadcasts. Counted, so nested
 * silences from several callers lift only when each has restored.
 */
export function setSilenced(link: Link, target: number | 'all', on: boolean): void {
  const s = silencerOf(link);
  if (target === 'all') s.all = Math.max(0, s.all + (on ? 1 : -1));
  else {
    const n = Math.max(0, (s.systems.get(target) ?? 0) + (on ? 1 : -1));
    if (n === 0) s.systems.delete(target);
    else s.systems.set(target, n);
  }
}

/** Frames dropped while silenced, on this link. */
export function droppedWhileSilenced(link: Link): number {
  return silencerOf(link).dropped;
}
