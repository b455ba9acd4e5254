/**
 * Against a real PX4 v1.15 SITL (SIH quadcopter, started here from PX4_DIR; speed 1):
 *
 * 1. Mission upload of 10 / 100 / 500 waypoints through the twin's MAVLink adapter
 *    (`port.uploadMission`) beside a minimal client written here on node-mavlink (bare mission
 *    protocol: MISSION_COUNT, answer each MISSION_REQUEST_INT / MISSION_REQUEST with a
 *    MISSION_ITEM_INT, wait for MISSION_ACK). Both talk to the same PX4 over the same API link
 *    (one at a time: PX4 answers the last sender), in interleaved rounds; medians and the ratio.
 * 2. The twin's CPU per vehicle (process.cpuUsage over wall time) while it flies a short mission
 *    on 1 and on 3 PX4 instances through the scenario runner, beside an idle baseline: the same
 *    twin connected to the same vehicles, telemetry streaming, nothing flying.
 *
 * Run: `npm run build && npx tsc -p scripts/px4/tsconfig.json && PX4_DIR=/path/to/PX4-Autopilot
 *       node dist/bench/px4-upload.bench.js [rounds=5]`   (PX4_BENCH_INSTANCES, default 0-2).
 * Without PX4_DIR it prints "skipped" and exits 0.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { common, MavLinkPacketParser, MavLinkPacketSplitter, MavLinkProtocolV2, type MavLinkPacket } from 'node-mavlink';
import { WallClock } from '../core/clock.js';
import type { MissionItem } from '../core/mission.js';
import { createMavlinkVehiclePort } from '../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import { loadScenarioFile } from '../actors/scenario/scenario.loader.js';
import { linkBackend, runScenario } from '../actors/scenario/scenario.runner.js';
import { startPx4Fleet, type Px4Fleet } from '../scripts/px4/px4-fleet.js';
import { resolvePx4Build } from '../scripts/px4/px4-launcher.js';

/** Where the bench's PX4 starts (the twin's default home, Zürich Irchel park; SIH's own is near Montreal). */
const HOME = { lat_deg: 47.397742, lon_deg: 8.545594 };
const SIZES = [10, 100, 500] as const;
const SETTLE_MS = Number(process.env.PX4_BENCH_SETTLE_MS ?? 3_000);
const rounds = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function instancesFromEnv(): number[] {
  const v = process.env.PX4_BENCH_INSTANCES ?? '0-2';
  const m = /^(\d)-(\d)$/.exec(v);
  return m ? Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i) : v.split(',').map(Number);
}

/** n waypoints on a 20 × 25 grid, 10 m apart, 30 m above home: inside any sane distance limit. */
function waypoints(n: number): MissionItem[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'waypoint' as const,
    lat_deg: HOME.lat_deg + (Math.floor(i / 25) * 10) / 111_320,
    lon_deg: HOME.lon_deg + ((i % 25) * 10) / (111_320 * Math.cos((HOME.lat_deg * Math.PI) / 180)),
    alt_m: 30,
    hold_s: 0,
    acceptance_m: 2,
    capture: false,
  })) as MissionItem[];
}

/**
 * The minimal client: one UDP socket bound where PX4's API link sends, the bare upload exchange,
 * nothing else (no retries beyond re-sending MISSION_COUNT once a second while unanswered).
 */
