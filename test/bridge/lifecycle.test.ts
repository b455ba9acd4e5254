/**
 * Server lifecycle: start, client limit, metrics, and a stop that closes every client and lets
 * go of the bus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { liveTwin, makeToken, RawClient, startBridge, type LiveTwin } from './bridge-harness.js';
import { Counter, Gauge, Registry } from 'prom-client';
import { bridgeMetricsFrom, type BridgeMetrics } from '../../bridge/index.js';

let live: LiveTwin;

beforeAll(async () => {
  live = await liveTwin(['drone1'], 10);
});
afterAll(async () => {
  await live.halt();
});

describe('bridge lifecycle', () => {
  it('stop closes clients (1001) and unsubscribes from the bus; start twice is an error', async () => {
    const { bridge, url } = await startBridge(live.twin);
    await expect(bridge.start()).rejects.toThrow(/already started/);
    const token = await makeToken('l', 'viewer');
    const cs = await Promise.all([1, 2, 3].map(() => RawClient.connect(`${url}/?token=${token}`)));
    for (const c of cs) c.send({ op: 'subscribe', topic: '/drone1/pose' });
    await Promise.all(cs.map((c) => c.next((m) => m.op === 'publish')));
    expect(live.twin.bus.hasSubscribers('/drone1/pose')).toBe(true);
    expect(bridge.stats()).toMatchObject({ clients: 3, connections: 3, topics: [{ topic: '/drone1/pose', subscribers: 3 }] });
    const codes = cs.map((c) => new Promise<number>((r) => c.ws.once('close', (code) => r(code))));
    const t0 = Date.now();
    await bridge.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await Promise.all(codes)).toEqual([1001, 1001, 1001]);
    expect(live.twin.bus.hasSubscribers('/drone1/pose')).toBe(false);
  });

  it('refuses connections beyond maxClients and reports to a metrics sink', async () => {
    const counts = { clients: 0, sent: 0, rejected: [] as string[], calls: [] as string[] };
    const metrics: BridgeMetrics = {
      clients: (n) => (counts.clients = n),
      messagesSent: (n) => (counts.sent += n),
      rejected: (code) => counts.rejected.push(code),
      serviceCall: (service, outcome) => counts.calls.push(`${service}:${outcome}`),
    };
    const { bridge, url } = await startBridge(live.twin, { maxClients: 2, metrics });
    try {
      const token = await makeToken('m', 'viewer');
      const a = await RawClient.connect(`${url}/?token=${token}`);
      await RawClient.connect(`${url}/?token=${token}`);
      const refused = new WebSocket(`${url}/?token=${token}`);
      const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      expect(status).toBe(503);
      expect(counts.clients).toBe(2);
      a.send({ op: 'subscribe', topic: '/drone1/battery' });
      await a.next((m) => m.op === 'publish');
      a.send('nonsense');
      a.send({ op: 'call_service', id: 'x', service: '/rosapi/topics' });
      await a.next((m) => m.op === 'service_response');
      expect(counts.sent).toBeGreaterThan(0);
      expect(counts.rejected).toEqual(['BRIDGE.BAD_JSON']);
      expect(counts.calls).toEqual(['/rosapi/topics:ok']);
    } finally {
      await bridge.stop();
    }
    expect(counts.clients).toBe(0);
  });

  it('bridgeMetricsFrom feeds prom-client metrics of the shape metrics/ exposes', async () => {
    const registers = [new Registry()];
    const prom = {
      clients: new Gauge({ name: 'clients', help: 'h', registers }),
      dropped: new Counter({ name: 'dropped', help: 'h', labelNames: ['reason'] as const, registers }),
      messages: new Counter({ name: 'messages', help: 'h', labelNames: ['direction'] as const, registers }),
    };
    const { bridge, url } = await startBridge(live.twin, { metrics: bridgeMetricsFrom(prom), highWaterMarkBytes: 1 });
    try {
      const c = await RawClient.connect(`${url}/?token=${await makeToken('p', 'viewer')}`);
      // With a 1-byte high-water mark every client is congested as soon as anything is buffered.
      c.send({ op: 'subscribe', topic: '/drone1/telemetry', throttle_rate: 0 });
      await c.next((m) => m.op === 'publish');
      await new Promise((r) => setTimeout(r, 300));
      expect((await prom.clients.get()).values[0]!.value).toBe(1);
      const dir = Object.fromEntries((await prom.messages.get()).values.map((v) => [v.labels.direction, v.value]));
      expect(dir.in).toBe(1);
      expect(dir.out).toBeGreaterThan(0);
    } finally {
      await bridge.stop();
    }
    expect((await prom.clients.get()).values[0]!.value).toBe(0);
  });
});
