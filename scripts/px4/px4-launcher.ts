/**
 * Starts and stops an already-built PX4 SITL (SIH quadcopter, no Gazebo), one process per
 * instance, each in a fresh temporary working directory (fresh parameters, dataman and logs).
 *
 * @remarks
 * Nothing here builds PX4: `PX4_DIR` points at a PX4-Autopilot checkout where
 * `make px4_sitl_default` has been run (or directly at its `build/px4_sitl_default`).
 * Instance N behaves like `px4 -i N`: MAV_SYS_ID N+1, API link PX4:14580+N → 14540+N, GCS link
 * 18570+N → 14550. Two stock-file overrides, both placed in the instance's working directory
 * and found first on the PATH rcS sources from (`. px4-rc.params`, `. px4-rc.mavlink`):
 * `sysid` (MAV_SYS_ID) and `apiRemotePort` (where the API link sends), so several instances can
 * share one twin link (udpin://0.0.0.0:14540, vehicle i = system i+1) or a single-vehicle
 * scenario can fly instance 3 as system 1. Every started process is killed when this process
 * exits (normally, on SIGINT/SIGTERM or an uncaught error).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Airframe 10040_sihsim_quadx: the SIH quadcopter that runs without any external simulator. */
const SIH_AUTOSTART = '10040';

export interface Px4Build {
  /** `build/px4_sitl_default` (holds bin/px4 and etc/). */
  readonly buildDir: string;
  readonly binary: string;
}

/** Finds the SITL build under `dir` (a PX4-Autopilot checkout or its build directory), or says why not. */
export function resolvePx4Build(dir: string): Px4Build | string {
  const candidates = [join(dir, 'build', 'px4_sitl_default'), dir, resolve(dir, '..')];
  for (const buildDir of candidates) {
    const binary = join(buildDir, 'bin', 'px4');
    if (existsSync(binary) && existsSync(join(buildDir, 'etc', 'init.d-posix', 'rcS'))) return { buildDir: resolve(buildDir), binary: resolve(binary) };
  }
  return `PX4_DIR=${dir}: no build/px4_sitl_default/bin/px4 with etc/init.d-posix/rcS (run 'make px4_sitl_default' in a PX4-Autopilot v1.15 checkout)`;
}

export interface Px4StartOptions {
  readonly build: Px4Build;
  /** `px4 -i N` (0..9): chooses the stock UDP ports. */
  readonly instance: number;
  /** PX4_SIM_SPEED_FACTOR (1 = real time). Not exported at 1: rcS rescales COM_*_LOSS_T whenever it is set. */
  readonly speed: number;
  /** MAV_SYS_ID; default instance + 1 (stock). */
  readonly sysid?: number;
  /** UDP port the API/onboard link sends to; default 14540 + instance (stock). */
  readonly apiRemotePort?: number;
  /**
   * Where the SIH vehicle starts (its home), degrees WGS84; default the airframe's (PX4 SITL's
   * Zürich home). Passed the stock way: PX4_HOME_LAT/LON (px4-rc.simulator → SIH_LOC_LAT0/LON0).
   */
  readonly home?: { readonly lat_deg: number; readonly lon_deg: number };
  /** Parameters set at boot, before any module starts (`param set` in the px4-rc.params override). */
  readonly params?: Readonly<Record<string, number>>;
  /** Working directory; default a fresh temporary one (removed by stop() unless keepWorkDir). */
  readonly workDir?: string;
  readonly keepWorkDir?: boolean;
}

