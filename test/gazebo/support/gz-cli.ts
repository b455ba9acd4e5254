/**
 * Runs Gazebo's transport CLI (Ignition Transport 11: `ign topic` / `ign service`, or the
 * binaries behind them in /usr/libexec/ignition/transport11) for the interop tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

const LIBEXEC = '/usr/libexec/ignition/transport11';

/** argv prefix for `topic` / `service`, or undefined when the CLI is not installed. */
export function gzCli(kind: 'topic' | 'service'): string[] | undefined {
  const bin = `${LIBEXEC}/ign-transport-${kind}`;
  if (existsSync(bin)) return [bin];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(`${dir}/ign`)) return [`${dir}/ign`, kind];
  return undefined;
}

export const gzCliAvailable = (): boolean => gzCli('topic') !== undefined && gzCli('service') !== undefined;

/** A partition no other test uses. */
export const uniquePartition = (tag: string): string => `owt_${tag}_${randomUUID().slice(0, 8)}`;

export interface CliRun {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly done: Promise<number | null>;
}

/** Starts the CLI with IGN_PARTITION set; collects stdout/stderr. */
export function runCli(kind: 'topic' | 'service', args: string[], partition: string, extraEnv: Record<string, string> = {}): CliRun {
  const argv = gzCli(kind);
  if (!argv) throw new Error('ignition transport CLI not installed');
  const child = spawn(argv[0]!, [...argv.slice(1), ...args], { env: { ...process.env, IGN_PARTITION: partition, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: CliRun = {
    child,
    stdout: '',
    stderr: '',
    done: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (d: Buffer) => (run.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (run.stderr += d.toString()));
  return run;
}

/** Resolves when `pred` holds (polled every 20 ms), or rejects after `ms`. */
export async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** True when the optional `zeromq` dependency loads (its prebuilt binary fits this platform). */
export const zmqAvailable: boolean = await import('zeromq').then(
  () => true,
  () => false,
);
