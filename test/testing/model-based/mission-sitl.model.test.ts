/**
 * The same model-based test as mission-sim.model.test.ts, fewer and shorter runs, against the
 * built-in SITL driven through the MAVLink adapter over loopback UDP (paced clock: sockets live in
 * wall time). A different port implementation must keep the mission machine's behaviour.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { sitlBackend } from '../../../actors/scenario/backends.js';
import { missionCommands, runModel } from './mission-model.js';

describe('mission machine ⇔ model, on the built-in SITL over MAVLink', () => {
  it('command sequences keep the mission status the model predicts', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(missionCommands(12), fc.integer({ min: 1, max: 1000 }), (cmds, seed) => runModel(sitlBackend(40), seed, cmds)),
      { numRuns: 15, seed: 20261127, endOnFailure: true },
    );
  });
});
