/**
 * Test harness: a real `roscore` on a free port with ROS_HOME/ROS_LOG_DIR in a temp directory,
 * the ROS command-line tools run against it, and small rospy scripts run with Debian's python.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XmlRpcClient } from '@foxglove/xmlrpc';

/** Debian's python, which has rospy (the `python3` on PATH may be a pyenv shim without it). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function rosToolsAvailable(): { ok: true } | { ok: false; reason: string } {
  for (const tool of ['roscore', 'rostopic', 'rosservice', 'rosmsg']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return { ok: false, reason: `${tool} not installed (apt-get install ros-core python3-rospy; see scripts/install-test-deps.sh)` };
    }
  }
  if (!existsSync(SYSTEM_PYTHON)) return { ok: false, reason: `${SYSTEM_PYTHON} missing` };
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import rospy, geometry_msgs.msg, sensor_msgs.msg, std_srvs.srv'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: 'rospy or the python message packages are missing (python3-rospy python3-geometry-msgs python3-sensor-msgs python3-std-srvs)' };
  }
  return { ok: true };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Roscore {
  readonly port: number;
  readonly uri: string;
  /** Environment for ROS tools and rospy scripts talking to this master. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Runs a ROS command-line tool to completion (or timeout) and returns its output. */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Starts a long-running process (e.g. `rostopic echo`), collecting its output. */
  spawn(cmd: string, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> };
  dispose(): Promise<void>;
}

export async function startRoscore(): Promise<Roscore> {
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'ros1-test-'));
  const uri = `http://127.0.0.1:${port}/`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ROS_MASTER_URI: uri,
    ROS_HOME: home,
    ROS_LOG_DIR: join(home, 'log'),
    ROS_IP: '127.0.0.1',
    ROS_HOSTNAME: '127.0.0.1',
    PYTHONUNBUFFERED: '1',
  };
  let core: ChildProcess | undefined;
  const children = new Set<ChildProcess>();

  const killGroup = async (child: ChildProcess): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid, 'SIGINT');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 3000);
    await gone;
    clearTimeout(t);
  };

  const h: Roscore = {
    port,
    uri,
    env,
    async start() {
      core = spawn('roscore', ['-p', String(port)], { env, detached: true, stdio: 'ignore' });
      const client = new XmlRpcClient(uri);
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          const r = (await client.methodCall('getPid', ['/test'])) as unknown[];
          if (r[0] === 1) break;
        } catch {
          /* not up yet */
        }
        if (Date.now() > deadline) throw new Error(`roscore on ${port} did not come up in 20 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      if (core) await killGroup(core);
      core = undefined;
    },
    run(cmd, args, timeoutMs = 20_000) {
      return new Promise((resolve) => {
        const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        children.add(child);
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        const t = setTimeout(() => void killGroup(child), timeoutMs);
        child.on('exit', (code) => {
          clearTimeout(t);
          children.delete(child);
          resolve({ code, stdout, stderr });
        });
      });
    },
    spawn(cmd, args) {
      const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) =>
        child.on('exit', (code) => {
          children.delete(child);
          r(code);
        }),
      );
      return { child, output: () => out, exited };
    },
    async dispose() {
      await Promise.all([...children].map(killGroup));
      await h.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
  await h.start();
  return h;
}

/** Polls `pred` every 50 ms until it is true or `timeoutMs` passes. */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