export interface Px4Instance {
  readonly instance: number;
  readonly sysid: number;
  readonly speed: number;
  /** The port PX4's API link sends to: bind it (udpin://0.0.0.0:<port>) to talk to this PX4. */
  readonly apiRemotePort: number;
  /** The port PX4's API link listens on (127.0.0.1). */
  readonly apiLocalPort: number;
  readonly pid: number;
  readonly workDir: string;
  /** PX4's console output. */
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process ended. */
  readonly exited: Promise<number | string>;
  /** Kills PX4 (SIGTERM, SIGKILL after 5 s) and removes a temporary working directory. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;
function killAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const p of live) {
      try {
        p.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

function rcOverrides(dir: string, build: Px4Build, sysid: number | undefined, apiRemotePort: number | undefined, params: Readonly<Record<string, number>> = {}): void {
  mkdirSync(dir, { recursive: true });
  const stock = (name: string) => readFileSync(join(build.buildDir, 'etc', 'init.d-posix', name), 'utf8');
  const sets = { ...(sysid !== undefined ? { MAV_SYS_ID: sysid } : {}), ...params };
  if (Object.keys(sets).length) {
    for (const [k, v] of Object.entries(sets)) if (!/^[A-Z][A-Z0-9_]{0,15}$/.test(k) || !Number.isFinite(v)) throw new Error(`param ${k}=${v}: not a PX4 parameter assignment`);
    // Sourced by rcS after its own `param set MAV_SYS_ID $((px4_instance+1))` and the airframe,
    // before the modules (and mavlink) start.
    writeFileSync(join(dir, 'px4-rc.params'), `${stock('px4-rc.params')}\n${Object.entries(sets).map(([k, v]) => `param set ${k} ${v}`).join('\n')}\n`);
  }
  if (apiRemotePort !== undefined) {
    const text = stock('px4-rc.mavlink').replace(/^udp_offboard_port_remote=.*$/m, `udp_offboard_port_remote=${apiRemotePort}`);
    if (!text.includes(`udp_offboard_port_remote=${apiRemotePort}`)) throw new Error('px4-rc.mavlink: no udp_offboard_port_remote line to override');
    // the stock file also rewrites it for instances > 9: drop that line
    writeFileSync(join(dir, 'px4-rc.mavlink'), text.replace(/^\[ "\$px4_instance" -gt 9 \].*$/m, ''));
  }
}

/** Starts one PX4 SITL instance (does not wait for it to be ready: see waitPx4Ready). */
export function startPx4(opts: Px4StartOptions): Px4Instance {
  killAllOnExit();
  const { build, instance, speed } = opts;
  if (!Number.isInteger(instance) || instance < 0 || instance > 9) throw new Error(`instance ${instance}: expected 0..9`);
  const temp = opts.workDir === undefined;
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), `px4-i${instance}-`));
  mkdirSync(workDir, { recursive: true });
  const overrides = join(workDir, 'rc-overrides');
  const stockSysid = instance + 1;
  const stockPort = 14540 + instance;
  rcOverrides(
    overrides,
    build,
    opts.sysid !== undefined && opts.sysid !== stockSysid ? opts.sysid : undefined,
    opts.apiRemotePort !== undefined && opts.apiRemotePort !== stockPort ? opts.apiRemotePort : undefined,
    opts.params,
  );
  const logFile = join(workDir, 'px4.log');
  const out = openSync(logFile, 'a');
  const env: NodeJS.ProcessEnv = {
    HOME: process.env.HOME ?? workDir,
    PATH: `${overrides}:${join(build.buildDir, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    PX4_SYS_AUTOSTART: SIH_AUTOSTART,
    PX4_SIMULATOR: 'sihsim',
    PX4_SIM_MODEL: 'sihsim_quadx',
    ...(speed !== 1 ? { PX4_SIM_SPEED_FACTOR: String(speed) } : {}),
    // SIH_LOC_LAT0/LON0 are INT32 in 1e-7 degrees
    ...(opts.home ? { PX4_HOME_LAT: String(Math.round(opts.home.lat_deg * 1e7)), PX4_HOME_LON: String(Math.round(opts.home.lon_deg * 1e7)) } : {}),
  };
  const child = spawn(build.binary, ['-d', '-i', String(instance), '-w', workDir, '-s', 'etc/init.d-posix/rcS', join(build.buildDir, 'etc')], {
    cwd: workDir,
    env,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`px4 -i ${instance} did not start`);
  live.add(child);
  const exited = new Promise<number | string>((res) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      res(code ?? signal ?? 'unknown');
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    instance,
    sysid: opts.sysid ?? stockSysid,
    speed,
    apiRemotePort: opts.apiRemotePort ?? stockPort,
    apiLocalPort: 14580 + instance,
    pid: child.pid,
    workDir,
    logFile,
    exited,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(t);
        }
        if (temp && !opts.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** The tail of an instance's console log (for error messages). */
export function px4LogTail(inst: Pick<Px4Instance, 'logFile'>, lines = 15): string {
  try {
    return readFileSync(inst.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
