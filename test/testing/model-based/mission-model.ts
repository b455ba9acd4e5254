/**
 * Model-based testing of the mission machine over a vehicle port: fast-check `commands` (load,
 * start, pause, resume, abort, RTL, link loss, link recovery) run against the real twin on a
 * backend (the in-process simulator, or the built-in SITL through the MAVLink adapter) and
 * against a small model of what the mission status must be.
 *
 * @remarks
 * The model is deliberately small: mission status, link state and how long the link has been
 * down. After every command the clock advances `STEP_MS` of sim time, and the twin's mission
 * status must equal the model's; the event log so far must also satisfy the `legal_transitions`
 * and `mission_progress` invariants. The one thing the model cannot predict from commands alone —
 * a vehicle sent home (RTL, abort) landing and disarming — is allowed for explicitly.
 */
import fc from 'fast-check';
import type { VirtualClock } from '../../../core/clock.js';
import { VirtualClock as Clock } from '../../../core/clock.js';
import { silentLogger } from '../../../core/logger.js';
import { Rng } from '../../../core/rng.js';
import { LocalFrame } from '../../../core/geo.js';
import type { Mission } from '../../../core/mission.js';
import { createTwin, type Twin } from '../../../actors/twin.js';
import { DEFAULT_HOME, type BackendFactory, type VehicleBackend } from '../../../actors/scenario/backends.js';
import { ScenarioSchema } from '../../../actors/scenario/scenario.schema.js';
import { invariants } from '../../../testing/index.js';

/** Sim time each command is given to take effect. */
export const STEP_MS = 2000;
const LINK_TIMEOUT_MS = 5000;
const ID = 'd1';
type Status = 'IDLE' | 'LOADED' | 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'ABORTED' | 'FAILED';
const TERMINAL: readonly Status[] = ['IDLE', 'COMPLETED', 'ABORTED', 'FAILED'];

export interface MissionModel {
  status: Status;
  linkUp: boolean;
  linkDown_ms: number;
  /** The vehicle was sent home: it may land and disarm, failing a running mission. */
  sentHome: boolean;
}

export interface MissionSystem {
  readonly twin: Twin;
  readonly clock: VirtualClock;
  readonly backend: VehicleBackend;
  readonly pace?: number;
  readonly mission: Mission;
  advance(ms: number): Promise<void>;
  dispose(): Promise<void>;
}

/** A long mission (far waypoints): it cannot finish within a command sequence. */
function longMission(frame: LocalFrame): Mission {
  const wp = (n: number, e: number) => ({ kind: 'waypoint' as const, ...frame.toLatLon(n, e), alt_m: 40 });
  return { id: 'm1', name: 'long', vehicle: ID, items: [wp(600, 0), wp(600, 600), wp(0, 600), { kind: 'rtl' as const }] } as Mission;
}

/** Builds the twin over `backendFactory` and connects it. */
export async function buildSystem(backendFactory: BackendFactory, seed: number): Promise<MissionSystem> {
  const scenario = ScenarioSchema.parse({
    name: 'model',
    seed,
    vehicles: [{ id: ID, params: { NAV_DLL_ACT: 0, RTL_RETURN_ALT: 40 } }],
  });
  const clock = new Clock();
  const backend = backendFactory({ scenario, clock, rng: new Rng(seed), logger: silentLogger });
  await backend.start();
  const twin = createTwin({ clock, origin: DEFAULT_HOME, vehicles: [{ id: ID, port: backend.ports.get(ID)!, failsafe: { linkLossTimeout_ms: LINK_TIMEOUT_MS } }] });
  let up = false;
  void twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 60_000, speed: backend.pace });
  if (!up) throw new Error('vehicle did not connect');
  const mission = longMission(new LocalFrame(DEFAULT_HOME));
  return {
    twin,
    clock,
    backend,
    mission,
    advance: (ms) => clock.run({ until: clock.now() + ms, speed: backend.pace }),
    async dispose() {
      await twin.stop();
      await backend.stop();
    },
  };
}

const top = (twin: Twin): Status => twin.missionStatus(ID) as Status;

/** Model time passes: a link down past the twin's timeout fails a running or paused mission. */
function elapse(m: MissionModel): void {
  if (m.linkUp) return;
  m.linkDown_ms += STEP_MS;
  if (m.linkDown_ms >= LINK_TIMEOUT_MS && (m.status === 'RUNNING' || m.status === 'PAUSED')) m.status = 'FAILED';
}

function verify(m: MissionModel, r: MissionSystem, what: string): void {
  const real = top(r.twin);
  const landedHome = m.sentHome && real === 'FAILED' && /disarmed/.test(r.twin.mission(ID).context().reason ?? '');
  if (landedHome) m.status = 'FAILED';
  if (real !== m.status) throw new Error(`after ${what}: mission ${real}, model says ${m.status} (reason: ${r.twin.mission(ID).context().reason ?? '-'})`);
  const facts = { scenario: ScenarioSchema.parse({ name: 'm', vehicles: [{ id: ID, mission: { type: 'waypoints', waypoints: [{ north: 1, east: 1, alt: 10 }] } }] }), log: r.twin.log.entries, trace: { hz: 1, vehicles: new Map() }, options: invariants.defaultInvariantOptions(), end_ms: r.clock.now() };
  for (const inv of [invariants.legalTransitionsInvariant, invariants.missionProgressInvariant]) {
    const v = inv.check(facts);
    if (!v.ok) throw new Error(`after ${what}: ${v.reason}`);
  }
}

