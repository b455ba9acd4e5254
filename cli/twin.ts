#!/usr/bin/env node
/**
 * The `twin` command line.
 *
 *   twin run <scenario...> [--seed N] [--speed max|<factor>] [--report out.json] [--junit out.xml] [--events out.jsonl]
 *   twin start [scenario]          the default fleet, in real time, with a live status view
 *   twin validate <scenario...>    check files against the schema, with file:line: path: reason
 *   twin schema                    print the scenario JSON Schema (for editors)
 *
 * Exit codes: 0 all expectations held; 1 an expectation failed; 2 bad input (file, flags).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { loadScenarioFile, formatIssues } from '../actors/scenario/scenario.loader.js';
import { runScenario, type ScenarioReport } from '../actors/scenario/scenario.runner.js';
import type { Twin } from '../actors/twin.js';
import { backendFor, sensorPortFactory, slamPortFactory } from './compose.js';
import { hpcEndpoint } from './hpc-endpoint.js';
import { randomUUID } from 'node:crypto';
import { openStore, dataDir } from '../storage/store.js';
import { storeScenarioRun } from '../storage/run-recorder.js';
import { runSitlCommand } from '../hardware/sim/sitl/index.js';
import { ScenarioSchema } from '../actors/scenario/scenario.schema.js';
import { createLogger } from '../core/logger.js';
import { junitXml, summaryTable } from './report-format.js';
import { exitWhenDrained } from './exit-backstop.js';
import { startLiveView } from './live-view.js';
import { registerMissionCommand } from './mission-command.js';
import { registerUserCommand } from './user-command.js';
import { registerFuzzCommand } from './fuzz-command.js';
import { declaresInvariants, runChecked } from '../testing/run-checked.js';
import { registerReplayCommand } from './replay-command.js';
import { registerHpcCommand } from './hpc-command.js';
import { chunkBytesFromEnv, openRunRecording, recordPathFor, type RunRecording } from './record-option.js';
import { openRosSession } from './ros-option.js';
import { openGzTwinSession } from '../hardware/sim/gazebo/gz-twin-session.js';
import { gazeboClockTopic, type GazeboClock } from '../hardware/sim/gazebo/gazebo-clock.adapter.js';
import { gzSensorFactory, loadGzSensorsConfig } from '../hardware/sim/gazebo/gz-sensors-config.js';

/** Aborts on SIGINT/SIGTERM until disposed (`--gz-world` waiting for Gazebo's first Clock). */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

export { backendFor } from './compose.js';

const here = dirname(fileURLToPath(import.meta.url));
/** scenarios/ of the package, whether running from source or from dist/. */
export const SCENARIO_DIR = resolve(here, here.endsWith('/dist/cli') ? '../../scenarios' : '../scenarios');
/** The package's version, from its package.json. */
export const VERSION: string = (JSON.parse(readFileSync(resolve(here, here.endsWith('/dist/cli') ? '../../package.json' : '../package.json'), 'utf8')) as { version: string }).version;

const parseSpeed = (v: string): number => {
  if (v === 'max') return Infinity;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected 'max' or a positive factor (1 = real time)");
  return n;
};
const parsePort = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port 0..65535 (0 = any free port)');
  return n;
};
const parseSeconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
};
const parseSeed = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1) throw new InvalidArgumentError('expected an integer 0..4294967295');
  return n;
};

async function writeOut(path: string, text: string): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, text);
}

interface RunFlags {
  seed?: number;
  speed: number;
  report?: string;
  junit?: string;
  events?: string;
  quiet?: boolean;
  vehicle: string;
  store?: boolean;
  connectTimeout?: number;
  record?: string;
  hpc?: string;
  ros?: boolean;
  rosConfig?: string;
  gzWorld?: string;
  gzClockTopic?: string;
  gzClockTimeout?: number;
  gzSensors?: string;
}

