/**
 * The shared CameraPort contract (`camera.contract.ts`) run against the simulated camera, on a
 * virtual clock with a real SQLite + filesystem blob store.
 */
import { describeCameraContract } from './camera.contract.js';
import { cameraRig } from '../sim/camera-sim-harness.js';

describeCameraContract('simulated camera (sony-ilx-lr1, rendered JPEG)', async () => {
  const rig = await cameraRig({ model: 'sony-ilx-lr1' });
  return {
    port: rig.camera,
    advance: (ms) => rig.clock.advance(ms),
    async waitFor(pred, timeoutMs) {
      // Sim time moves in 10 ms steps; each step also lets real time pass for encodes and writes.
      const end = rig.clock.now() + timeoutMs;
      while (!pred()) {
        if (rig.clock.now() >= end) return pred();
        await new Promise((res) => setTimeout(res, 1));
        await rig.clock.advance(10);
      }
      return true;
    },
    truePose: () => rig.flight.truth(),
    async fail() {
      await rig.camera.injectFault({ kind: 'sensor_failure' });
    },
    dispose: () => rig.close(),
    validSettings: { focal_length_mm: 35 },
    geotagToleranceM: 2,
  };
});
