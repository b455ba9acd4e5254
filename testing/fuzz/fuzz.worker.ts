/**
 * Worker-thread entry of the fuzz pool: receives `{ id, scenario }`, answers `{ id, verdict }`.
 * One case at a time; the scenario was validated by the main thread.
 */
import { parentPort } from 'node:worker_threads';
import type { Scenario } from '../../actors/scenario/scenario.schema.js';
import { evaluateCase } from './case-runner.js';

if (!parentPort) throw new Error('fuzz.worker must run in a worker thread');
const port = parentPort;
port.on('message', async (msg: { id: number; scenario: Scenario }) => {
  port.postMessage({ id: msg.id, verdict: await evaluateCase(msg.scenario) });
});
