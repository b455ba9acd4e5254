/**
 * Shared set-up of the real-PX4 tests: they start PX4 themselves from `PX4_DIR` (a PX4-Autopilot
 * v1.15 checkout with `build/px4_sitl_default`) and are skipped, with the reason, without it.
 * `PX4_TEST_INSTANCE` (default 0) and `PX4_TEST_SPEED` (default 1) choose `px4 -i N` and the
 * speed factor.
 */
import { resolvePx4Build, type Px4Build } from '../../scripts/px4/px4-launcher.js';

export const SKIP_REASON = 'PX4_DIR not set: needs a PX4 v1.15 SITL build (CI cannot build PX4)';

export const px4Dir = process.env.PX4_DIR;
export const px4Build: Px4Build | undefined = (() => {
  if (!px4Dir) return undefined;
  const b = resolvePx4Build(px4Dir);
  if (typeof b === 'string') throw new Error(b);
  return b;
})();
export const PX4_INSTANCE = Number(process.env.PX4_TEST_INSTANCE ?? 0);
export const PX4_SPEED = Number(process.env.PX4_TEST_SPEED ?? 1);