async function minimalUpload(port: number, px4Port: number, items: readonly MissionItem[]): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(port, '0.0.0.0', r));
  const splitter = new MavLinkPacketSplitter();
  const parser = new MavLinkPacketParser();
  splitter.pipe(parser);
  sock.on('message', (b) => splitter.write(b));
  const proto = new MavLinkProtocolV2(255, 190);
  let seq = 0;
  const send = (m: InstanceType<typeof common.MissionCount> | InstanceType<typeof common.MissionItemInt>) => sock.send(proto.serialize(m, seq++ & 0xff), px4Port, '127.0.0.1');
  const item = (i: number) => {
    const it = items[i]!;
    const m = new common.MissionItemInt();
    m.targetSystem = 1;
    m.targetComponent = 1;
    m.seq = i;
    m.frame = common.MavFrame.GLOBAL_RELATIVE_ALT_INT;
    m.command = common.MavCmd.NAV_WAYPOINT;
    m.current = 0;
    m.autocontinue = 1;
    m.param1 = 0;
    m.param2 = 2;
    m.param3 = 0;
    m.param4 = NaN;
    m.x = Math.round((it as { lat_deg: number }).lat_deg * 1e7);
    m.y = Math.round((it as { lon_deg: number }).lon_deg * 1e7);
    m.z = (it as { alt_m: number }).alt_m;
    m.missionType = common.MavMissionType.MISSION;
    return m;
  };
  try {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      let answered = false;
      const count = new common.MissionCount();
      count.targetSystem = 1;
      count.targetComponent = 1;
      count.count = items.length;
      count.missionType = common.MavMissionType.MISSION;
      const resend = setInterval(() => {
        if (!answered) send(count);
      }, 1_000);
      const timeout = setTimeout(() => {
        clearInterval(resend);
        reject(new Error('minimal client: no MISSION_ACK within 20 s'));
      }, 20_000);
      parser.on('data', (p: MavLinkPacket) => {
        if (p.header.sysid !== 1 || p.header.compid !== 1) return;
        if (p.header.msgid === 51 || p.header.msgid === 40) {
          answered = true;
          const r = p.protocol.data(p.payload, p.header.msgid === 51 ? common.MissionRequestInt : common.MissionRequest);
          if (r.targetSystem === 255 && r.missionType === common.MavMissionType.MISSION) send(item(r.seq));
        } else if (p.header.msgid === 47) {
          const a = p.protocol.data(p.payload, common.MissionAck);
          if (a.targetSystem !== 255 || a.missionType !== common.MavMissionType.MISSION) return;
          clearInterval(resend);
          clearTimeout(timeout);
          if (a.type === common.MavMissionResult.ACCEPTED) resolve();
          else reject(new Error(`minimal client: MISSION_ACK ${a.type}`));
        }
      });
      send(count);
    });
    return performance.now() - t0;
  } finally {
    splitter.unpipe(parser);
    splitter.destroy();
    parser.destroy();
    await new Promise<void>((r) => sock.close(() => r()));
  }
}

/** The twin's adapter: a fresh port (connected, untimed), then the timed upload. */
async function adapterUpload(url: string, items: readonly MissionItem[]): Promise<number> {
  const port = createMavlinkVehiclePort({ id: 'bench', url, clock: new WallClock() });
  try {
    const c = await port.connect();
    if (!c.ok) throw new Error(`adapter connect: ${c.error.code} ${c.error.message}`);
    // Let the after-connect traffic (stream rates, HOME_POSITION, events metadata) settle first:
    // an operator uploads some time after connecting; the minimal client has none of it.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const t0 = performance.now();
    const r = await port.uploadMission(items);
    const dt = performance.now() - t0;
    if (!r.ok) throw new Error(`adapter upload: ${r.error.code} ${r.error.message}`);
    return dt;
  } finally {
    await port.dispose();
  }
}

async function uploads(fleet: Px4Fleet): Promise<void> {
  const px4Port = fleet.instances[0]!.apiLocalPort;
  console.log(`\nmission upload to PX4 v1.15 SITL (px4 -i ${fleet.instances[0]!.instance}, speed 1), ${rounds} interleaved rounds, median ms:`);
  console.log('  items | twin adapter | minimal node-mavlink client | ratio | target');
  for (const n of SIZES) {
    const items = waypoints(n);
    const a: number[] = [];
    const m: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // alternate who goes first, so a slow PX4 moment does not always hit the same side
      if (r % 2 === 0) {
        a.push(await adapterUpload(fleet.url, items));
        m.push(await minimalUpload(fleet.port, px4Port, items));
      } else {
        m.push(await minimalUpload(fleet.port, px4Port, items));
        a.push(await adapterUpload(fleet.url, items));
      }
    }
    const ratio = median(a) / median(m);
    console.log(`  ${String(n).padStart(5)} | ${median(a).toFixed(1).padStart(12)} | ${median(m).toFixed(1).padStart(27)} | ${ratio.toFixed(2).padStart(5)}× | ≤ 1.5× ${ratio <= 1.5 ? 'ok' : 'MISSED'}`);
    console.log(`        (adapter ${a.map((x) => x.toFixed(0)).join(' ')}; minimal ${m.map((x) => x.toFixed(0)).join(' ')})`);
  }
}

