/**
 * Takeoff as PX4 v1.15's mc_pos_control takeoff state machine: no climb for COM_SPOOLUP_TIME
 * after arming, then the climb rate ramps to MPC_TKO_SPEED over MPC_TKO_RAMP_T (scripts/px4/FINDINGS.md
 * F10: START → takeoff took 3 s on PX4 SIH, 0 s in the simulator; on the real SITL "Takeoff
 * detected" came 2.0 s after "Armed by external command").
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { ORIGIN } from './sim-harness.js';

function world() {
  const clock = new VirtualClock();
  const w = new SimWorld({ clock, rng: new Rng(3), origin: ORIGIN });
  w.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  w.attachGcs('d1', 1);
  w.start();
  const height = () => -w.truePosition('d1').down_m;
  const at = (ms: number) => clock.run({ until: ms });
  return { clock, w, height, at };
}

describe('sim takeoff (PX4 v1.15 spool-up and ramp)', () => {
  it('stays on the ground for COM_SPOOLUP_TIME, then ramps the climb rate over MPC_TKO_RAMP_T', async () => {
    const { w, height, at } = world();
    expect(w.command('d1', { kind: 'arm' }).ok).toBe(true);
    expect(w.command('d1', { kind: 'takeoff', alt_m: 20 }).ok).toBe(true);
    await at(900);
    expect(Math.abs(height())).toBe(0); // spooling up
    await at(2500);
    const h1 = height();
    expect(h1).toBeGreaterThan(0.05);
    expect(h1).toBeLessThan(0.6); // a quarter of a ramp to 1.5 m/s: ≈ 0.3 m (no ramp: 2.1 m)
    await at(8000);
    // After the ramp: full MPC_TKO_SPEED (1.5 m/s): from 4 s to 8 s, 6 m more.
    const v = w.telemetry('d1').velocity_ned_mps.down_m;
    expect(v).toBeCloseTo(-1.5, 1);
  });

  it('a takeoff long after arming still ramps, without a second spool-up', async () => {
    const { w, height, at } = world();
    w.setParam('d1', 'COM_DISARM_PRFLT', 0);
    expect(w.command('d1', { kind: 'arm' }).ok).toBe(true);
    await at(5000);
    expect(w.command('d1', { kind: 'takeoff', alt_m: 20 }).ok).toBe(true);
    await at(5500);
    expect(height()).toBeGreaterThan(0);
    expect(height()).toBeLessThan(0.1);
  });
});
