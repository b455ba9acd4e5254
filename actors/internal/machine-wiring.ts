/**
 * Binds the machines' named side effects to the vehicle ports (STYLE §1–2): the vehicle
 * machine's `command` actor and the mission machine's upload/launch/pause/resume/abort actors.
 *
 * @remarks
 * Every one of them reaches its port through the vehicle's {@link CommandPipeline}, never
 * directly: one ordered pipeline per port, where a failsafe pre-empts and stale requests are
 * dropped. Each actor passes its AbortSignal to the pipeline, so leaving the invoking state
 * withdraws the request (queued: never sent; running: cancelled).
 */
import { fromPromise } from 'xstate';
import type { Clock } from '../../core/clock.js';
import { fail } from '../../core/result.js';
import type { VehiclePort, VehicleResult } from '../../hardware/vehicle.port.js';
import { missionMachine, type MissionOpInput } from '../../machines/mission.machine.js';
import { commandKey, vehicleMachine, type CommandActorInput, type CommandResult, type VehicleCommand } from '../../machines/vehicle.machine.js';
import type { CommandPipeline, PipelineResult, PortOperation } from '../command-pipeline.js';
import { whenArmed } from './port-waits.js';

/** An error with a dotted code: how a mission operation's expected failure reaches `onError`. */
export class CodedError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = 'CodedError';
  }
}

const orThrow = (r: PipelineResult): void => {
  if (!r.ok) throw new CodedError(r.error.code, r.error.message);
};

/** Sends one vehicle command to a port (no queueing: callers go through the pipeline). */
export function dispatchCommand(port: VehiclePort, command: VehicleCommand, signal?: AbortSignal): Promise<VehicleResult> {
  switch (command.kind) {
    case 'arm':
      return port.arm(signal);
    case 'disarm':
      return port.disarm(signal);
    case 'takeoff':
      return port.takeoff(command.alt_m, signal);
    case 'land':
      return port.land(signal);
    case 'rtl':
      return port.returnToLaunch(signal);
    case 'hold':
      return port.hold(signal);
    case 'goto':
      return port.goto({ lat_deg: command.lat_deg, lon_deg: command.lon_deg, alt_m: command.alt_m }, signal);
  }
}

/** How long an accepted ARM may take to show in the vehicle's reported state (clock ms). */
export const ARM_CONFIRM_MS = 3_000;
/**
 * After an ARM without an ACK (VEHICLE.TIMEOUT), how long to watch the reported state before
 * concluding the vehicle did not arm (clock ms): on a lossy link the ACK, not the arming, may
 * be what was lost.
 */
export const ARM_READBACK_MS = 3_000;

/**
 * Launch: arm (unless armed), wait until the vehicle reports armed, start the mission.
 * `onReadback` is told when a lost ARM ACK was recovered by reading the state back.
 */
export async function launchMission(
  port: VehiclePort,
  clock: Clock,
  signal: AbortSignal,
  onReadback?: (armed: boolean, error: { code: string; message: string }) => void,
): Promise<VehicleResult> {
  if (!port.snapshot()?.armed) {
    const armed = await port.arm(signal);
    if (!armed.ok) {
      const lostAck = armed.error.code === 'VEHICLE.TIMEOUT' && !signal.aborted && !armed.error.context?.aborted;
      if (!lostAck) return armed;
      const readback = await whenArmed(port, clock, ARM_READBACK_MS, signal);
      onReadback?.(readback, armed.error);
      if (!readback) return armed;
    } else if (!(await whenArmed(port, clock, ARM_CONFIRM_MS, signal))) {
      // An ACK is not the state: a MAVLink vehicle confirms arming in its next heartbeat.
      return fail('VEHICLE.TIMEOUT', `arming accepted but not reported within ${ARM_CONFIRM_MS} ms`);
    }
  }
  if (signal.aborted) return fail('VEHICLE.TIMEOUT', 'launch aborted by caller', { context: { aborted: true } });
  return port.startMission(signal);
}

export interface WiringDeps {
  readonly clock: Clock;
  portOf(vehicle: string): VehiclePort;
  pipelineOf(vehicle: string): CommandPipeline;
  /** What ABORT does to a vehicle. */
  abortAction(vehicle: string): 'rtl' | 'land' | 'hold';
  /** A lost ARM ACK was read back from the vehicle's state (for the event log). */
  onArmReadback(vehicle: string, armed: boolean, error: { code: string; message: string }): void;
}

/** The vehicle machine with its `command` actor bound to the pipelines. */
export function wireVehicleMachine(machine: typeof vehicleMachine, deps: WiringDeps) {
  return machine.provide({
    actors: {
      command: fromPromise<CommandResult, CommandActorInput>(async ({ input, signal }) => {
        const port = deps.portOf(input.vehicleId);
        const r = await deps.pipelineOf(input.vehicleId).submit(
          {
            label: input.command.kind,
            key: commandKey(input.command),
            priority: input.priority === 'failsafe' ? 'failsafe' : 'normal',
            issued_ms: input.issued_ms,
            cid: input.correlationId,
            run: (s) => dispatchCommand(port, input.command, s),
          },
          signal,
        );
        return r.ok ? { ok: true } : { ok: false, code: r.error.code, message: r.error.message };
      }),
    },
  });
}

/** The mission machine with its vehicle-side operations bound to the pipelines. */
export function wireMissionMachine(machine: typeof missionMachine, deps: WiringDeps) {
  const through = async (input: MissionOpInput, op: Omit<PortOperation, 'run'>, run: (port: VehiclePort, s: AbortSignal) => Promise<VehicleResult>, signal: AbortSignal) => {
    const port = deps.portOf(input.vehicleId);
    orThrow(await deps.pipelineOf(input.vehicleId).submit({ ...op, run: (s) => run(port, s) }, signal));
  };
  return machine.provide({
    actors: {
      upload: fromPromise<void, MissionOpInput>(({ input, signal }) =>
        through(input, { label: 'mission.upload' }, (port, s) => port.uploadMission(input.mission?.items ?? [], s), signal),
      ),
      launch: fromPromise<void, MissionOpInput>(({ input, signal }) =>
        through(
          input,
          { label: 'mission.launch', key: 'mission.launch' },
          (port, s) => launchMission(port, deps.clock, s, (armed, error) => deps.onArmReadback(input.vehicleId, armed, error)),
          signal,
        ),
      ),
      pause: fromPromise<void, MissionOpInput>(async ({ input, signal }) => {
        if (input.restored) return;
        // The same port call as an operator's hold: the two coalesce in the pipeline.
        await through(input, { label: 'mission.pause', key: commandKey({ kind: 'hold' }) }, (port, s) => port.hold(s), signal);
      }),
      resume: fromPromise<void, MissionOpInput>(({ input, signal }) =>
        through(input, { label: 'mission.resume', key: 'mission.start' }, (port, s) => port.startMission(s), signal),
      ),
      abort: fromPromise<void, MissionOpInput>(async ({ input, signal }) => {
        if (input.restored) return;
        const command: VehicleCommand = { kind: deps.abortAction(input.vehicleId) };
        await through(input, { label: `mission.abort`, key: commandKey(command) }, (port, s) => dispatchCommand(port, command, s), signal);
      }),
    },
  });
}
