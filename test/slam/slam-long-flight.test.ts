/**
 * SLAM on a longer flight, measured as evo measures it: 44 s along the WEAVE path through a city
 * on hills (about 220 m of path at 5 m/s, 8 m up), the simulated Ouster OS1-32 512×10 with 2 cm
 * range noise, KISS-ICP with the attitude prior — ATE (SE(3)-aligned RMSE) and RPE per 100 m of
 * path (`evo_rpe --delta 100 --delta_unit m --all_pairs`, translation, % of distance).
 *
 * Measured here (04:35 UTC, `npx vitest run test/slam/slam-long-flight.test.ts`): ATE RMSE 0.40 m
 * (max 2.3 m), RPE 0.27 % per 100 m over 251 pairs; 3 of 440 scans untrusted.
 */
import { describe, expect, it } from 'vitest';
import { cityWorld, estimateFlight, flightMetrics, flyOuster, WEAVE } from './slam-flight-fixtures.js';

describe('SLAM on a longer flight', () => {
  it('220 m through a city: ATE RMSE < 1.5 m, RPE per 100 m < 2 % (evo, all pairs)', () => {
    const run = flyOuster({ world: cityWorld(240), path: WEAVE, duration_s: 44, seed: 1 });
    const t0 = performance.now();
    const { est, untrusted } = estimateFlight(run);
    const scansPerSecond = run.scans.length / ((performance.now() - t0) / 1000);
    const m = flightMetrics(est, run.truth);
    process.stdout.write(
      `slam long flight: ${run.scans.length} scans, path ${m.path_m.toFixed(0)} m; ATE rmse ${m.ate.rmse.toFixed(3)} m max ${m.ate.max.toFixed(3)} m; `
      + `RPE/100 m ${m.rpe100.drift_pct.toFixed(2)} % (${m.rpe100.count} pairs, rmse ${m.rpe100.rmse.toFixed(3)} m), consecutive ${m.rpe100Consecutive.drift_pct.toFixed(2)} % (${m.rpe100Consecutive.count}); `
      + `untrusted ${untrusted}; ${scansPerSecond.toFixed(1)} scans/s\n`,
    );
    expect(m.path_m).toBeGreaterThan(200);
    expect(m.rpe100.count).toBeGreaterThan(150);
    expect(m.rpe100Consecutive.count).toBeGreaterThanOrEqual(1);
    expect(m.ate.rmse).toBeLessThan(1.5);
    expect(m.rpe100.drift_pct).toBeLessThan(2);
    expect(untrusted).toBeLessThan(run.scans.length * 0.05);
  }, 600_000);
});
