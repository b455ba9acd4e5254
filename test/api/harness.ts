/**
 * A live stack for API tests: a twin on the simulator (virtual clock), a real SQLite file in a
 * temp dir, a real HTTP server on 127.0.0.1 on a free port, and one user per role.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createTwin, type Twin } from '../../actors/twin.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../api/server.js';
import { createAuth, type Auth, type ScryptParams } from '../../api/auth/index.js';
import type { MissionLimitsData } from '../../machines/mission.machine.js';
import { createMetrics, type Metrics } from '../../metrics/registry.js';
import { attachEventLogSink, type EventLogSink } from '../../storage/event-log.sink.js';
import { openStore, type Store } from '../../storage/store.js';

/** Cheap scrypt for tests: the cost is a parameter of the stored hash, not of the code path. */
export const TEST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
export const PASSWORDS = { viewer: 'viewer-pass', operator: 'operator-pass', admin: 'admin-pass' } as const;

export interface Stack {
  url: string;
  clock: VirtualClock;
  twin: Twin;
  store: Store;
  auth: Auth;
  metrics: Metrics;
  server: ApiServer;
  sink: EventLogSink;
  tokens: Record<'viewer' | 'operator' | 'admin', string>;
  /** fetch against the server with an optional role's token and JSON body. */
  call(method: string, path: string, opts?: { as?: 'viewer' | 'operator' | 'admin'; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export interface StackOptions {
  vehicles?: string[];
  now_s?: () => number;
  /** Limits every vehicle's mission machine checks at LOAD. */
  missionLimits?: MissionLimitsData;
  /** Extra createApiServer options (login limits, dashboard, loggers). */
  server?: Partial<ApiServerOptions>;
  /** scrypt cost of the auth (default TEST_SCRYPT). */
  scrypt?: ScryptParams;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'twin-api-'));
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(7), origin: DEFAULT_HOME });
  const ids = options.vehicles ?? ['d1', 'd2'];
  ids.forEach((id, i) => world.addVehicle(id, { spawn: { north_m: 0, east_m: i * 10 } }));
  const twin = createTwin({ clock, origin: 'home', vehicles: ids.map((id) => ({ id, port: createSimVehiclePort(world, id), ...(options.missionLimits ? { missionLimits: options.missionLimits } : {}) })) });
  world.start();
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;

  const store = openStore({ dir });
  const metrics = createMetrics({ defaults: false });
  metrics.observeBus(twin.bus);
  metrics.observeTwin(twin);
  for (const e of twin.log.entries) metrics.observeEvent(e);
  const sink = attachEventLogSink(store, twin.log, { runId: 'session', observe: (e) => metrics.observeEvent(e) });
  const auth = createAuth({ store, secret: new Uint8Array(32).fill(7), scrypt: options.scrypt ?? TEST_SCRYPT, ttl_s: 3600, now_s: options.now_s });
  for (const role of ['viewer', 'operator', 'admin'] as const) await auth.createUser(role, PASSWORDS[role], role);
  const server = createApiServer({ twin, store, auth, metrics, port: 0, ...options.server });
  const { url } = await server.start();
  const tokens = {} as Stack['tokens'];
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    const r = await auth.login(role, PASSWORDS[role]);
    if (!r.ok) throw new Error('login failed');
    tokens[role] = r.value.access_token;
  }
  const call: Stack['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.as) headers.authorization = `Bearer ${tokens[opts.as]}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON (metrics, docs) */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    url, clock, twin, store, auth, metrics, server, sink, tokens, call,
    async close() {
      await server.stop();
      sink.close();
      await twin.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
