/** The SLAM port contract against the LIO adapter fed by a replayed FAST-LIVO2 message stream generated from the WEAVE flight. */
import { describe } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { createLioSlamPort } from '../../hardware/real/slam/lio-slam.adapter.js';
import { WEAVE } from './slam-flight-fixtures.js';
import { enuTruth, LioReplaySource } from './lio-replay.js';
import { slamPortContract } from './slam.contract.js';

describe('LIO SLAM port', () => {
  slamPortContract('fast-livo2 replay', () => {
    const clock = new VirtualClock();
    const source = new LioReplaySource(clock, { path: WEAVE, pathOffset_s: 2 });
    const port = createLioSlamPort({ source, clock, backend: 'fast-livo2' });
    return {
      port,
      clock,
      begin: () => source.begin(),
      truthDistance: (t0, t1) => {
        const [a, b] = [enuTruth(WEAVE, t0 / 1000 + 2).p, enuTruth(WEAVE, t1 / 1000 + 2).p];
        return Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]);
      },
      close: async () => {
        await port.dispose();
      },
    };
  });
});
