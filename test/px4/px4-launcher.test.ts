/**
 * The PX4 launcher and the MAVLink readiness check against a real PX4 v1.15 SITL (PX4_DIR), and
 * the launcher's refusal of a directory without a build (always runs).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolvePx4Build, startPx4 } from '../../scripts/px4/px4-launcher.js';
import { startPx4Fleet } from '../../scripts/px4/px4-fleet.js';
import { waitPx4Ready } from '../../scripts/px4/px4-readiness.js';
import { PX4_INSTANCE, PX4_SPEED, SKIP_REASON, px4Build } from './px4-env.js';

describe('PX4 launcher', () => {
  it('refuses a directory without a PX4 SITL build, saying what it needs', () => {
    const r = resolvePx4Build('/tmp');
    expect(typeof r).toBe('string');
    expect(r).toMatch(/build\/px4_sitl_default\/bin\/px4/);
  });

  it('readiness fails with the reason when nothing answers', async () => {
    const r = await waitPx4Ready({ port: 14_699, sysids: [1], timeoutMs: 600 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/system 1: no heartbeat, no home/);
  });
});

describe.skipIf(!px4Build)(`PX4 launcher on a real PX4 SITL (px4 -i ${PX4_INSTANCE}, speed ${PX4_SPEED})`, () => {
  it('starts a fresh instance as the requested system on the requested port, waits until ready, stops and cleans up', async () => {
    const p = startPx4({ build: px4Build!, instance: PX4_INSTANCE, speed: PX4_SPEED, sysid: 7, apiRemotePort: 14_690 + PX4_INSTANCE });
    try {
      const r = await waitPx4Ready({ port: 14_690 + PX4_INSTANCE, sysids: [7], timeoutMs: 120_000 });
      expect(r.ok ? 'ready' : r.reason).toBe('ready');
      expect(r.systems[0]).toMatchObject({ sysid: 7, heartbeat: true, home: true });
    } finally {
      await p.stop();
    }
    await p.exited;
    expect(() => process.kill(p.pid, 0)).toThrow(/ESRCH/);
    expect(existsSync(p.workDir)).toBe(false);
  }, 180_000);

  it('two instances answer as systems 1 and 2 on one port (a two-vehicle fleet)', async () => {
    const fleet = await startPx4Fleet({ px4: px4Build!, instances: [PX4_INSTANCE, PX4_INSTANCE + 1], speed: PX4_SPEED, port: 14_690 + PX4_INSTANCE });
    try {
      expect(fleet.ready.systems.map((s) => s.sysid)).toEqual([1, 2]);
      expect(fleet.url).toBe(`udpin://0.0.0.0:${14_690 + PX4_INSTANCE}`);
    } finally {
      await fleet.stop();
    }
  }, 240_000);
});

describe.skipIf(!!px4Build)('PX4 launcher on a real PX4 SITL', () => {
  it.skip(SKIP_REASON, () => {});
});
