/**
 * A live twin whose vehicle carries SLAM, for the bridge's SLAM topics: the simulator vehicle
 * under a paced virtual clock and a scripted {@link SlamPort} that estimates a known trajectory
 * (10 Hz poses and odometry, a map every 10 scans), going through the real SLAM runtime and bus.
 */
import type { Clock } from '../../core/clock.js';
import { VirtualClock } from '../../core/clock.js';
import { LocalFrame } from '../../core/geo.js';
import { Rng } from '../../core/rng.js';
import { okVoid } from '../../core/result.js';
import { createTwin } from '../../actors/twin.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import type { SlamEvent, SlamPort } from '../../hardware/slam.port.js';
import type { LiveTwin } from './bridge-harness.js';

/** The scripted estimate at `t_s`: forward 2 m/s with a slow turn and a little roll. */
export function scriptedPose(t_s: number): { p: [number, number, number]; q: [number, number, number, number] } {
  const yaw = 0.1 * t_s;
  const roll = 0.05;
  const [cy, sy, cr, sr] = [Math.cos(yaw / 2), Math.sin(yaw / 2), Math.cos(roll / 2), Math.sin(roll / 2)];
  // q = q_yaw ⊗ q_roll (w, x, y, z)
  return { p: [2 * t_s, 0.5 * t_s, 0.1 * t_s], q: [cy * cr, cy * sr, sy * sr, sy * cr] };
}

/** A SLAM port that emits {@link scriptedPose} every 100 ms of clock time once started; maps of `mapPoints` points. */
export function scriptedSlamPort(clock: Clock, mapPoints = 40_000): SlamPort {
  const subs = new Set<(e: SlamEvent) => void>();
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  let n = 0;
  const tick = () => {
    n++;
    const t_ms = clock.now();
    const { p, q } = scriptedPose(t_ms / 1000);
    const emit = (e: SlamEvent) => subs.forEach((fn) => fn(e));
    emit({ type: 'pose', t_ms, frame_id: 'map', position_m: p, orientation: q, ok: true });
    emit({ type: 'odometry', t_ms, frame_id: 'map', child_frame_id: 'base_link', position_m: p, orientation: q, linear_mps: [2, 0, 0], angular_radps: [0, 0, 0.1], sigma_m: 0.3 });
    if (n % 10 === 0) {
      const pts = new Float32Array(mapPoints * 3);
      for (let i = 0; i < pts.length; i++) pts[i] = (i % 997) * 0.01 + n;
      emit({ type: 'map', t_ms, frame_id: 'map', points: pts });
    }
    timer = clock.setTimeout(tick, 100);
  };
  return {
    capabilities: { backend: 'scripted', relocalize: false, map: true },
    async start() {
      if (timer === undefined) timer = clock.setTimeout(tick, 100);
      return okVoid;
    },
    async stop() {
      clock.clearTimeout(timer);
      timer = undefined;
      return okVoid;
    },
    async reset() {
      return okVoid;
    },
    async relocalize() {
      return okVoid;
    },
    subscribe(fn) {
      subs.add(fn);
      return () => void subs.delete(fn);
    },
    async dispose() {
      clock.clearTimeout(timer);
      subs.clear();
    },
  };
}

/** A started twin with `vehicles` sim drones, each with a scripted SLAM, its clock paced at `speed`×. */
export async function liveSlamTwin(vehicles = ['drone1'], speed = 10, maxWall_ms = 60_000): Promise<LiveTwin> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(7), origin: DEFAULT_HOME });
  const ports = vehicles.map((id, i) => {
    world.addVehicle(id, { spawn: { north_m: 5 + i * 10, east_m: -3 } });
    return { id, port: createSimVehiclePort(world, id), slam: { port: scriptedSlamPort(clock) } };
  });
  const twin = createTwin({ clock, origin: DEFAULT_HOME, vehicles: ports });
  world.start();
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), maxWall_ms);
  const running = clock.run({ speed, signal: abort.signal, progressEveryMs: 100 });
  return {
    clock,
    world,
    twin,
    frame: new LocalFrame(DEFAULT_HOME),
    async halt() {
      abort.abort();
      clearTimeout(timer);
      await running;
      await twin.stop();
    },
  };
}
