/**
 * Test harness for the bridge: a live twin on the simulator under a paced virtual clock, a
 * bridge on 127.0.0.1 port 0 checking tokens with the production authenticator (api/auth's
 * JWT verifier over a real SQLite user store), and a raw WebSocket client that collects what
 * it receives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { decode as cborDecode } from 'cbor-x';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { createTwin, type Twin } from '../../actors/twin.js';
import { LocalFrame } from '../../core/geo.js';
import { SimWorld, createSimVehiclePort } from '../../hardware/sim/index.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';
import { createBridgeServer, type BridgeServer, type BridgeServerOptions } from '../../bridge/index.js';
import { createAuth } from '../../api/auth/index.js';
import { ISSUER } from '../../api/auth/tokens.js';
import { openStore } from '../../storage/store.js';
import { ROLES, type Role } from '../../storage/users.repository.js';

export const SECRET = new TextEncoder().encode('bridge-test-secret-0123456789abcdef');

/** The user store the production authenticator reads (one per test file, in a temp dir). */
const storeDir = mkdtempSync(join(tmpdir(), 'twin-bridge-users-'));
export const userStore = openStore({ dir: storeDir });
process.once('exit', () => {
  userStore.close();
  rmSync(storeDir, { recursive: true, force: true });
});
/** The production authenticator (api/auth): signature, issuer, expiry, user, role, token version. */
export const productionAuth = createAuth({ store: userStore, secret: SECRET, scrypt: { N: 2 ** 10, r: 8, p: 1 } });

/** What the server is given: api/auth's `verify`, exactly as `twin start` wires it. */
export const authenticate = (token: string) => productionAuth.verify(token);

const SPAN = /^(-?\d+)([smhd])$/;
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A token as `POST /token` issues them, for user `sub` with `role` (the user is created in the
 * store, or given that role, without revoking its earlier tokens). `expiresIn` is `1h`, `-1h`
 * (expired an hour ago), `30s`…; another `secret` signs a token the server must refuse.
 */
export async function makeToken(sub: string, role: string, expiresIn = '1h', secret = SECRET): Promise<string> {
  let tv = 0;
  if ((ROLES as readonly string[]).includes(role)) {
    const user = userStore.users.get(sub);
    if (!user.ok) userStore.users.create({ username: sub, password_hash: 'scrypt$1024$8$1$AA$AA', role: role as Role });
    else if (user.value.role !== role) userStore.db.prepare('UPDATE users SET role = ? WHERE username = ?').run(role, sub);
    const now = userStore.users.get(sub);
    tv = now.ok ? now.value.token_version : 0;
  }
  const m = SPAN.exec(expiresIn);
  if (!m) throw new Error(`makeToken: bad span ${expiresIn}`);
  const now_s = Math.floor(Date.now() / 1000);
  const exp = now_s + Number(m[1]) * UNIT[m[2]!]!;
  return new SignJWT({ role, tv }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer(ISSUER).setIssuedAt(Math.min(now_s, exp - 1)).setExpirationTime(exp).sign(secret);
}

export interface LiveTwin {
  clock: VirtualClock;
  world: SimWorld;
  twin: Twin;
  frame: LocalFrame;
  /** Stops the paced clock run. */
  halt(): Promise<void>;
}

/**
 * A started twin with `vehicles` sim drones whose clock runs paced at `speed`× real time in the
 * background until `halt()` (or `maxWall_ms`, so a forgotten test still ends); with `run` false
 * the clock is left for the test to step.
 */
export async function liveTwin(vehicles = ['drone1'], speed = 20, maxWall_ms = 60_000, run = true): Promise<LiveTwin> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(7), origin: DEFAULT_HOME });
  const ports = vehicles.map((id, i) => {
    world.addVehicle(id, { spawn: { north_m: 0, east_m: i * 10 } });
    return { id, port: createSimVehiclePort(world, id) };
  });
  const twin = createTwin({ clock, origin: DEFAULT_HOME, vehicles: ports });
  world.start();
  let up = false;
  const p = twin.start().then(() => (up = true));
  await clock.run({ stopWhen: () => up, until: 10_000 });
  await p;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), maxWall_ms);
  // run = false: a stepped clock — time moves only when the test calls clock.advance().
  const running = run ? clock.run({ speed, signal: abort.signal, progressEveryMs: 100 }) : Promise.resolve();
  return {
    clock,
    world,
    twin,
    frame: new LocalFrame(DEFAULT_HOME),
    async halt() {
      abort.abort();
      clearTimeout(timer);
      await running;
      await twin.stop();
    },
  };
}

export async function startBridge(twin: Twin, extra: Partial<BridgeServerOptions> = {}): Promise<{ bridge: BridgeServer; url: string }> {
  const bridge = createBridgeServer({ twin, port: 0, authenticate, ...extra });
  const { url } = await bridge.start();
  return { bridge, url };
}

/** A small survey-like mission near home: take off, two waypoints, RTL. */
export function testMission(frame: LocalFrame, vehicle = 'drone1', id = 'm-1') {
  const wp = (north_m: number, east_m: number) => {
    const p = frame.toGeo({ north_m, east_m, down_m: -20 });
    return { kind: 'waypoint' as const, lat_deg: p.lat_deg, lon_deg: p.lon_deg, alt_m: 20 };
  };
  return { id, name: 'bridge test', vehicle, items: [{ kind: 'takeoff' as const, alt_m: 20 }, wp(25, 0), wp(25, 25), { kind: 'rtl' as const }] };
}

/** A raw rosbridge client: JSON out, JSON or CBOR in, everything kept in `received`. */
export class RawClient {
  readonly received: Record<string, unknown>[] = [];
  private waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  binaryFrames = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      let m: Record<string, unknown>;
      if (isBinary) {
        this.binaryFrames++;
        m = cborDecode(buf) as Record<string, unknown>;
      } else m = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
  }

  static async connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    // Listen before 'open': the server's first status can arrive in the same read as the handshake.
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(op: unknown): void {
    this.ws.send(typeof op === 'string' ? op : JSON.stringify(op));
  }

  /** The first message (already received or coming) that matches, or a rejection after `timeout_ms`. */
  next(pred: (m: Record<string, unknown>) => boolean, timeout_ms = 5_000, from = 0): Promise<Record<string, unknown>> {
    const seen = this.received.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message within ${timeout_ms} ms; got ${JSON.stringify(this.received.slice(-3))}`)), timeout_ms);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  /** Sends `op` and waits for the next status op (with the op's id when it has one). */
  async expectStatus(op: unknown, timeout_ms = 3_000): Promise<Record<string, unknown>> {
    const from = this.received.length;
    const id = op && typeof op === 'object' && 'id' in op ? String((op as { id: unknown }).id) : undefined;
    this.send(op);
    return this.next((m) => m.op === 'status' && (id === undefined || m.id === id), timeout_ms, from);
  }

  ofTopic(topic: string): Record<string, unknown>[] {
    return this.received.filter((m) => m.op === 'publish' && m.topic === topic);
  }

  close(): void {
    this.ws.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
