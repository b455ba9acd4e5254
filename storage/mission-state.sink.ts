/**
 * Keeps each vehicle's mission state in the store as it changes, and restores it into a freshly
 * started twin — for the field, where vehicles fly on while the twin restarts.
 */
import type { Twin } from '../actors/twin.js';
import type { Store } from './store.js';

/** Saves every mission change of `twin` into `store`; returns the detach function. */
export function persistMissionState(store: Store, twin: Twin, onError: (err: unknown) => void = () => {}): () => void {
  return twin.onMissionChange((vehicle, status, ctx) => {
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

/**
 * Restores the saved missions of the twin's vehicles that were still loaded, running or paused.
 * Call after `twin.start()` and before anything loads a new mission. Returns the vehicles restored.
 */
export function restoreMissionState(store: Store, twin: Twin): string[] {
  const live = new Set(['LOADED', 'RUNNING', 'PAUSED']);
  const restored: string[] = [];
  for (const { vehicle, saved } of store.missionState.list()) {
    if (!twin.vehicleIds.includes(vehicle) || !live.has(saved.status)) continue;
    if (twin.restoreMission(vehicle, saved)) restored.push(vehicle);
  }
  return restored;
}
