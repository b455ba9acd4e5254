/**
 * Keeps each vehicle's mission state in the store as it changes, and restores it into a freshly
 * started twin — for the field, where vehicles fly on while the twin restarts.
 *
 * @remarks
 * Order on a restart: read what the last session saved ({@link savedMissions}) before anything of
 * the new session can write, start the twin, restore ({@link restoreSavedMissions}). Persistence
 * may be attached at any point: the IDLE state every mission actor starts in is never written
 * over a saved row (only a mission this session has seen leave IDLE is saved from then on).
 */
import type { Twin } from '../actors/twin.js';
import type { SavedMission } from './mission-state.repository.js';
import type { Store } from './store.js';

/** Saves every mission change of `twin` into `store`; returns the detach function. */
export function persistMissionState(store: Store, twin: Twin, onError: (err: unknown) => void = () => {}): () => void {
  // Vehicles whose mission left IDLE in this session: from then on every state is theirs to save.
  const active = new Set<string>();
  return twin.onMissionChange((vehicle, status, ctx) => {
    // A mission actor starts IDLE: writing that would destroy what the last session left.
    if (status === 'IDLE' && !active.has(vehicle)) return;
    active.add(vehicle);
    try {
      store.missionState.save(vehicle, {
        status,
        ...(ctx.mission ? { mission: ctx.mission } : {}),
        progress: { ...ctx.progress },
        reached: ctx.reached,
        ...(ctx.reason ? { reason: ctx.reason } : {}),
      });
    } catch (err) {
      onError(err);
    }
  });
}

const LIVE = new Set<SavedMission['status']>(['LOADED', 'RUNNING', 'PAUSED']);

/** The saved missions a restart can pick up (loaded, running or paused), by vehicle. */
export function savedMissions(store: Store): { vehicle: string; saved: SavedMission }[] {
  return store.missionState.list().filter((s) => LIVE.has(s.saved.status));
}

export interface RestoreOutcome {
  readonly restored: string[];
  /** Saved missions not restored, with the reason (no such vehicle, the vehicle has no plan …). */
  readonly skipped: { vehicle: string; reason: string }[];
}

/**
 * Restores saved missions into a started twin, without commanding the vehicles. A port that can
 * follow the plan already on the vehicle (`adoptVehiclePlan`, MAVLink) downloads it first, so
 * progress keeps coming and a restored RUNNING mission completes; a vehicle without a plan is
 * not restored (it is not flying that mission any more).
 */
export async function restoreSavedMissions(twin: Twin, saved: readonly { vehicle: string; saved: SavedMission }[], signal?: AbortSignal): Promise<RestoreOutcome> {
  const restored: string[] = [];
  const skipped: { vehicle: string; reason: string }[] = [];
  await Promise.all(
    saved.map(async ({ vehicle, saved: s }) => {
      if (!twin.vehicleIds.includes(vehicle)) return skipped.push({ vehicle, reason: 'not a vehicle of this twin' });
      if (!LIVE.has(s.status)) return skipped.push({ vehicle, reason: `${s.status} is not resumable` });
      const port = twin.port(vehicle);
      if (port.adoptVehiclePlan) {
        const adopted = await port.adoptVehiclePlan(signal);
        if (!adopted.ok) return skipped.push({ vehicle, reason: `the vehicle's plan: ${adopted.error.code}: ${adopted.error.message}` });
      }
      if (twin.restoreMission(vehicle, s)) restored.push(vehicle);
      else skipped.push({ vehicle, reason: `mission actor is ${twin.missionStatus(vehicle)}` });
    }),
  );
  restored.sort();
  return { restored, skipped };
}

/**
 * Restores the saved missions of the twin's vehicles that were still loaded, running or paused,
 * synchronously and without adopting the vehicles' plans (ports that follow their own plan).
 * Call after `twin.start()` and before anything loads a new mission. Returns the vehicles restored.
 */
export function restoreMissionState(store: Store, twin: Twin): string[] {
  const restored: string[] = [];
  for (const { vehicle, saved } of savedMissions(store)) {
    if (!twin.vehicleIds.includes(vehicle)) continue;
    if (twin.restoreMission(vehicle, saved)) restored.push(vehicle);
  }
  return restored;
}
