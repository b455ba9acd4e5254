/**
 * Test harness for the ROS graph face: a live twin on the simulator (paced virtual clock), with
 * optional SLAM ports, beside a real roscore (test/ros1/ros1-harness.ts starts it).
 */
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { LocalFrame } from '../../core/geo.js';
import { createTwin, type Twin } from '../../actors/twin.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';
import type { SlamPort } from '../../hardware/slam.port.js';

export interface LiveTwin {
  readonly clock: VirtualClock;
  readonly twin: Twin;
  readonly frame: LocalFrame;
  halt(): Promise<void>;
}

/** A twin on simulated vehicles, started and then paced at `speed`× real time. */
export async function liveTwin(vehicles: string[], speed: number, slam: (clock: VirtualClock) => Record<string, SlamPort> = () => ({})): Promise<LiveTwin> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(7), origin: DEFAULT_HOME });
  const slams = slam(clock);
  const ports = vehicles.map((id, i) => {
    world.addVehicle(id, { spawn: { north_m: 0, east_m: i * 10 } });
    // A LIO may start after the twin: SLAM waits for its first pose (as the CLI composes it).
    return { id, port: createSimVehiclePort(world, id), ...(slams[id] ? { slam: { port: slams[id], limits: { initTimeout_ms: 600_000 } } } : {}) };
  });
  const twin = createTwin({ clock, origin: DEFAULT_HOME, vehicles: ports });
  world.start();
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 120_000);
  const running = clock.run({ speed, signal: abort.signal, progressEveryMs: 100 });
  return {
    clock,
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

/** A small mission near home: take off, two waypoints, RTL. */
export function testMission(frame: LocalFrame, id = 'm-ros') {
  const wp = (north_m: number, east_m: number) => {
    const p = frame.toGeo({ north_m, east_m, down_m: -20 });
    return { kind: 'waypoint' as const, lat_deg: p.lat_deg, lon_deg: p.lon_deg, alt_m: 20 };
  };
  return { id, name: 'ros test', items: [{ kind: 'takeoff' as const, alt_m: 20 }, wp(25, 0), wp(25, 25), { kind: 'rtl' as const }] };
}
