import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createTwin, type TwinSensorConfig } from '../../actors/twin.js';
import { topics, type SensorHealthMsg } from '../../actors/bus.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import type { CaptureRef, ScanRef, VehiclePoseSource } from '../../hardware/sensor.port.js';
import { sensorMachine } from '../../machines/sensor.machine.js';
import { DEFAULT_HOME } from '../../actors/scenario/backends.js';
import { FakeCamera, FakeLidar, memorySink } from './sensor-fakes.js';

function setup(opts: { machine?: typeof sensorMachine; retryBase_ms?: number } = {}) {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(9), origin: DEFAULT_HOME });
  world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } });
  const pose: VehiclePoseSource = {
    pose: () => {
      const p = world.truePosition('d1');
      return { t_ms: clock.now(), position: world.frame.toGeo(p), attitude_deg: { roll: 0, pitch: 0, yaw: 0 } };
    },
  };
  const blobs = memorySink();
  const camera = new FakeCamera({ id: 'cam', vehicle: 'd1', clock, blobs, pose });
  const lidar = new FakeLidar({ id: 'os1', vehicle: 'd1', clock, blobs, pose });
  const sensors: TwinSensorConfig[] = [
    { port: camera, retryBase_ms: opts.retryBase_ms ?? 1000 },
    { port: lidar, retryBase_ms: opts.retryBase_ms ?? 1000 },
  ];
  const twin = createTwin({
    clock,
    origin: 'home',
    vehicles: [{ id: 'd1', port: createSimVehiclePort(world, 'd1'), sensors }],
    restartBase_ms: 500,
    ...(opts.machine ? { machines: { sensor: opts.machine } } : {}),
  });
  world.start();
  return { clock, world, twin, camera, lidar, blobs };
}

async function started(clock: VirtualClock, twin: ReturnType<typeof createTwin>) {
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;
  await clock.advance(500);
}

/** Runs a request to completion on the virtual clock. */
async function settle<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  const q = p.finally(() => (done = true));
  await clock.run({ stopWhen: () => done, until: clock.now() + 10_000 });
  return q;
}

