/**
 * The HPC part of the bridge: `/hpc/jobs` (std_msgs/String whose `data` is the job's JSON: key,
 * job_id, vehicle, processing_type, source, state, progress 0..1, t_ms, error, result), one
 * message per change of state or progress of a job the twin submitted (actors/hpc-client.ts).
 * Latched: a new subscriber first gets the latest status of every job known (actors/hpc-job-book.ts).
 */
import type { Bus, HpcJobMsg } from '../actors/bus.js';
import { HpcJobBook } from '../actors/hpc-job-book.js';
import type { TopicDef } from './topic-catalog.js';

export const HPC_JOBS_TOPIC = '/hpc/jobs';
export const HPC_JOBS_TYPE = 'std_msgs/String';

/** `/hpc/jobs` as a ROS message. */
export const hpcJobString = (m: HpcJobMsg): { data: string } => ({ data: JSON.stringify(m) });

/**
 * The `/hpc/jobs` topic over the twin's bus. The job book it keeps for latching listens on the
 * bus for as long as the bus lives (call `close` on the returned book to stop it earlier).
 */
export function hpcTopics(bus: Pick<Bus, 'subscribe'>): { defs: TopicDef[]; book: HpcJobBook } {
  const book = new HpcJobBook(bus);
  const def: TopicDef = {
    name: HPC_JOBS_TOPIC,
    type: HPC_JOBS_TYPE,
    busTopic: HPC_JOBS_TOPIC,
    toRos: hpcJobString as TopicDef['toRos'],
    current: () => book.list().reverse().map(hpcJobString),
  };
  return { defs: [def], book };
}