async function runCommand(files: string[], flags: RunFlags): Promise<number> {
  const backend = backendFor(flags.vehicle, flags.speed);
  if (typeof backend === 'string') {
    process.stderr.write(`${backend}\n`);
    return 2;
  }
  const logger = createLogger();
  // --ros: the twin joins the ROS graph (ROS_MASTER_URI, or a sourced ROS 2).
  const ros = flags.ros || flags.rosConfig ? await openRosSession({ ...(flags.rosConfig ? { configFile: flags.rosConfig } : {}), logger }) : undefined;
  if (typeof ros === 'string') {
    process.stderr.write(`twin: ${ros}\n`);
    return 2;
  }
  // --gz-world / --gz-clock-topic: each scenario runs on Gazebo's time (0 at its first Clock);
  // --gz-sensors: declared sensors fed by Gazebo topics.
  const gzClock = flags.gzWorld !== undefined || flags.gzClockTopic !== undefined;
  const gzSensors = flags.gzSensors !== undefined ? await loadGzSensorsConfig(flags.gzSensors) : undefined;
  if (gzSensors && !gzSensors.ok) {
    process.stderr.write(`twin: --gz-sensors: ${gzSensors.error.message}\n`);
    await ros?.close();
    return 2;
  }
  const gz = gzClock || gzSensors ? await openGzTwinSession({ logger }) : undefined;
  if (gz && !gz.ok) {
    process.stderr.write(`twin: --gz: ${gz.error.code}: ${gz.error.message}\n`);
    await ros?.close();
    return 2;
  }
  const gzBase = gz?.ok && gzSensors?.ok ? gzSensorFactory(gz.value.node, gzSensors.value, sensorPortFactory) : sensorPortFactory;
  const gzTopic = gazeboClockTopic({ ...(flags.gzWorld !== undefined ? { world: flags.gzWorld } : {}), ...(flags.gzClockTopic !== undefined ? { topic: flags.gzClockTopic } : {}) });
  const reports: ScenarioReport[] = [];
  const tty = process.stderr.isTTY && !flags.quiet;
  // Runs go to the same store the REST API serves (`GET /runs`), in TWIN_DATA_DIR.
  const store = flags.store ? openStore({ dir: dataDir() }) : undefined;
  // after_mission.hpc: --hpc / TWIN_HPC_URL, else an embedded service started on first use.
  const hpc = hpcEndpoint({ url: flags.hpc ?? process.env.TWIN_HPC_URL, logger });
  try {
    for (const file of files) {
      const loaded = await loadScenarioFile(file);
      if (!loaded.ok) {
        process.stderr.write(`${loaded.error.message}\n`);
        return 2;
      }
      const scenario = loaded.value;
      const bar = tty
        ? new cliProgress.SingleBar(
            { format: `${scenario.name} [{bar}] {value}/{total} sim s  {speed}`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      bar?.start(scenario.duration_s, 0, { speed: '' });
      const wallStart = performance.now();
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once('SIGINT', onSigint);
      let recording: RunRecording | undefined;
      if (flags.record) {
        const opened = await openRunRecording(recordPathFor(flags.record, scenario.name, files.length > 1), {
          logger,
          metadata: { scenario: scenario.name, seed: String(flags.seed ?? scenario.seed), file },
          ...(chunkBytesFromEnv() ? { chunkBytes: chunkBytesFromEnv() } : {}),
        });
        if (typeof opened === 'string') {
          process.stderr.write(`twin: --record: ${opened}\n`);
          return 2;
        }
        recording = opened;
      }
      let clock: GazeboClock | undefined;
      if (gz?.ok && gzClock) {
        process.stderr.write(`gazebo clock: waiting for ${gzTopic}\n`);
        const followed = await gz.value.followClock({
          topic: gzTopic,
          onError: (e) => process.stderr.write(`twin: gazebo clock: ${e.code}: ${e.message}\n`),
          signal: AbortSignal.any([AbortSignal.timeout((flags.gzClockTimeout ?? 30) * 1000), ac.signal]),
        });
        if (!followed.ok) {
          process.stderr.write(`twin: --gz-world: ${followed.error.code}: ${followed.error.message}\n`);
          process.off('SIGINT', onSigint);
          await recording?.close();
          return 1;
        }
        clock = followed.value;
        process.stderr.write(`gazebo clock: ${gzTopic} at sim ${(clock.simNow() / 1000).toFixed(3)} s = ${scenario.name} t 0 s\n`);
      }
      // A scenario with a `fuzz:` block (a minimal failing case among them) is judged by the invariants too.
      const { report, log } = await (declaresInvariants(scenario) ? runChecked : runScenario)(scenario, {
        seed: flags.seed,
        speed: flags.speed,
        backend,
        sensorFactory: ros ? ros.sensorFactory(gzBase) : gzBase,
        slamFactory: ros ? ros.slamFactory(slamPortFactory) : slamPortFactory,
        ...(clock ? { clock } : {}),
        hpc: hpc.provide,
        logger,
        file,
        signal: ac.signal,
        ...(backend.time ? { time: backend.time } : {}),
        ...(flags.connectTimeout !== undefined ? { connectTimeout_s: flags.connectTimeout } : {}),
        ...(recording?.sink ? { blobs: recording.sink } : {}),
        ...(recording || ros ? { onTwin: (twin: Twin) => { recording?.attach(twin); ros?.attach(twin); } } : {}),
        onProgress: bar
          ? (t) => bar.update(Math.round(t), { speed: `${(t / Math.max((performance.now() - wallStart) / 1000, 1e-3)).toFixed(0)}x` })
          : undefined,
      });
      process.off('SIGINT', onSigint);
      clock?.dispose();
      if (recording) {
        const closed = await recording.close();
        process.stderr.write(`${closed.line}\n`);
        if (!closed.ok) return 2;
      }
      report.wallSeconds = (performance.now() - wallStart) / 1000;
      bar?.stop();
      reports.push(report);
      if (!flags.quiet) process.stdout.write(`${summaryTable(report, process.stdout.isTTY)}\n\n`);
      if (flags.events) await writeOut(files.length > 1 ? flags.events.replace(/(\.\w+)?$/, `.${scenario.name}$1`) : flags.events, log.toJsonl());
      if (store) {
        const id = `${scenario.name}-${report.seed}-${randomUUID().slice(0, 8)}`;
        const saved = storeScenarioRun(store, id, { report, log });
        if (saved.ok) process.stderr.write(`stored run ${id} in ${store.dir}\n`);
        else process.stderr.write(`twin: run not stored: ${saved.error.code}: ${saved.error.message}\n`);
      }
    }
  } finally {
    store?.close();
    await hpc.close();
    await ros?.close();
    if (gz?.ok) await gz.value.close();
  }
  if (flags.report) await writeOut(flags.report, JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
  if (flags.junit) await writeOut(flags.junit, junitXml(reports));
  return reports.every((r) => r.passed) ? 0 : 1;
}

export function buildProgram(): Command {
  const program = new Command('twin')
    .description('OverWatch Twin: actor-model, simulation-first digital twin runtime for drone operations')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();

  program
    .command('run')
    .description('run scenario files and check their expectations (exit 0 iff all hold)')
    .argument('<scenario...>', 'scenario YAML files')
    .option('--seed <n>', 'override the scenario seed', parseSeed)
    .addOption(new Option('--speed <factor>', "sim seconds per wall second, or 'max'").default(Infinity, 'max').argParser(parseSpeed))
    .option('--report <file>', 'write the JSON report')
    .option('--junit <file>', 'write JUnit XML')
    .option('--events <file>', 'write the event log as JSON lines')
    .option('--record <file>', 'record telemetry, events, images and point clouds to an MCAP file (Foxglove; twin replay)')
    .option('--store', 'keep the report and event log in the store (TWIN_DATA_DIR), served at GET /runs')
    .option('--vehicle <kind>', "'sim' (in-process simulator), 'sitl' (built-in MAVLink SITL over loopback) or a connection URL (udpin://0.0.0.0:14540 for PX4 SITL)", 'sim')
    .option('--connect-timeout <s>', 'seconds allowed for the vehicles to connect; past it the run fails (default 60)', parseSeconds)
    .option('--hpc <host:port>', 'HPC service for after_mission.hpc (default TWIN_HPC_URL, else an embedded one on loopback)')
    .option('--ros', 'join the ROS graph (ROS 1 at ROS_MASTER_URI, else a sourced ROS 2): vehicle topics and mission services; run at --speed 1 for a live graph')
    .option('--ros-config <file>', 'ROS topics, namespaces and inputs (YAML/JSON, see ros/README.md); implies --ros')
    .option('--gz-world <world>', 'run each scenario on Gazebo\'s sim time: /world/<world>/clock (0 at its first Clock; ends at duration_s of Gazebo time)')
    .option('--gz-clock-topic <topic>', 'follow this Clock topic instead (e.g. /clock)')
    .option('--gz-clock-timeout <s>', 'seconds to wait for the first Clock message (default 30)', parseSeconds)
    .option('--gz-sensors <file>', 'Gazebo camera/gpu_lidar topics feeding declared sensors (YAML/JSON, see hardware/sim/gazebo/README.md)')
    .option('-q, --quiet', 'no table, no progress bar')
    .action(async (files: string[], flags: RunFlags) => {
      process.exitCode = await runCommand(files, flags);
    });

  program
    .command('start')
    .description('fly the default fleet scenario in real time: live terminal view, dashboard + REST API (TWIN_HTTP_PORT, 8080) and rosbridge (TWIN_BRIDGE_PORT, 9090) on TWIN_HOST (127.0.0.1); Ctrl-C to stop')
    .argument('[scenario]', 'scenario file', resolve(SCENARIO_DIR, 'fleet.yaml'))
    .addOption(new Option('--speed <factor>', 'sim seconds per wall second').default(1).argParser(parseSpeed))
    .option('--no-services', 'terminal view only: no REST API, dashboard or bridge')
    .option('--inspect <ws-url>', 'stream actor events to a Stately inspector WebSocket (e.g. ws://localhost:8080)')
    .option('--vehicle <kind>', "'sim', 'sitl' or a connection URL for real vehicles (udpin://0.0.0.0:14540, serial://…)", 'sim')
    .option('--resume', 'restore the missions the last session (same data directory) left loaded, running or paused')
    .option('--connect-timeout <s>', 'seconds allowed for the vehicles to connect; past it twin start stops with exit 1 (default 60)', parseSeconds)
    .option('--record <file>', 'record the session to an MCAP file (Foxglove; twin replay); closed on Ctrl-C')
    .option('--gz', 'publish the vehicles\' poses on Gazebo transport (partition IGN_PARTITION / GZ_PARTITION): /model/<vehicle>/pose, /twin/pose/info')
    .option('--gz-world <world>', 'run the twin on Gazebo\'s sim time: its clock follows /world/<world>/clock (0 at the first Clock, paused when Gazebo pauses); implies --gz')
    .option('--gz-clock-topic <topic>', 'follow this Clock topic instead (e.g. /clock); implies --gz')
    .option('--gz-clock-timeout <s>', 'seconds to wait for the first Clock message (default 30)', parseSeconds)
    .option('--gz-sensors <file>', 'Gazebo camera (Image) and gpu_lidar (PointCloudPacked) topics feeding the vehicles\' declared sensors (YAML/JSON: vehicles.<id>.camera|lidar: topic, see hardware/sim/gazebo/README.md); implies --gz')
    .option('--ros', 'join the ROS graph (ROS 1 at ROS_MASTER_URI, else a sourced ROS 2): vehicle topics, TF, mission services, ROS-fed ports')
    .option('--ros-config <file>', 'ROS topics, namespaces and inputs (YAML/JSON, see ros/README.md); implies --ros')
    .action(async (file: string, flags: { speed: number; services: boolean; inspect?: string; vehicle: string; resume?: boolean; connectTimeout?: number; record?: string; gz?: boolean; gzWorld?: string; gzClockTopic?: string; gzClockTimeout?: number; gzSensors?: string; ros?: boolean; rosConfig?: string }) => {
      const backend = backendFor(flags.vehicle, flags.speed);
      if (typeof backend === 'string') {
        process.stderr.write(`${backend}\n`);
        process.exitCode = 2;
        return;
      }
      const gzClock = flags.gzWorld !== undefined || flags.gzClockTopic !== undefined;
      const gzSensors = flags.gzSensors !== undefined ? await loadGzSensorsConfig(flags.gzSensors) : undefined;
      if (gzSensors && !gzSensors.ok) {
        process.stderr.write(`twin: --gz-sensors: ${gzSensors.error.message}\n`);
        process.exitCode = 2;
        return;
      }
      const gz = flags.gz || gzClock || gzSensors ? await openGzTwinSession() : undefined;
      if (gz && !gz.ok) {
        process.stderr.write(`twin: --gz: ${gz.error.code}: ${gz.error.message}\n`);
        process.exitCode = 2;
        return;
      }
      if (gz?.ok) process.stdout.write(`gazebo transport: partition ${gz.value.node.partition}, ${gz.value.node.address}\n`);
      let clock: GazeboClock | undefined;
      if (gz?.ok && gzClock) {
        const topic = gazeboClockTopic({ ...(flags.gzWorld !== undefined ? { world: flags.gzWorld } : {}), ...(flags.gzClockTopic !== undefined ? { topic: flags.gzClockTopic } : {}) });
        process.stdout.write(`gazebo clock: waiting for ${topic}\n`);
        const interrupted = interruptSignal();
        const followed = await gz.value.followClock({
          topic,
          onError: (e) => process.stderr.write(`twin: gazebo clock: ${e.code}: ${e.message}\n`),
          signal: AbortSignal.any([AbortSignal.timeout((flags.gzClockTimeout ?? 30) * 1000), interrupted.signal]),
        });
        interrupted.dispose();
        if (!followed.ok) {
          process.stderr.write(`twin: --gz-world: ${followed.error.code}: ${followed.error.message}\n`);
          await gz.value.close();
          process.exitCode = 1;
          return;
        }
        clock = followed.value;
        process.stdout.write(`gazebo clock: ${topic} at sim ${(clock.simNow() / 1000).toFixed(3)} s = twin t 0 s\n`);
      }
      const ros = flags.ros || flags.rosConfig ? await openRosSession({ ...(flags.rosConfig ? { configFile: flags.rosConfig } : {}), logger: createLogger() }) : undefined;
      if (typeof ros === 'string') {
        process.stderr.write(`twin: ${ros}\n`);
        if (gz?.ok) await gz.value.close();
        process.exitCode = 2;
        return;
      }
      if (ros) process.stdout.write(`ros: node ${ros.node.name} (${ros.node.dialect === 'ros1' ? `ROS 1, master ${process.env.ROS_MASTER_URI}` : 'ROS 2'})\n`);
      // --gz-sensors: the configured sensors from Gazebo topics, the rest as usual (ROS-fed ones first).
      const gzBase = gz?.ok && gzSensors?.ok ? gzSensorFactory(gz.value.node, gzSensors.value, sensorPortFactory) : sensorPortFactory;
      process.exitCode = await startLiveView(file, {
        ...(gz?.ok || ros
          ? {
              onTwin: (twin: Twin) => {
                if (gz?.ok) void gz.value.attach(twin);
                ros?.attach(twin);
              },
            }
          : {}),
        ...(ros ? { sensorFactory: ros.sensorFactory(gzBase), slamFactory: ros.slamFactory(slamPortFactory), onServices: (s) => ros.setBlobs(s.blobReader) } : gzSensors?.ok ? { sensorFactory: gzBase } : {}),
        speed: flags.speed,
        ...(clock ? { clock } : {}),
        services: flags.services,
        inspectUrl: flags.inspect,
        backend,
        resume: flags.resume ?? false,
        ...(flags.record ? { record: flags.record } : {}),
        ...(flags.connectTimeout !== undefined ? { connectTimeout_s: flags.connectTimeout } : {}),
      });
      if (gz?.ok) await gz.value.close();
      await ros?.close();
    });

  program
    .command('sitl')
    .description('start N simulated PX4-like vehicles on the PX4 SITL ports (API 14540+i, GCS 14550) for QGroundControl or MAVSDK')
    .option('--count <n>', 'number of vehicles', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 254) throw new InvalidArgumentError('expected 1..254');
      return n;
    }, 1)
    .addOption(new Option('--speed <factor>', 'sim seconds per wall second (PX4_SIM_SPEED_FACTOR)').default(1).argParser(parseSpeed))
    .option('--seed <n>', 'simulation seed', parseSeed, 1)
    .option('--host <addr>', 'address to bind and send to', '127.0.0.1')
    .option('--api-port <port>', 'instance i sends its API link to this port + i (MAVSDK: udpin://0.0.0.0:14540)', parsePort, 14540)
    .option('--api-local-port <port>', 'instance i binds this port + i for its API link', parsePort, 14580)
    .option('--gcs-port <port>', 'every instance sends its GCS link here (QGroundControl listens on 14550)', parsePort, 14550)
    .option('--gcs-local-port <port>', 'instance i binds this port + i for its GCS link', parsePort, 18570)
    .option('--camera <profile>', 'camera profile of each vehicle\'s MAVLink camera component (100)', 'generic-mavlink-camera')
    .option('--no-camera', 'no MAVLink camera component')
    .action(async (flags: { count: number; speed: number; seed: number; host: string; apiPort: number; apiLocalPort: number; gcsPort: number; gcsLocalPort: number; camera: string | false }) => {
      if (!Number.isFinite(flags.speed)) throw new InvalidArgumentError('--speed must be a finite factor for the SITL');
      await runSitlCommand({
        count: flags.count,
        speed: flags.speed,
        seed: flags.seed,
        host: flags.host,
        apiRemotePortBase: flags.apiPort,
        apiLocalPortBase: flags.apiLocalPort,
        gcsRemotePort: flags.gcsPort,
        gcsLocalPortBase: flags.gcsLocalPort,
        camera: flags.camera,
        logger: createLogger(),
      });
    });

  registerMissionCommand(program);
  registerUserCommand(program);

  program
    .command('validate')
    .description('check scenario files against the schema')
    .argument('<scenario...>', 'scenario YAML files')
    .action(async (files: string[]) => {
      let bad = 0;
      for (const file of files) {
        const r = await loadScenarioFile(file);
        if (r.ok) process.stdout.write(`${file}: ok (${r.value.vehicles.length} vehicles, ${r.value.expect.length} expectations)\n`);
        else {
          bad++;
          process.stderr.write(`${formatIssues(r.issues ?? [])}\n`);
        }
      }
      process.exitCode = bad ? 2 : 0;
    });

  program
    .command('schema')
    .description('print the scenario JSON Schema')
    .action(() => {
      const schema = z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' });
      process.stdout.write(`${JSON.stringify({ title: 'OverWatch Twin scenario', ...schema }, null, 2)}\n`);
    });
  registerFuzzCommand(program);
  registerReplayCommand(program);
  registerHpcCommand(program);
  return program;
}

/**
 * Runs the command line on `argv` (`process.argv` shape) and returns the exit code: 0 success,
 * 1 an expectation failed, 2 bad input. Commander's help and `--version` exit 0.
 */
export async function main(argv: readonly string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync([...argv]);
    return Number(process.exitCode ?? 0);
  } catch (error: unknown) {
    const e = error as { code?: string; exitCode?: number; message?: string };
    if (e.code?.startsWith('commander.')) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    process.stderr.write(`twin: ${e.message ?? String(error)}\n`);
    return 2;
  }
}

/** `node dist/cli/twin.js …` still works (also through a symlink); the package's bin is cli/bin.ts. */
const isMain = (): boolean => {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
};
if (isMain()) {
  process.exitCode = await main(process.argv);
  exitWhenDrained(process.exitCode, createLogger(process.env.TWIN_LOG_LEVEL ?? 'warn'));
}
