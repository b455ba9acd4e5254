/**
 * Model-based test of the mission machine over the simulator's vehicle port (SimWorld on a
 * VirtualClock): random command sequences against a small model. See mission-model.ts.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { simBackend } from '../../../actors/scenario/backends.js';
import { missionCommands, runModel } from './mission-model.js';

describe('mission machine ⇔ model, on the simulator', () => {
  it('load/start/pause/resume/abort/RTL/link loss/recovery sequences keep the mission status the model predicts', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(missionCommands(30), fc.integer({ min: 1, max: 1000 }), (cmds, seed) => runModel(simBackend, seed, cmds)),
      { numRuns: 60, seed: 20261127 },
    );
  });
});
