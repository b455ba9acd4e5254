/**
 * The built-in SITL in its own process (`twin sitl --count 1`), sending its GCS link to a free
 * UDP port on 127.0.0.1: a vehicle outside the twin's process, spoken to over MAVLink as PX4
 * would be. Shared by the scenario tests that fly such a vehicle through the runner's link backend.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';

const CLI = 'dist/cli/bin.js';

export interface OutOfProcessSitl {
  /** Where the twin listens: `udpin://127.0.0.1:<port>`. */
  readonly url: string;
  readonly child: ChildProcess;
  stop(): void;
}

/** Starts `twin sitl --count 1 --speed <speed>` from the built CLI (npm test builds first). */
export async function startOutOfProcessSitl(speed: number): Promise<OutOfProcessSitl> {
  if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const gcsPort = s.address().port;
  s.close();
  const child = spawn(process.execPath, [CLI, 'sitl', '--count', '1', '--speed', String(speed), '--api-port', '0', '--api-local-port', '0', '--gcs-port', String(gcsPort), '--gcs-local-port', '0'], {
    env: { ...process.env, TWIN_LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
  return {
    url: `udpin://127.0.0.1:${gcsPort}`,
    child,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
