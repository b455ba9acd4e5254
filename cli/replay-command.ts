/**
 * `twin replay <file.mcap> [--speed F] [--port P] [--hold] [--partial]`: serves a recording
 * through the rosbridge server as if it were live. A roslibjs client subscribed to
 * `/<vehicle>/pose`, `/<vehicle>/battery`, `/mission/status`… receives the recorded messages at
 * their recorded times (scaled by `--speed`); commands are refused (`REPLAY.READ_ONLY`).
 *
 * Tokens are checked as `twin start` checks them (api/auth over the store in TWIN_DATA_DIR, the
 * same signing key), so the dashboard's login works against a replay too.
 */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { createAuthenticator, loadOrCreateSecret } from '../api/auth/index.js';
import { createBridgeServer, type Authenticate, type SensorDirectory, type SensorEntry } from '../bridge/index.js';
import { createLogger, type Logger } from '../core/logger.js';
import { fail, ok, type Result } from '../core/result.js';
import { createReplayTwin, readRecording, ReplayClock, replayMessages, type Recording, type ReplayOutcome, type ReplayTwin } from '../recording/index.js';
import type { SensorKind } from '../hardware/sensor.port.js';
import { dataDir, openStore } from '../storage/store.js';

export interface ReplayServerOptions {
  readonly file: string;
  /** Recorded seconds per wall second; Infinity = as fast as possible. Default 1. */
  readonly speed?: number;
  readonly host?: string;
  /** Bridge TCP port; 0 = any free one. Default 9090. */
  readonly port?: number;
  readonly authenticate: Authenticate;
  /** Replay the complete part of a recording whose writer did not close it. */
  readonly partial?: boolean;
  readonly logger?: Logger;
}

export interface ReplayServer {
  readonly url: string;
  readonly recording: Recording;
  /** Starts playing; resolves when every message went out (or `stop`). */
  play(options?: { onProgress?: (t_ms: number) => void }): Promise<ReplayOutcome>;
  stop(): Promise<void>;
}

