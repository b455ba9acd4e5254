/**
 * The legal state changes of an XState machine, derived from its definition (state nodes,
 * initial states, event and eventless transitions) rather than copied by hand, so the check
 * follows the machines as they change.
 *
 * @remarks
 * The twin logs a machine's state after each event it processes (a macrostep), so one logged
 * change may be an event transition followed by any chain of eventless (`always`) transitions,
 * ending in a state that has no unconditional `always` (a transient routing state is never
 * observed at rest). A targetless event can also let a guarded `always` fire (a queued command
 * starts `commands.sending`). Parallel roots (the vehicle machine) are checked region by region:
 * the logged value `flight.connected.standby|failsafes.watching|commands.idle` is one leaf per
 * region. Guards are not evaluated: a change is legal when SOME guard outcome allows it.
 */
import type { AnyStateMachine } from 'xstate';

// XState's StateNode type is deeply generic; the walk needs only these fields.
interface Node {
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly path: readonly string[];
  readonly parent?: Node;
  readonly states: Readonly<Record<string, Node>>;
  readonly initial: { readonly target: readonly Node[] };
  readonly always?: readonly { readonly target?: readonly Node[]; readonly guard?: unknown }[];
  readonly transitions: ReadonlyMap<string, readonly { readonly target?: readonly Node[] }[]>;
}

export interface MachineGraph {
  /** Region names (first path segment) for a parallel root; `['']` for a compound root. */
  readonly regions: readonly string[];
  /** The region's resting state when the machine starts. */
  readonly initial: ReadonlyMap<string, string>;
  /** Every leaf state → the leaves one logged change may lead to. */
  readonly next: ReadonlyMap<string, ReadonlySet<string>>;
}

const key = (n: Node) => n.path.join('.');

function leavesOf(n: Node): Node[] {
  if (n.type === 'atomic' || n.type === 'final') return [n];
  return Object.values(n.states).flatMap(leavesOf);
}

/** Leaves entered when `n` is the target (default initial states, all the way down). */
function enter(n: Node): Node[] {
  if (n.type === 'atomic' || n.type === 'final') return [n];
  if (n.type === 'parallel') throw new Error(`machine-graph: nested parallel state ${key(n)} is not supported`);
  if (n.type === 'history') return n.parent ? enter(n.parent) : [];
  return n.initial.target.flatMap(enter);
}

/** The node and its ancestors up to (and including) the region root. */
function lineage(n: Node, stop: Node): Node[] {
  const out: Node[] = [];
  for (let x: Node | undefined = n; x; x = x.parent) {
    out.push(x);
    if (x === stop) break;
  }
  return out;
}

/** Leaves reachable by eventless transitions, keeping only those that can be at rest. */
function settle(start: readonly Node[], region: Node): Node[] {
  const seen = new Set<Node>(start);
  const work = [...start];
  while (work.length > 0) {
    const leaf = work.pop()!;
    for (const n of lineage(leaf, region))
      for (const t of n.always ?? [])
        for (const target of t.target ?? [])
          for (const l of enter(target))
            if (!seen.has(l)) {
              seen.add(l);
              work.push(l);
            }
  }
  // A state with an unguarded `always` always moves on: never observed at rest.
  return [...seen].filter((l) => !lineage(l, region).some((n) => (n.always ?? []).some((t) => t.target && t.guard === undefined)));
}

/**
 * Derives the legal-transition graph of `machine`, leaving out transitions taken on the `exclude`d
 * events (the mission machine's RESTORE is a supervisor's restart, judged as a restart).
 */
export function machineGraph(machine: AnyStateMachine, exclude: ReadonlySet<string> = new Set()): MachineGraph {
  const root = machine.root as unknown as Node;
  const regionNodes: [string, Node][] = root.type === 'parallel' ? Object.entries(root.states) : [['', root]];
  const initial = new Map<string, string>();
  const next = new Map<string, Set<string>>();
  for (const [name, region] of regionNodes) {
    initial.set(name, settle(enter(region), region).map(key)[0] ?? key(region));
    for (const leaf of leavesOf(region)) {
      const out = new Set<string>();
      // Eventless transitions unlocked by a targetless event (guards read the new context).
      for (const l of settle([leaf], region)) out.add(key(l));
      for (const n of lineage(leaf, region).concat(region === root ? [] : [root]))
        for (const [event, defs] of n.transitions) {
          if (exclude.has(event)) continue;
          for (const t of defs)
            for (const target of t.target ?? []) {
              if (region !== root && !target.path.length) continue;
              if (region !== root && target.path[0] !== name) continue;
              for (const l of settle(enter(target), region)) out.add(key(l));
            }
        }
      out.delete(key(leaf));
      next.set(key(leaf), out);
    }
  }
  return { regions: regionNodes.map(([n]) => n), initial, next };
}

/** Splits a logged state value into its region leaves: `a.b|c.d` → { a: 'a.b', c: 'c.d' }. */
export function regionLeaves(graph: MachineGraph, value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of value.split('|')) out.set(graph.regions.length === 1 && graph.regions[0] === '' ? '' : part.split('.')[0]!, part);
  return out;
}
