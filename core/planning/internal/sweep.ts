/**
 * Sweep-line helpers for the survey planner, in the rotated (u along lines, v across) frame.
 */
import { EDGE_EPS_M } from './geometry.js';

/** A point of the polygon in the sweep frame (m). */
export interface UV {
  readonly u: number;
  readonly v: number;
}

/** One straight pass: the line `v`, flown between `a` and `b` (a ≤ b), metres. */
export interface Run {
  readonly v: number;
  readonly a: number;
  readonly b: number;
}

interface Hit {
  readonly u: number;
  readonly edge: number;
}

/** Intervals `[uStart, uEnd, startEdge, endEdge]` of the line `v` inside the polygon, in increasing u. */
export type Chord = [number, number, number, number];

export function chords(uv: readonly UV[], v: number): Chord[] {
  const hits: Hit[] = [];
  for (let i = 0; i < uv.length; i++) {
    const a = uv[i]!;
    const b = uv[(i + 1) % uv.length]!;
    // Half-open rule: a vertex on the line is counted by exactly one of its edges (or none
    // when the polygon only touches the line there), so hits always pair up.
    if (a.v > v !== b.v > v) hits.push({ u: a.u + ((v - a.v) / (b.v - a.v)) * (b.u - a.u), edge: i });
  }
  hits.sort((x, y) => x.u - y.u);
  const runs: Chord[] = [];
  for (let k = 0; k + 1 < hits.length; k += 2) runs.push([hits[k]!.u, hits[k + 1]!.u, hits[k]!.edge, hits[k + 1]!.edge]);
  return runs;
}

/**
 * Extends a run so it spans the polygon's extent within the band `v ± half`, following the
 * boundary from each end while it stays in the band. Following the boundary (rather than
 * taking the band's bounding box) keeps a run from reaching across a notch into another lobe.
 */
export function widenToStrip(uv: readonly UV[], run: Chord, v: number, half: number): [number, number] {
  const [u0, u1, e0, e1] = run;
  const lo = v - half - EDGE_EPS_M;
  const hi = v + half + EDGE_EPS_M;
  const walk = (u: number, edge: number, pick: (a: number, b: number) => number): number => {
    let best = u;
    for (const step of [1, -1]) {
      let cur = { u, v };
      let idx = step === 1 ? (edge + 1) % uv.length : edge;
      for (let n = 0; n < uv.length; n++) {
        const next = uv[idx]!;
        if (next.v < lo || next.v > hi) {
          const bound = next.v < lo ? lo : hi;
          const t = (bound - cur.v) / (next.v - cur.v);
          best = pick(best, cur.u + t * (next.u - cur.u));
          break;
        }
        best = pick(best, next.u);
        cur = next;
        idx = (idx + step + uv.length) % uv.length;
      }
    }
    return best;
  };
  return [walk(u0, e0, Math.min), walk(u1, e1, Math.max)];
}

export function mergeRuns(runs: [number, number][]): [number, number][] {
  const sorted = [...runs].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}


/**
 * Groups runs line by line into cells (boustrophedon decomposition): a run continues a cell when
 * it and the cell's last run overlap in u one-to-one; any split or merge of the area (the two
 * sides of a notch) closes the cells involved and opens new ones. Cells come out in the order
 * they open, each as its runs in line order.
 */
export function decomposeCells(lines: readonly (readonly Run[])[]): Run[][] {
  const cells: Run[][] = [];
  let open: Run[][] = [];
  const overlaps = (r: Run, q: Run): boolean => r.a <= q.b + EDGE_EPS_M && r.b >= q.a - EDGE_EPS_M;
  for (const runs of lines) {
    // Compare against each open cell's run on the previous line, captured before this line extends any.
    const previous = open.map((cell) => ({ cell, last: cell[cell.length - 1]! }));
    const next: Run[][] = [];
    for (const r of runs) {
      const candidates = previous.filter((p) => overlaps(r, p.last));
      const only = candidates.length === 1 ? candidates[0]! : undefined;
      if (only && runs.filter((q) => overlaps(q, only.last)).length === 1) {
        only.cell.push(r);
        next.push(only.cell);
      } else {
        const cell = [r];
        cells.push(cell);
        next.push(cell);
      }
    }
    open = next;
  }
  return cells;
}
