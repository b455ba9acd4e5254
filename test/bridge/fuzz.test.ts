/**
 * Bad input on the bridge (fast-check): arbitrary text and binary frames from a connected
 * viewer and from an unauthenticated client. Each frame that is not a recognised op gets a
 * `status` error; nothing reaches the twin (no command, no mission event); the connection stays
 * open and the server keeps serving (a `/rosapi/topics` call after every frame is answered).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { liveTwin, makeToken, RawClient, startBridge, type LiveTwin } from './bridge-harness.js';
import type { BridgeServer } from '../../bridge/index.js';

let live: LiveTwin;
let bridge: BridgeServer;
let url: string;
beforeAll(async () => {
  live = await liveTwin(['drone1'], 10);
  ({ bridge, url } = await startBridge(live.twin));
});
afterAll(async () => {
  await bridge.stop();
  await live.halt();
});

/** Ops of rosbridge v2 this bridge serves (set_level left out: `none` would silence the errors we check). */
const OPS = ['auth', 'subscribe', 'unsubscribe', 'advertise', 'unadvertise', 'publish', 'call_service', 'fragment'];

/** The oracle: a text frame that is not a JSON object naming one of the served ops must get a status error. */
function mustBeRefused(text: string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return true;
  }
  return typeof v !== 'object' || v === null || Array.isArray(v) || !OPS.includes((v as { op?: unknown }).op as string);
}

const opLike = fc.record(
  {
    op: fc.oneof(fc.constantFrom(...OPS, 'set_level_x', 'advertise_service', 'png'), fc.string()),
    id: fc.oneof(fc.string(), fc.integer(), fc.jsonValue()),
    topic: fc.oneof(fc.constantFrom('/drone1/pose', '/drone1/cmd', '/mission/status'), fc.string()),
    service: fc.oneof(fc.constantFrom('/drone1/arm', '/mission/start', '/mission/load', '/drone1/takeoff'), fc.string()),
    args: fc.jsonValue(),
    msg: fc.jsonValue(),
    type: fc.string(),
    token: fc.string(),
    compression: fc.oneof(fc.constantFrom('none', 'cbor', 'png', 'cbor-raw'), fc.string()),
    throttle_rate: fc.oneof(fc.integer(), fc.double()),
    data: fc.string(),
    num: fc.integer(),
    total: fc.integer(),
  },
  { requiredKeys: ['op'] },
);
const textFrames = fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)), opLike.map((v) => JSON.stringify(v)), fc.constantFrom('{', '[', 'null', '{"op":', '\u0000', '{"op":"subscribe"}'));

const commandEntries = () => live.twin.log.entries.filter((e) => e.type === 'command' || e.source.startsWith('mission:')).length;

async function fuzz(c: RawClient, runs: number, seed: number) {
  let n = 0;
  const before = commandEntries();
  await fc.assert(
    fc.asyncProperty(fc.oneof(textFrames.map((t) => ({ t })), fc.uint8Array({ maxLength: 256 }).map((b) => ({ b }))), async (frame) => {
      const from = c.received.length;
      if ('t' in frame) c.ws.send(frame.t);
      else c.ws.send(Buffer.from(frame.b), { binary: true });
      const ping = `ping-${n++}`;
      c.send({ op: 'call_service', id: ping, service: '/rosapi/topics', args: {} });
      await c.next((m) => m.op === 'service_response' && m.id === ping, 5000, from);
      if ('t' in frame && mustBeRefused(frame.t))
        expect(c.received.slice(from).some((m) => m.op === 'status' && m.level === 'error' && /^BRIDGE\.[A-Z_]+/.test(String(m.msg))), frame.t).toBe(true);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    }),
    { numRuns: runs, seed },
  );
  expect(commandEntries()).toBe(before);
  expect(live.twin.vehicleContext('drone1').armed).toBe(false);
}

describe('bridge fuzz', () => {
  it('a viewer sending arbitrary frames: refused with status errors, nothing reaches the twin, the bridge keeps serving', async () => {
    const c = await RawClient.connect(`${url}/?token=${await makeToken('fuzzy', 'viewer')}`);
    try {
      await fuzz(c, 250, 20261130);
    } finally {
      c.close();
    }
  }, 60_000);

  it('an unauthenticated client: every frame refused, nothing delivered, nothing commanded', async () => {
    const c = await RawClient.connect(url);
    try {
      const before = commandEntries();
      let n = 0;
      await fc.assert(
        fc.asyncProperty(textFrames, async (t) => {
          const from = c.received.length;
          c.ws.send(t);
          const probe = `probe-${n++}`;
          // An unauthenticated client gets a status error for any op, ours included.
          c.send({ op: 'subscribe', id: probe, topic: '/drone1/pose' });
          await c.next((m) => m.op === 'status' && m.id === probe, 5000, from);
          expect(c.received.slice(from).filter((m) => m.op !== 'status')).toEqual([]);
        }),
        { numRuns: 150, seed: 7 },
      );
      expect(commandEntries()).toBe(before);
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      c.close();
    }
  }, 60_000);
});
