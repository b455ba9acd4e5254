/**
 * `twin start --gz`: one Gazebo transport node for the session, the twin's vehicle poses
 * published on it once the twin runs, closed (BYE) when the session ends.
 */
import type { Logger } from 'pino';
import type { Result } from '../../../core/result.js';
import { ok } from '../../../core/result.js';
import { createGzNode, type GzErrorCode, type GzNode } from './gz-node.js';
import { startTwinPosePublisher, type TwinPosePublisher, type TwinPoseView } from './twin-pose-publisher.js';

export interface GzTwinSession {
  readonly node: GzNode;
  /** Starts publishing the twin's poses (call once the twin exists). */
  attach(view: TwinPoseView): Result<TwinPosePublisher, GzErrorCode>;
  close(): Promise<void>;
}

/** Opens the node (partition from IGN_PARTITION / GZ_PARTITION, addresses from IGN_IP). */
export async function openGzTwinSession(options: { logger?: Logger; env?: NodeJS.ProcessEnv; rate_hz?: number } = {}): Promise<Result<GzTwinSession, GzErrorCode>> {
  const node = await createGzNode({ ...(options.logger ? { logger: options.logger } : {}), ...(options.env ? { env: options.env } : {}) });
  if (!node.ok) return node;
  const publishers: TwinPosePublisher[] = [];
  return ok({
    node: node.value,
    attach: (view) => {
      const p = startTwinPosePublisher(node.value, view, options.rate_hz !== undefined ? { rate_hz: options.rate_hz } : {});
      if (p.ok) publishers.push(p.value);
      return p;
    },
    close: async () => {
      for (const p of publishers.splice(0)) p.stop();
      await node.value.close();
    },
  });
}
