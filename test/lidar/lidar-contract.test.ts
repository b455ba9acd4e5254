/**
 * The LiDAR contract suite against both adapters: the simulated Ouster in-process under the
 * virtual clock, and the Ouster UDP adapter on real loopback sockets fed by the simulator's real
 * datagrams, with the metadata fetched over HTTP (as from a sensor).
 */
import { createSocket } from 'node:dgram';
import { VirtualClock, WallClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createOusterLidarPort } from '../../hardware/real/lidar/ouster/ouster-lidar.adapter.js';
import { createSimLidarPort } from '../../hardware/sim/sensors/ouster-sim-lidar.adapter.js';
import { OusterSim } from '../../hardware/sim/sensors/ouster-sim.js';
import { SensorWorldSchema } from '../../hardware/sim/world/world-spec.js';
import { describeLidarContract, type LidarHarness } from '../contract/lidar.contract.js';
import { MemoryBlobSink, ORIGIN, hoverPose } from './lidar-fixtures.js';

const WORLD = SensorWorldSchema.parse({});
const ALT = 12;

describeLidarContract('simulated Ouster, in-process packets, virtual clock', async (): Promise<LidarHarness> => {
  const clock = new VirtualClock();
  const blobs = new MemoryBlobSink();
  const port = createSimLidarPort({
    id: 'ouster', vehicle: 'd1', model: 'os1-32', lidar_mode: '512x10', clock, rng: new Rng(11), world: WORLD, origin: ORIGIN,
    vehicle_pose: hoverPose(ALT), blobs, keyPrefix: 'scans/run1', range_noise_sd_m: 0.01,
  });
  return {
    port,
    ground_below_m: ALT,
    blob: (k) => blobs.blobs.get(k)?.data,
    setSinkFailing: (f) => { blobs.failing = f; },
    advance: (ms) => clock.advance(ms),
    async waitFor(pred, timeoutMs) {
      for (let t = 0; t < timeoutMs && !pred(); t += 50) await clock.advance(50);
      return pred();
    },
    dispose: () => port.dispose(),
  };
});

/** A free UDP port, held (bound) until `release`: nothing else in this process can take it meanwhile. */
async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, release: () => new Promise<void>((r) => s.close(() => r())) };
}

describeLidarContract('Ouster adapter on UDP sockets (simulator sending real datagrams, metadata over HTTP)', async (): Promise<LidarHarness> => {
  const clock = new WallClock({ startMs: 0 });
  const blobs = new MemoryBlobSink();
  const pose = hoverPose(ALT);
  const sim = new OusterSim({ model: 'os1-16', lidar_mode: '512x10', clock, rng: new Rng(5), world: WORLD, origin: ORIGIN, vehicle: pose, udp_profile_lidar: 'LEGACY' });
  // Both ports stay bound while the simulator binds its own sending socket (an ephemeral port that
  // could otherwise be one of them), and are released just before the adapter binds them.
  const held = [await holdPort(), await holdPort()];
  const [lidar_port, imu_port] = [held[0]!.port, held[1]!.port];
  await sim.sendUdp({ host: '127.0.0.1', lidar_port, imu_port });
  for (const h of held) await h.release();
  const url = await sim.serveMetadata('127.0.0.1', 0);
  sim.start(); // a real sensor spins whether anyone listens or not
  const port = createOusterLidarPort({
    id: 'ouster', vehicle: 'd1', model: 'os1-16', clock, blobs, keyPrefix: 'scans/field', pose,
    source: { kind: 'udp', host: '127.0.0.1', lidar_port, imu_port, metadata: { url } },
  });
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  return {
    port,
    ground_below_m: ALT,
    blob: (k) => blobs.blobs.get(k)?.data,
    setSinkFailing: (f) => { blobs.failing = f; },
    advance: sleep,
    async waitFor(pred, timeoutMs) {
      for (let t = 0; t < timeoutMs && !pred(); t += 20) await sleep(20);
      return pred();
    },
    async dispose() {
      await port.dispose();
      await sim.dispose();
    },
  };
});