function scenarioYaml(k: number, idle: boolean): string {
  const vehicles = Array.from({ length: k }, (_, i) => {
    // each vehicle flies its own 60 m square, 80 m apart; PX4 instances all start at the same home
    const e = i * 80;
    const mission = idle
      ? ''
      : `\n    mission: { type: waypoints, end: rtl, waypoints: [{ north: 60, east: ${e}, alt: 20 }, { north: 60, east: ${e + 60}, alt: 20 }, { north: 0, east: ${e + 60}, alt: 20 }, { north: 0, east: ${e}, alt: 20 }] }`;
    return `  - id: d${i + 1}\n    spawn: { north: 0, east: 0 }${mission}`;
  }).join('\n');
  return `name: cpu-${k}${idle ? '-idle' : ''}\nseed: 1\nduration_s: ${idle ? 30 : 600}\nstop_when_done: ${idle ? 'false' : 'true'}\nworld: { origin: home }\nvehicles:\n${vehicles}\nexpect: []\n`;
}

/** Runs a scenario on the fleet and returns the twin's CPU share (of one core) between connect and end. */
async function cpuOf(fleet: Px4Fleet, yaml: string): Promise<{ cpuPct: number; wall_s: number; passed: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'px4-bench-'));
  try {
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, yaml);
    const loaded = await loadScenarioFile(file);
    if (!loaded.ok) throw new Error(loaded.error.message);
    let cpu0: NodeJS.CpuUsage | undefined;
    let t0 = 0;
    let cpu = 0;
    let wall = 0;
    const run = await runScenario(loaded.value, {
      backend: linkBackend(fleet.url, 1),
      speed: 1,
      time: 'wall',
      onPhase: (phase) => {
        if (phase === 'connected') {
          cpu0 = process.cpuUsage();
          t0 = performance.now();
        } else if (phase === 'ran' && cpu0) {
          const d = process.cpuUsage(cpu0);
          cpu = (d.user + d.system) / 1000;
          wall = performance.now() - t0;
        }
      },
    });
    return { cpuPct: (cpu / wall) * 100, wall_s: wall / 1000, passed: run.report.errors.length === 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function cpu(px4Dir: string, instances: number[]): Promise<void> {
  console.log('\ntwin CPU while flying PX4 (speed 1), % of one core over wall time, from connect to end of run:');
  console.log('  vehicles | idle (connected, on the ground) | flying a 4-waypoint square + RTL | per vehicle flying | per vehicle above idle');
  for (const k of [1, 3]) {
    if (instances.length < k) {
      console.log(`  ${k}: skipped (PX4_BENCH_INSTANCES has ${instances.length})`);
      continue;
    }
    const fleet = await startPx4Fleet({ px4: px4Dir, instances: instances.slice(0, k), speed: 1, homes: instances.slice(0, k).map(() => HOME) });
    try {
      const idle = await cpuOf(fleet, scenarioYaml(k, true));
      const fly = await cpuOf(fleet, scenarioYaml(k, false));
      console.log(
        `  ${String(k).padStart(8)} | ${idle.cpuPct.toFixed(2).padStart(6)} % over ${idle.wall_s.toFixed(0)} s | ${fly.cpuPct.toFixed(2).padStart(6)} % over ${fly.wall_s.toFixed(0)} s${fly.passed ? '' : ' (run had errors)'} | ${(fly.cpuPct / k).toFixed(2)} % | ${((fly.cpuPct - idle.cpuPct) / k).toFixed(2)} %`,
      );
    } finally {
      await fleet.stop();
    }
  }
}

async function main(): Promise<void> {
  const px4Dir = process.env.PX4_DIR;
  if (!px4Dir) {
    console.log('px4-upload bench: skipped (PX4_DIR not set: needs a PX4 v1.15 SITL build, e.g. PX4_DIR=/path/to/PX4-Autopilot)');
    return;
  }
  const build = resolvePx4Build(px4Dir);
  if (typeof build === 'string') throw new Error(build);
  const instances = instancesFromEnv();
  const only = process.env.PX4_BENCH_ONLY; // 'upload' | 'cpu'
  if (only !== 'cpu') {
    const fleet = await startPx4Fleet({ px4: build, instances: instances.slice(0, 1), speed: 1, homes: [HOME] });
    try {
      await uploads(fleet);
    } finally {
      await fleet.stop();
    }
  }
  if (only !== 'upload') await cpu(px4Dir, instances);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