/** Most extra steps an operation may take to fail for want of a link (MAVLink retries and times out). */
const MAX_SETTLE_STEPS = 15;

abstract class Step implements fc.AsyncCommand<MissionModel, MissionSystem> {
  abstract check(m: Readonly<MissionModel>): boolean;
  /** Returns true when the model expects the operation to fail because the link is down. */
  protected abstract act(m: MissionModel, r: MissionSystem): boolean | void;
  async run(m: MissionModel, r: MissionSystem): Promise<void> {
    const failsForLink = this.act(m, r) === true;
    await r.advance(STEP_MS);
    elapse(m);
    // The simulator port refuses at once; a MAVLink port learns the link is gone by timing out.
    for (let i = 0; failsForLink && i < MAX_SETTLE_STEPS && top(r.twin) !== m.status; i++) {
      await r.advance(STEP_MS);
      elapse(m);
    }
    verify(m, r, this.toString());
  }
  abstract toString(): string;
}

class Load extends Step {
  check = (m: Readonly<MissionModel>) => TERMINAL.includes(m.status);
  act(m: MissionModel, r: MissionSystem) {
    r.twin.mission(ID).load(r.mission);
    // Uploading needs the link.
    m.status = m.linkUp ? 'LOADED' : 'FAILED';
    return !m.linkUp;
  }
  toString = () => 'load';
}
class Start extends Step {
  check = (m: Readonly<MissionModel>) => m.status === 'LOADED';
  act(m: MissionModel, r: MissionSystem) {
    r.twin.mission(ID).start();
    m.status = m.linkUp ? 'RUNNING' : 'FAILED';
    if (m.linkUp) m.sentHome = false;
    return !m.linkUp;
  }
  toString = () => 'start';
}
class Pause extends Step {
  check = (m: Readonly<MissionModel>) => m.status === 'RUNNING';
  act(m: MissionModel, r: MissionSystem) {
    r.twin.mission(ID).pause();
    m.status = m.linkUp ? 'PAUSED' : 'FAILED';
    return !m.linkUp;
  }
  toString = () => 'pause';
}
class Resume extends Step {
  check = (m: Readonly<MissionModel>) => m.status === 'PAUSED';
  act(m: MissionModel, r: MissionSystem) {
    r.twin.mission(ID).resume();
    m.status = m.linkUp ? 'RUNNING' : 'FAILED';
    return !m.linkUp;
  }
  toString = () => 'resume';
}
class Abort extends Step {
  check = (m: Readonly<MissionModel>) => m.status === 'LOADED' || m.status === 'RUNNING' || m.status === 'PAUSED';
  act(m: MissionModel, r: MissionSystem) {
    r.twin.mission(ID).abort('model abort');
    m.status = 'ABORTED';
    m.sentHome ||= m.linkUp;
  }
  toString = () => 'abort';
}
class Rtl extends Step {
  check = (m: Readonly<MissionModel>) => m.linkUp;
  act(m: MissionModel, r: MissionSystem) {
    r.twin.command(ID, { kind: 'rtl' });
    m.sentHome = true;
  }
  toString = () => 'rtl';
}
class LinkLoss extends Step {
  check = (m: Readonly<MissionModel>) => m.linkUp;
  act(m: MissionModel, r: MissionSystem) {
    r.backend.injectFault(ID, { kind: 'link_loss' });
    m.linkUp = false;
    m.linkDown_ms = 0;
  }
  toString = () => 'link_loss';
}
class LinkRestore extends Step {
  check = (m: Readonly<MissionModel>) => !m.linkUp;
  act(m: MissionModel, r: MissionSystem) {
    r.backend.injectFault(ID, { kind: 'link_restore' });
    // Past the timeout, the twin sends the vehicle home once the link has settled.
    if (m.linkDown_ms >= LINK_TIMEOUT_MS) m.sentHome = true;
    m.linkUp = true;
  }
  toString = () => 'link_restore';
}

/** The command arbitrary shared by the sim and SITL runs. */
export function missionCommands(maxCommands: number) {
  return fc.commands(
    [
      fc.constant(new Load()),
      fc.constant(new Start()),
      fc.constant(new Pause()),
      fc.constant(new Resume()),
      fc.constant(new Abort()),
      fc.constant(new Rtl()),
      fc.constant(new LinkLoss()),
      fc.constant(new LinkRestore()),
    ],
    { maxCommands, size: 'max' },
  );
}

/** One model run: a fresh system per sequence (fast-check calls this for every case and shrink). */
export async function runModel(backend: BackendFactory, seed: number, cmds: Iterable<fc.AsyncCommand<MissionModel, MissionSystem>>): Promise<void> {
  const system = await buildSystem(backend, seed);
  try {
    const model: MissionModel = { status: 'IDLE', linkUp: true, linkDown_ms: 0, sentHome: false };
    await fc.asyncModelRun(() => ({ model, real: system }), cmds);
  } finally {
    await system.dispose();
  }
}
