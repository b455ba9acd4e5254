/**
 * `twin start --gz`: one Gazebo transport node for the session, the twin's vehicle poses
 * published on it once the twin runs, closed (BYE) when the session ends.
 * `--gz-world <w>` / `--gz-clock-topic <t>`: the twin's clock follows Gazebo's (`followClock`).
 */
import type { Logger } from 'pino';
import type { Result } from '../../../core/result.js';
import type { Failure } from '../../../core/result.js';
import { fail, ok } from '../../../core/result.js';
import { GazeboClock, gazeboClockTopic } from './gazebo-clock.adapter.js';
import { createGzNode, type GzErrorCode, type GzNode } from './gz-node.js';
import { startTwinPosePublisher, type TwinPosePublisher, type TwinPoseView } from './twin-pose-publisher.js';

export interface GzTwinSession {
  readonly node: GzNode;
  /** Starts publishing the twin's poses (call once the twin exists). */
  attach(view: TwinPoseView): Result<TwinPosePublisher, GzErrorCode>;
  /**
   * The twin's clock on Gazebo's time (`twin` mode: 0 at the first Clock message, never backwards),
   * resolved once the first Clock message arrived — `GZ.CLOCK_TIMEOUT` when none came before
   * `signal` aborted (e.g. `AbortSignal.timeout(30_000)`). Disposed on `close()`.
   */
  followClock(options: GzClockFollowOptions): Promise<Result<GazeboClock, GzErrorCode | 'GZ.CLOCK_TIMEOUT'>>;
  close(): Promise<void>;
}

export interface GzClockFollowOptions {
  /** `/world/<world>/clock`. */
  readonly world?: string;
  /** Explicit topic (e.g. `/clock`), overrides `world`. */
  readonly topic?: string;
  /** Rejected messages and a clock going backwards (the twin keeps running). */
  readonly onError?: (error: Failure) => void;
  readonly signal: AbortSignal;
}

/** Opens the node (partition from IGN_PARTITION / GZ_PARTITION, addresses from IGN_IP). */
export async function openGzTwinSession(options: { logger?: Logger; env?: NodeJS.ProcessEnv; rate_hz?: number } = {}): Promise<Result<GzTwinSession, GzErrorCode>> {
  const node = await createGzNode({ ...(options.logger ? { logger: options.logger } : {}), ...(options.env ? { env: options.env } : {}) });
  if (!node.ok) return node;
  const publishers: TwinPosePublisher[] = [];
  const clocks: GazeboClock[] = [];
  return ok({
    node: node.value,
    attach: (view) => {
      const p = startTwinPosePublisher(node.value, view, options.rate_hz !== undefined ? { rate_hz: options.rate_hz } : {});
      if (p.ok) publishers.push(p.value);
      return p;
    },
    followClock: async ({ world, topic, onError, signal }) => {
      const followed = GazeboClock.follow(node.value, {
        ...(world !== undefined ? { world } : {}),
        ...(topic !== undefined ? { topic } : {}),
        mode: 'twin',
        ...(onError ? { onError } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
      if (!followed.ok) return followed;
      const clock = followed.value;
      clocks.push(clock);
      await clock.run({ stopWhen: () => clock.synced, signal });
      if (!clock.synced) return fail('GZ.CLOCK_TIMEOUT', `no Clock message on ${gazeboClockTopic({ ...(world !== undefined ? { world } : {}), ...(topic !== undefined ? { topic } : {}) })} (is the world running, in partition ${node.value.partition}?)`);
      return ok(clock);
    },
    close: async () => {
      for (const c of clocks.splice(0)) c.dispose();
      for (const p of publishers.splice(0)) p.stop();
      await node.value.close();
    },
  });
}