describe('sensor runtime', () => {
  it('spawns each sensor in its vehicle squad, connects it, and lists it', async () => {
    const { clock, twin, world } = setup();
    await started(clock, twin);
    const squad = twin.fleet.system.get('squad:0')!;
    expect(Object.keys((squad.getSnapshot() as { children: object }).children).sort()).toEqual(['mission:d1', 'sensor:d1/cam', 'sensor:d1/os1', 'vehicle:d1']);
    expect(twin.sensors('d1').map((s) => [s.sensor, s.kind, s.state, s.model, s.health])).toEqual([
      ['cam', 'camera', 'ready', 'fake-cam', 'ok'],
      ['os1', 'lidar', 'streaming', 'fake-lidar', 'ok'],
    ]);
    expect(twin.sensors('nobody')).toEqual([]);
    await twin.stop();
    world.stop();
  });

  it('capture(): a result with the index; the reference on the bus and in the log, the bytes in the sink', async () => {
    const { clock, twin, world, blobs } = setup();
    await started(clock, twin);
    const refs: CaptureRef[] = [];
    twin.bus.subscribe(topics.sensorCapture('d1', 'cam'), (c) => refs.push(c));
    const r = await settle(clock, twin.capture('d1', 'cam', 'op-1'));
    expect(r).toEqual({ ok: true, value: { index: 0 } });
    expect(refs).toHaveLength(1);
    expect(refs[0]!.blob_key).toBe('captures/d1/cam/000000.bin');
    expect(blobs.blobs.get(refs[0]!.blob_key!)?.byteLength).toBe(refs[0]!.bytes);
    const logged = twin.log.entries.filter((e) => e.source === 'd1/cam' && e.type === 'port.capture');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.data).toMatchObject({ index: 0, blob_key: 'captures/d1/cam/000000.bin', sha256: refs[0]!.sha256 });
    expect(twin.log.entries.find((e) => e.type === 'request.result' && e.cid === 'op-1')?.data).toEqual({ type: 'capture', ok: true, index: 0 });
    // Refusals are values: a LiDAR does not capture, an unknown sensor is unknown.
    expect(await settle(clock, twin.capture('d1', 'os1'))).toMatchObject({ ok: false, error: { code: 'SENSOR.UNSUPPORTED' } });
    expect(await settle(clock, twin.capture('d1', 'nope'))).toMatchObject({ ok: false, error: { code: 'SENSOR.UNKNOWN' } });
    // configure: refused settings change nothing, good ones are applied.
    expect(await settle(clock, twin.configure('d1', 'cam', { iso: -5 }))).toMatchObject({ ok: false, error: { code: 'SENSOR.INVALID' } });
    expect(await settle(clock, twin.configure('d1', 'cam', { iso: 200 }))).toEqual({ ok: true, value: undefined });
    expect(twin.sensors('d1')[0]!.count).toBe(1);
    await twin.stop();
    world.stop();
  });

  it('publishes health at 1 Hz with the machine state, and scans as references (not in the log)', async () => {
    const { clock, twin, world } = setup();
    await started(clock, twin);
    const health: SensorHealthMsg[] = [];
    const scans: ScanRef[] = [];
    twin.bus.subscribe(topics.sensorHealth('d1', 'os1'), (h) => health.push(h));
    twin.bus.subscribe(topics.sensorScan('d1', 'os1'), (s) => scans.push(s));
    const t0 = clock.now();
    await clock.advance(5_000);
    expect(health.length).toBe(5);
    expect(health.every((h) => h.t_ms % 1000 === 0 && h.machine_state === 'streaming' && h.state === 'ok' && h.kind === 'lidar')).toBe(true);
    expect(scans.length).toBeGreaterThanOrEqual(49);
    expect(scans.every((s) => s.t_ms > t0 && s.blob_key?.startsWith('scans/d1/os1/'))).toBe(true);
    expect(twin.log.entries.some((e) => e.type.includes('scan'))).toBe(false);
    await twin.stop();
    world.stop();
  });

  it('sensor_failure: the sensor goes to error, requests are refused, and it recovers with backoff', async () => {
    const { clock, twin, world } = setup({ retryBase_ms: 1000 });
    await started(clock, twin);
    const r = await settle(clock, twin.injectSensorFault('d1', 'cam', { kind: 'sensor_failure', duration_s: 5 }));
    expect(r.ok).toBe(true);
    expect(twin.sensors('d1')[0]!.state).toBe('error');
    expect(twin.sensors('d1')[0]!.last_error?.code).toBe('SENSOR.FAILED');
    expect(await settle(clock, twin.capture('d1', 'cam'))).toMatchObject({ ok: false, error: { code: 'SENSOR.NO_LINK' } });
    await clock.advance(12_000);
    expect(twin.sensors('d1')[0]!.state).toBe('ready');
    const camLog = twin.log.entries.filter((e) => e.source === 'sensor:d1/cam' || e.source === 'd1/cam').map((e) => `${e.type}:${String(e.data?.value ?? e.data?.state ?? e.data?.code ?? '')}`);
    // The device dropped its link first (as a failed device does); the injected failure is the recorded cause.
    expect(camLog, camLog.join(' ')).toContain('sensor.error:SENSOR.NO_LINK');
    expect(camLog).toContain('health:failed');
    expect(camLog.filter((x) => x === 'state:ready').length).toBe(2);
    expect((await settle(clock, twin.capture('d1', 'cam'))).ok).toBe(true);
    await twin.stop();
    world.stop();
  });

  it('supervision: a sensor actor that throws is restarted by its squad and reconnects', async () => {
    let throwOnce = true;
    const buggy = sensorMachine.provide({
      actions: {
        announceError: () => {
          if (throwOnce) {
            throwOnce = false;
            throw new Error('bug in announceError');
          }
        },
      },
    });
    const { clock, twin, world } = setup({ machine: buggy });
    await started(clock, twin);
    await settle(clock, twin.injectSensorFault('d1', 'os1', { kind: 'sensor_failure', duration_s: 2 }));
    const failed = twin.log.entries.filter((e) => e.source === 'fleet' && e.type === 'child.failed');
    expect(failed.map((e) => e.data?.id)).toEqual(['sensor:d1/os1']);
    expect(twin.sensors('d1')[1]!.state).toBe('restarting');
    expect(await settle(clock, twin.stream('d1', 'os1', true))).toMatchObject({ ok: false, error: { code: 'SENSOR.UNAVAILABLE' } });
    await clock.advance(6_000);
    expect(twin.log.entries.some((e) => e.type === 'child.restarted' && e.data?.id === 'sensor:d1/os1')).toBe(true);
    expect(twin.sensors('d1')[1]!.state).toBe('streaming');
    await twin.stop();
    world.stop();
  });

  it('same inputs, same event log (sensors included)', async () => {
    const once = async () => {
      const { clock, twin, world } = setup();
      await started(clock, twin);
      await settle(clock, twin.capture('d1', 'cam', 'a'));
      await settle(clock, twin.injectSensorFault('d1', 'os1', { kind: 'sensor_failure', duration_s: 3 }));
      await clock.advance(8_000);
      await twin.stop();
      world.stop();
      return twin.log.sha256();
    };
    expect(await once()).toBe(await once());
  });
});
