import { afterEach, describe, expect, it } from 'vitest';
import { common, minimal } from 'node-mavlink';
import { px4ModeToFlightMode } from '../../hardware/real/mavlink/px4-modes.js';
import { GCS_SILENCE_MS } from '../../hardware/sim/sitl/index.js';
import { MavlinkEncoder } from '../../hardware/real/mavlink/codec.js';
import { startSitl, type SitlHarness } from './support/sitl-harness.js';

let h: SitlHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('SITL datalink loss', () => {
  it('GCS heartbeats stop → the vehicle returns (NAV_DLL_ACT 2) COM_DL_LOSS_T after the SITL declares the GCS gone', async () => {
    h = await startSitl({ speed: 40, params: { COM_DL_LOSS_T: 3, NAV_DLL_ACT: 2 } });
    const { gcs } = h;
    expect((await gcs.command(1, 400, [1])).result).toBe(0);
    expect((await gcs.command(1, 22, [0, 0, 0, Number.NaN, Number.NaN, Number.NaN, 488 + 10])).result).toBe(0);
    await gcs.next(common.ExtendedSysState, (m) => m.landedState === 2, { timeoutMs: 15_000 });
    // Still flying in hold well after 3 s while the GCS keeps talking.
    await h.waitSim(5000);
    const before = gcs.log.length;
    const hb = await gcs.next(minimal.Heartbeat, () => true, { since: before });
    expect(px4ModeToFlightMode(hb.msg.customMode)).toBe('hold');
    gcs.stopHeartbeats();
    const stoppedAt = h.clock.now();
    const rtl = await gcs.next(minimal.Heartbeat, (m) => px4ModeToFlightMode(m.customMode) === 'rtl', { since: before, timeoutMs: 15_000 });
    const lost = await gcs.next(common.StatusText, (m) => m.text.includes('Data link lost'), { since: before });
    // Last heartbeat ≤ 1 s before stopping; silence window + COM_DL_LOSS_T; heartbeats at 1 Hz.
    const after = lost.t - stoppedAt;
    expect(after).toBeGreaterThanOrEqual(GCS_SILENCE_MS + 3000 - 1000);
    expect(after).toBeLessThanOrEqual(GCS_SILENCE_MS + 3000 + 100);
    expect(rtl.msg.systemStatus).toBe(5); // CRITICAL while in failsafe
  });

  it('does not treat its own echoed heartbeat as a ground station', async () => {
    h = await startSitl({ heartbeats: false });
    const { gcs } = h;
    await gcs.next(minimal.Heartbeat);
    // Frames with the vehicle's own ids (1, 1) — even claiming to be a GCS — are echoes.
    const echo = new MavlinkEncoder(1, 1);
    const hb = Object.assign(new minimal.Heartbeat(), { type: 6, autopilot: 8, systemStatus: 4, mavlinkVersion: 3 });
    for (let k = 0; k < 4; k++) {
      gcs.sendRaw(echo.encode(hb));
      await h.waitSim(1000);
    }
    // The single startup heartbeat came from sysid 255; seconds later it counts as gone.
    expect(h.world.s.gcs[0]).toBe(0);
    expect(h.sitl.stats().vehicles[0]!.gcs.rxEcho).toBe(4);
  });
});
