/**
 * `--inspect`: actor events stream to a Stately inspector over a real WebSocket
 * (@statelyai/inspect's createWebSocketInspector, the XState v5 inspector).
 */
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createWebSocketInspector } from '@statelyai/inspect';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';

describe('Stately inspector', () => {
  it("receives the twin's actors and their events over a WebSocket", async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => server.once('listening', () => r()));
    const port = (server.address() as { port: number }).port;
    const received: { type?: string; definition?: string }[] = [];
    server.on('connection', (socket) => socket.on('message', (data) => {
      try {
        received.push(JSON.parse(String(data)));
      } catch {
        /* not JSON: ignore */
      }
    }));
    const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
    const loaded = await loadScenarioFile('scenarios/link-loss.yaml');
    if (!loaded.ok) throw new Error(loaded.error.message);
    const { report } = await runScenario(loaded.value, { inspect: inspector.inspect });
    expect(report.passed).toBe(true);
    // Let the socket deliver what the run produced.
    const actorOf = (machineId: string) => received.some((e) => e.type === '@xstate.actor' && String(e.definition).includes(`"id":"${machineId}"`));
    for (let i = 0; i < 50 && !(actorOf('vehicle') && actorOf('mission')); i++) await new Promise((r) => setTimeout(r, 50));
    inspector.stop();
    server.close();
    const types = new Set(received.map((e) => e.type));
    expect(types).toContain('@xstate.actor');
    expect(types).toContain('@xstate.event');
    // The fleet root, the vehicle actor and the mission actor all registered with their machines.
    expect(actorOf('fleet')).toBe(true);
    expect(actorOf('vehicle')).toBe(true);
    expect(actorOf('mission')).toBe(true);
  });
});
