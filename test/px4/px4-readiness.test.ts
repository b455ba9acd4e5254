/**
 * Arming readiness against a real PX4 v1.15 SITL (PX4_DIR; skipped without it), as
 * hardware/real/mavlink/readiness.ts judges it (scripts/px4/FINDINGS.md F1, F2, F2b):
 * - PX4's health report first lists `communication_links` as not present, and reports again once
 *   Commander has seen our GCS heartbeat (~1–2 s): only then is the vehicle called ready;
 * - with NAV_DLL_ACT = 0 (stock) PX4 still reports its "No connection to the ground control
 *   station" check — at Info level, with every mode group (Report::reportedModes shows optional
 *   checks) — which starts no failsafe delay: readiness does not wait one out.
 */
import { describe, expect, it } from 'vitest';
import { WallClock } from '../../core/clock.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { PARITY_PX4_PARAMS, startPx4Fleet } from '../../scripts/px4/px4-fleet.js';
import { PX4_INSTANCE, PX4_SPEED, SKIP_REASON, px4Build } from './px4-env.js';

describe.skipIf(!px4Build)(`PX4 readiness (px4 -i ${PX4_INSTANCE}, speed ${PX4_SPEED})`, () => {
  it('ready once PX4 reports our GCS present, without a failsafe delay to wait out (NAV_DLL_ACT 0)', async () => {
    const fleet = await startPx4Fleet({ px4: px4Build!, instances: [PX4_INSTANCE], speed: PX4_SPEED, params: PARITY_PX4_PARAMS });
    const port = createMavlinkVehiclePort({ id: 'px4', url: fleet.url, clock: new WallClock(), speedFactor: PX4_SPEED });
    try {
      expect((await port.connect()).ok).toBe(true);
      const t0 = Date.now();
      const seen = new Set<string>();
      let linksPresentAt: number | undefined;
      while (!port.readiness().ready && Date.now() - t0 < 30_000 / PX4_SPEED) {
        for (const m of port.readiness().missing) seen.add(m.replace(/:.*/, ''));
        if (port.healthReport()?.components.find((c) => c.name === 'communication_links')?.present) linksPresentAt ??= Date.now() - t0;
        await new Promise((r) => setTimeout(r, 50));
      }
      const readyAt = Date.now() - t0;
      expect(port.readiness().ready, [...seen].join('; ')).toBe(true);
      expect([...seen].some((m) => m.includes('failsafe delay')), [...seen].join('; ')).toBe(false);
      // Not before PX4 said it sees us (when its report came in time to say so).
      if (linksPresentAt !== undefined) expect(readyAt).toBeGreaterThanOrEqual(linksPresentAt);
      expect(readyAt * PX4_SPEED).toBeLessThan(10_000);
    } finally {
      await port.dispose();
      await fleet.stop();
    }
  }, 200_000);
});

describe.skipIf(!!px4Build)('PX4 readiness', () => {
  it.skip(SKIP_REASON, () => {});
});
