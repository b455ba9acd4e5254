/**
 * Bad input from the socket edge: each gets a `status` error naming what was wrong, the
 * connection stays usable, other clients keep receiving, and the twin is untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { liveTwin, makeToken, RawClient, sleep, startBridge, type LiveTwin } from './bridge-harness.js';
import type { BridgeServer } from '../../bridge/index.js';

let live: LiveTwin;
let bridge: BridgeServer;
let url: string;
const clients: RawClient[] = [];
const connect = async (role = 'operator') => {
  const c = await RawClient.connect(`${url}/?token=${await makeToken(`${role}-user`, role)}`);
  clients.push(c);
  return c;
};
const MAX = 64 * 1024;

beforeAll(async () => {
  live = await liveTwin(['drone1', 'drone2'], 10);
  // This file is about parsing: the unauthenticated fuzzer keeps its connection however long the
  // run takes and however much it sends (the budgets are test/bridge/hardening.test.ts's).
  ({ bridge, url } = await startBridge(live.twin, { maxMessageBytes: MAX, authTimeout_ms: 0, preAuthMaxBytes: 256 * 1024 * 1024 }));
});
afterAll(async () => {
  for (const c of clients) c.close();
  await bridge.stop();
  await live.halt();
});

/** The connection still answers a valid request. */
async function stillUsable(c: RawClient) {
  const id = `probe-${Math.random()}`;
  c.send({ op: 'call_service', id, service: '/rosapi/topics' });
  const r = await c.next((m) => m.op === 'service_response' && m.id === id);
  expect(r.result).toBe(true);
}

/** Sends a raw frame and returns the status error it got. */
async function statusFor(c: RawClient, frame: string | object, id?: string) {
  const from = c.received.length;
  c.send(frame);
  const s = await c.next((m) => m.op === 'status' && (id === undefined || m.id === id), 3000, from);
  expect(s.level).toBe('error');
  return String(s.msg);
}