/** Reads `file`, starts a bridge over a read-only twin; `RECORDING.*` failures as values. */
export async function startReplayServer(options: ReplayServerOptions): Promise<Result<ReplayServer, string>> {
  const read = await readRecording(options.file);
  if (!read.ok) return read;
  const recording = read.value;
  if (recording.truncated && !options.partial)
    return fail(
      'RECORDING.TRUNCATED',
      `${options.file}: ${recording.note ?? 'no footer'}; its ${recording.messages.length} complete messages can be replayed with --partial`,
    );
  const clock = new ReplayClock();
  const twin = createReplayTwin({ vehicles: recording.vehicles, clock });
  const sensors = replaySensors(recording, twin);
  const bridge = createBridgeServer({
    twin,
    // The recorded sensors' topics, their images and points read from the recording itself.
    ...(sensors.list().length ? { sensors, blobs: recording.blobs } : {}),
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 9090,
    authenticate: options.authenticate,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let url: string;
  try {
    ({ url } = await bridge.start());
  } catch (error) {
    return fail('REPLAY.LISTEN', `bridge: ${(error as Error).message}`, { cause: error });
  }
  const stopped = new AbortController();
  return ok({
    url,
    recording,
    play: (play = {}) =>
      replayMessages(recording.messages, (topic, msg) => twin.publish(topic, msg), clock, {
        speed: options.speed ?? 1,
        signal: stopped.signal,
        ...(play.onProgress ? { onProgress: play.onProgress } : {}),
      }),
    async stop() {
      stopped.abort();
      await bridge.stop();
    },
  });
}

const SENSOR_TOPIC = /^\/([^/]+)\/([^/]+)\/(capture|scan|health)$/;

/** The sensors a recording holds (from their capture, scan and health topics); read-only. */
function replaySensors(recording: Recording, twin: ReplayTwin): SensorDirectory {
  const entries = new Map<string, SensorEntry>();
  for (const m of recording.messages) {
    const match = SENSOR_TOPIC.exec(m.busTopic);
    if (!match) continue;
    const [, vehicle, id, what] = match as unknown as [string, string, string, string];
    const declared = (m.msg as { kind?: unknown }).kind;
    const kind: SensorKind | undefined = what === 'capture' ? 'camera' : what === 'scan' ? 'lidar' : declared === 'camera' || declared === 'lidar' ? declared : undefined;
    if (kind && !entries.has(`${vehicle}/${id}`)) entries.set(`${vehicle}/${id}`, { vehicle, id, kind });
  }
  const refuse = async () => fail('REPLAY.READ_ONLY', 'replay is read-only: the recording cannot be commanded');
  return {
    list: () => [...entries.values()],
    health: (vehicle, sensor) => {
      const s = twin.sensors(vehicle).find((x) => x.sensor === sensor);
      return s ? { t_ms: twin.clock.now(), state: s.health, count: s.count, lost: s.lost, machine_state: s.state, ...(s.health_message ? { message: s.health_message } : {}) } : undefined;
    },
    capture: refuse,
    configure: refuse,
  };
}

const parseSpeed = (v: string): number => {
  if (v === 'max') return Infinity;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected 'max' or a positive factor (1 = as recorded)");
  return n;
};
const parsePort = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port 0..65535 (0 = any free port)');
  return n;
};

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('serve an MCAP recording (twin run/start --record) through the rosbridge WebSocket as if live; Ctrl-C to stop')
    .argument('<file>', 'the .mcap file')
    .addOption(new Option('--speed <factor>', "recorded seconds per wall second, or 'max'").default(1).argParser(parseSpeed))
    .option('--port <port>', 'bridge port (TWIN_BRIDGE_PORT, 9090)', parsePort)
    .option('--hold', 'keep serving (latched state) after the last message, until Ctrl-C')
    .option('--partial', 'replay the complete part of a recording whose writer did not close it')
    .action(async (file: string, flags: { speed: number; port?: number; hold?: boolean; partial?: boolean }) => {
      process.exitCode = await replayCommand(file, flags);
    });
}

async function replayCommand(file: string, flags: { speed: number; port?: number; hold?: boolean; partial?: boolean }): Promise<number> {
  const logger = createLogger();
  const envPort = process.env.TWIN_BRIDGE_PORT;
  const port = flags.port ?? (envPort ? Number(envPort) : 9090);
  const store = openStore({ dir: dataDir() });
  try {
    const secret = loadOrCreateSecret(store.dir);
    const auth = createAuthenticator({ store, secret: secret.key });
    const started = await startReplayServer({
      file,
      speed: flags.speed,
      port,
      host: process.env.TWIN_HOST ?? '127.0.0.1',
      authenticate: (token) => auth.verify(token),
      partial: flags.partial ?? false,
      logger,
    });
    if (!started.ok) {
      process.stderr.write(`twin replay: ${started.error.code}: ${started.error.message}\n`);
      return 2;
    }
    const server = started.value;
    const r = server.recording;
    const span = ((r.messages.at(-1)!.t_ms - r.messages[0]!.t_ms) / 1000).toFixed(1);
    process.stderr.write(
      `replaying ${file}: ${r.messages.length} messages, ${span} s, vehicles ${r.vehicles.join(', ') || '(none)'}` +
        `${r.truncated ? ' (partial: the file has no footer)' : ''} at ${Number.isFinite(flags.speed) ? `${flags.speed}x` : 'full speed'} on ${server.url}\n`,
    );
    const onSigint = () => void server.stop();
    process.once('SIGINT', onSigint);
    const outcome = await server.play();
    process.stderr.write(`replayed ${outcome.published} messages${outcome.aborted ? ' (stopped)' : ''}\n`);
    if (flags.hold && !outcome.aborted) await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    process.off('SIGINT', onSigint);
    await server.stop();
    return 0;
  } finally {
    store.close();
  }
}
