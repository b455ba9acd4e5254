/**
 * A terminal map of the fleet in local metres (no tiles, no network): fence outline, planned
 * paths, trails and vehicles. North is up, east is right; one character cell is about twice as
 * tall as it is wide, which the scale accounts for.
 */
export interface MapPoint {
  readonly north_m: number;
  readonly east_m: number;
}

export interface MapVehicle {
  /** One character drawn at the vehicle's position. */
  readonly glyph: string;
  readonly position: MapPoint;
  readonly trail: readonly MapPoint[];
  readonly path: readonly MapPoint[];
  readonly home?: MapPoint;
}

export interface MapInput {
  readonly width: number;
  readonly height: number;
  readonly fence?: readonly MapPoint[];
  readonly vehicles: readonly MapVehicle[];
}

export function renderMap({ width, height, fence = [], vehicles }: MapInput): string {
  const all = [...fence, ...vehicles.flatMap((v) => [v.position, ...v.path, ...(v.home ? [v.home] : [])])];
  if (all.length === 0 || width < 4 || height < 3) return '';
  let minN = Math.min(...all.map((p) => p.north_m));
  let maxN = Math.max(...all.map((p) => p.north_m));
  let minE = Math.min(...all.map((p) => p.east_m));
  let maxE = Math.max(...all.map((p) => p.east_m));
  const padN = Math.max(5, (maxN - minN) * 0.05);
  const padE = Math.max(5, (maxE - minE) * 0.05);
  minN -= padN; maxN += padN; minE -= padE; maxE += padE;
  // Metres per column; rows are twice as tall as columns are wide.
  const scale = Math.max((maxE - minE) / (width - 1), (maxN - minN) / (2 * (height - 1)));
  const grid: string[][] = Array.from({ length: height }, () => Array<string>(width).fill(' '));
  const cell = (p: MapPoint): [number, number] | undefined => {
    const c = Math.round((p.east_m - minE) / scale);
    const r = height - 1 - Math.round((p.north_m - minN) / (2 * scale));
    return c >= 0 && c < width && r >= 0 && r < height ? [r, c] : undefined;
  };
  const plot = (p: MapPoint, ch: string, over = true) => {
    const rc = cell(p);
    if (rc && (over || grid[rc[0]]![rc[1]] === ' ')) grid[rc[0]]![rc[1]] = ch;
  };
  const line = (a: MapPoint, b: MapPoint, ch: string) => {
    const steps = Math.max(1, Math.ceil(Math.hypot(a.north_m - b.north_m, a.east_m - b.east_m) / scale));
    for (let i = 0; i <= steps; i++) {
      const t = i / steps;
      plot({ north_m: a.north_m + (b.north_m - a.north_m) * t, east_m: a.east_m + (b.east_m - a.east_m) * t }, ch, false);
    }
  };
  fence.forEach((p, i) => line(p, fence[(i + 1) % fence.length]!, '#'));
  for (const v of vehicles) for (let i = 1; i < v.path.length; i++) line(v.path[i - 1]!, v.path[i]!, '.');
  for (const v of vehicles) for (const p of v.trail) plot(p, '*');
  for (const v of vehicles) if (v.home) plot(v.home, 'H');
  for (const v of vehicles) plot(v.position, v.glyph);
  const legend = `N↑  1 column ≈ ${scale.toFixed(1)} m   # fence  . planned path  * trail  H home`;
  return [...grid.map((row) => row.join('')), legend].join('\n');
}