describe('bad input', () => {
  it('malformed JSON, non-objects, unknown and unsupported ops, missing or wrong fields', async () => {
    const c = await connect();
    expect(await statusFor(c, '{"op": "subscribe", ')).toMatch(/^BRIDGE\.BAD_JSON: malformed JSON/);
    expect(await statusFor(c, '[1,2,3]')).toMatch(/^BRIDGE\.NOT_AN_OP/);
    expect(await statusFor(c, '"subscribe"')).toMatch(/^BRIDGE\.NOT_AN_OP/);
    expect(await statusFor(c, { op: 'fly_to_the_moon', id: 'u1' }, 'u1')).toBe('BRIDGE.UNKNOWN_OP: unknown op "fly_to_the_moon"');
    expect(await statusFor(c, { op: 'advertise_service', id: 'u2', service: '/x', type: 'std_srvs/Trigger' }, 'u2')).toMatch(/^BRIDGE\.UNSUPPORTED_OP/);
    expect(await statusFor(c, { op: 'subscribe', id: 'f1' }, 'f1')).toMatch(/^BRIDGE\.INVALID_FIELDS: subscribe: topic: /);
    expect(await statusFor(c, { op: 'subscribe', id: 'f2', topic: '/drone1/pose', throttle_rate: 'fast' }, 'f2')).toMatch(/throttle_rate/);
    expect(await statusFor(c, { op: 'subscribe', id: 'f3', topic: '/nope' }, 'f3')).toMatch(/^BRIDGE\.UNKNOWN_TOPIC: no topic \/nope/);
    expect(await statusFor(c, { op: 'subscribe', id: 'f4', topic: '/drone1/pose', type: 'std_msgs/String' }, 'f4')).toMatch(/^BRIDGE\.TYPE_MISMATCH/);
    expect(await statusFor(c, { op: 'call_service', id: 'f5', service: '/no/such' }, 'f5')).toMatch(/^BRIDGE\.UNKNOWN_SERVICE/);
    expect(await statusFor(c, { op: 'publish', id: 'f6', topic: '/drone1/pose', msg: {} }, 'f6')).toMatch(/^BRIDGE\.PUBLISH_DENIED: .*published by the twin/);
    expect(await statusFor(c, { op: 'advertise', id: 'f7', topic: '/cmd_vel', type: 'geometry_msgs/Twist' }, 'f7')).toMatch(/^BRIDGE\.PUBLISH_DENIED/);
    expect(await statusFor(c, { op: 'publish', id: 'f8', topic: '/drone1/cmd', msg: { data: 'self-destruct' } }, 'f8')).toMatch(/^BRIDGE\.BAD_COMMAND/);
    expect(await statusFor(c, { op: 'call_service', id: 'f9', service: '/drone1/takeoff', args: { altitude: -3 } }, 'f9')).toMatch(/^BRIDGE\.SERVICE_ARGS/);
    expect(await statusFor(c, { op: 'call_service', id: 'f10', service: '/mission/load', args: { mission_json: '{oops' } }, 'f10')).toMatch(/not JSON/);
    expect(await statusFor(c, { op: 'call_service', id: 'f11', service: '/mission/start', args: { vehicle: 'drone9' } }, 'f11')).toMatch(/^BRIDGE\.UNKNOWN_VEHICLE/);
    await stillUsable(c);
    expect(live.twin.missionStatus('drone1')).toBe('IDLE');
    expect(live.twin.vehicleContext('drone1').armed).toBe(false);
  });

  it('an oversize message gets a status error and the connection stays usable', async () => {
    const c = await connect();
    const big = JSON.stringify({ op: 'publish', topic: '/drone1/cmd', msg: { data: 'x'.repeat(MAX) } });
    expect(await statusFor(c, big)).toMatch(new RegExp(`^BRIDGE\\.TOO_LARGE: message of ${Buffer.byteLength(big)} bytes exceeds the limit of ${MAX} bytes`));
    await stillUsable(c);
    // Fragments cannot smuggle a larger message in either.
    const parts = 5;
    const chunk = 'y'.repeat(MAX / 4);
    for (let num = 0; num < parts; num++) c.send({ op: 'fragment', id: 'big', data: chunk, num, total: parts });
    const s = await c.next((m) => m.op === 'status' && m.id === 'big');
    expect(s.msg).toMatch(/^BRIDGE\.TOO_LARGE: fragmented message/);
    await stillUsable(c);
  });

  it('set_level: warnings and info when asked for, silence with none', async () => {
    const c = await connect();
    c.send({ op: 'set_level', level: 'info' });
    const info = await c.expectStatus({ op: 'subscribe', id: 'i1', topic: '/drone1/battery' });
    expect(info).toMatchObject({ level: 'info', msg: 'subscribed to /drone1/battery' });
    const warn = await c.expectStatus({ op: 'unsubscribe', id: 'w1', topic: '/drone2/battery' });
    expect(warn.level).toBe('warning');
    c.send({ op: 'set_level', level: 'none' });
    const from = c.received.length;
    c.send('{bad json');
    c.send({ op: 'what', id: 'x' });
    await stillUsable(c);
    expect(c.received.slice(from).filter((m) => m.op === 'status')).toEqual([]);
  });

  it('fragmented requests are reassembled', async () => {
    const c = await connect();
    const text = JSON.stringify({ op: 'call_service', id: 'frag-call', service: '/rosapi/services', args: {} });
    const size = 7;
    const total = Math.ceil(text.length / size);
    // Out of order, with a duplicate: reassembly is by index.
    const order = [...Array(total).keys()].reverse();
    for (const num of [...order, 0]) c.send({ op: 'fragment', id: 'f', data: text.slice(num * size, (num + 1) * size), num, total });
    const r = await c.next((m) => m.op === 'service_response' && m.id === 'frag-call');
    expect((r.values as { services: string[] }).services).toContain('/mission/load');
  });

  it('fuzz: random ops with random fields never crash the bridge, never reach the twin, never stop other clients', async () => {
    const canary = await connect('viewer');
    canary.send({ op: 'subscribe', topic: '/drone1/pose' });
    await canary.next((m) => m.op === 'publish');
    // The fuzzer is a viewer (nothing it sends may move the twin) or unauthenticated.
    const fuzzers = [await connect('viewer'), clients[clients.push(await RawClient.connect(url)) - 1]!];
    const logBefore = live.twin.log.entries.filter((e) => e.type === 'request' || e.type === 'command').length;
    const names = fc.constantFrom(
      '/drone1/pose', '/drone1/cmd', '/drone2/state', '/mission/status', '/mission/load', '/mission/start', '/mission/abort',
      '/drone1/arm', '/drone1/takeoff', 'rosapi/topics', '', '/', '//', '/x'.repeat(200),
    );
    const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), names, fc.integer(), fc.double(), fc.constant(null));
    const op = fc.oneof(
      fc.constantFrom('subscribe', 'unsubscribe', 'advertise', 'unadvertise', 'publish', 'call_service', 'service_response', 'set_level', 'fragment', 'auth', 'status', 'png'),
      fc.string({ maxLength: 20 }),
    );
    const message = fc.record(
      {
        op,
        id: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.jsonValue({ maxDepth: 1 })),
        topic: fc.oneof(names, value),
        service: fc.oneof(names, value),
        type: fc.oneof(fc.constantFrom('std_msgs/String', 'geometry_msgs/PoseStamped'), value),
        msg: fc.oneof(fc.record({ data: fc.oneof(fc.constantFrom('arm', 'takeoff', 'land'), fc.string()) }), value),
        args: fc.oneof(fc.record({ vehicle: fc.oneof(fc.constant('drone1'), value), mission_json: value }), value),
        throttle_rate: value,
        queue_length: value,
        fragment_size: value,
        compression: fc.oneof(fc.constantFrom('none', 'cbor', 'png', 'cbor-raw'), value),
        level: fc.oneof(fc.constantFrom('error', 'warning', 'info', 'none'), value),
        data: value,
        num: value,
        total: value,
        token: fc.oneof(fc.string(), value),
      },
      { requiredKeys: [] },
    );
    const frame = fc.oneof(
      { weight: 8, arbitrary: message.map((m) => JSON.stringify(m)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
      { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 20 }), fc.boolean(), async (frames, first) => {
        const f = fuzzers[first ? 0 : 1]!;
        for (const text of frames) f.ws.send(text);
        await stillUsable(fuzzers[0]!);
      }),
      { numRuns: 150 },
    );
    // Still flowing to the bystander, still served, and nothing reached the twin.
    const n = canary.ofTopic('/drone1/pose').length;
    await sleep(300);
    expect(canary.ofTopic('/drone1/pose').length).toBeGreaterThan(n);
    expect(bridge.stats().clients).toBe(clients.length);
    expect(live.twin.log.entries.filter((e) => e.type === 'request' || e.type === 'command').length).toBe(logBefore);
    expect(live.twin.missionStatus('drone1')).toBe('IDLE');
    expect(live.twin.vehicleContext('drone1').armed).toBe(false);
    expect(fuzzers[1]!.received.filter((m) => m.op !== 'status')).toEqual([]);
  }, 120_000);
});
