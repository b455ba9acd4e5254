/**
 * The ROS mission services' logic on a live twin (no ROS needed): LoadMission from JSON, from a
 * QGroundControl .plan and from a JSON/YAML mission file; every bad request refused with a dotted
 * code and nothing changed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMission, missionTrigger } from '../../ros/mission-services.js';
import { parseRosConfig, resolveName, vehicleNamespace } from '../../ros/ros-config.js';
import { liveTwin, testMission, type LiveTwin } from './ros-harness.js';

const PLAN = resolve(import.meta.dirname, '../fixtures/mission-files/survey.plan');
let live: LiveTwin | undefined;
afterEach(async () => {
  await live?.halt();
  live = undefined;
});

describe('LoadMission and the Trigger services', () => {
  it('refuses bad requests with a dotted code and leaves the mission IDLE', async () => {
    live = await liveTwin(['drone1', 'drone2'], 1);
    const t = live.twin;
    const bad = async (req: Record<string, unknown>) => (await loadMission(t, 'drone1', req)).message;
    expect(await bad({})).toMatch(/^ROS\.SERVICE_ARGS: give mission_json or plan_path/);
    expect(await bad({ mission_json: '{oops' })).toMatch(/^ROS\.SERVICE_ARGS: mission_json is not JSON/);
    expect(await bad({ mission_json: '[1,2]' })).toMatch(/mission object/);
    expect(await bad({ mission_json: 42 })).toMatch(/^ROS\.SERVICE_ARGS: mission_json/);
    expect(await bad({ mission_json: JSON.stringify({ ...testMission(live.frame), vehicle: 'drone2' }) })).toMatch(/is not drone1/);
    expect(await bad({ mission_json: JSON.stringify({ id: 'x', name: 'x', items: [] }) })).toMatch(/^MISSION\.INVALID/);
    expect(await bad({ plan_path: '/nonexistent/plan.plan' })).toMatch(/^ROS\.SERVICE_ARGS: plan_path: ENOENT/);
    expect(t.missionStatus('drone1')).toBe('IDLE');
    expect(missionTrigger(t, 'drone1', 'start')).toMatchObject({ success: false, message: expect.stringMatching(/^MISSION\.NOT_ALLOWED/) });
  }, 30_000);

  it('loads a QGroundControl .plan by path, and a YAML mission file; start, pause and abort answer from the mission state', async () => {
    live = await liveTwin(['drone1'], 1);
    const t = live.twin;
    const r = await loadMission(t, 'drone1', { plan_path: PLAN });
    expect(r, r.message).toMatchObject({ success: true, message: expect.stringContaining('survey loaded on drone1') });
    expect(missionTrigger(t, 'drone1', 'abort')).toMatchObject({ success: true, message: 'drone1: mission ABORTED' });
    const dir = mkdtempSync(join(tmpdir(), 'ros-mission-'));
    const file = join(dir, 'm.yaml');
    const m = testMission(live.frame, 'm-yaml');
    writeFileSync(file, `id: ${m.id}\nname: yaml mission\nitems:\n${m.items.map((i) => `  - ${JSON.stringify(i)}`).join('\n')}\n`);
    expect(await loadMission(t, 'drone1', { plan_path: file })).toMatchObject({ success: true });
    expect(t.mission('drone1').context().mission?.id).toBe('m-yaml');
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);
});

describe('ROS configuration', () => {
  it('fills defaults, resolves names in the namespace, and refuses bad names with their path', () => {
    const c = parseRosConfig({ vehicles: { d1: { namespace: 'uav1', publish: { fix: '/gps/fix' }, inputs: { slam: { preset: 'fast-livo2' } } } } });
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(vehicleNamespace(c.value, 'd1')).toBe('/uav1');
    expect(vehicleNamespace(c.value, 'other')).toBe('/other');
    expect(resolveName('/uav1', 'pose')).toBe('/uav1/pose');
    expect(resolveName('/uav1', '/gps/fix')).toBe('/gps/fix');
    expect(c.value.vehicles.d1!.publish.pose).toBe('pose');
    expect(c.value.rate_hz).toBe(20);
    expect(parseRosConfig({ vehicles: { d1: { namespace: 'bad name' } } })).toMatchObject({ ok: false, error: { message: expect.stringContaining('vehicles.d1.namespace') } });
    expect(parseRosConfig({ vehicles: { d1: { inputs: { slam: {} } } } })).toMatchObject({ ok: false, error: { message: expect.stringContaining('preset or an odometry topic') } });
    expect(parseRosConfig({ surprise: 1 })).toMatchObject({ ok: false });
  });
});
