/**
 * `twin start --gz` (the built CLI): the twin's vehicle poses on Gazebo transport, seen by
 * Gazebo's own CLI in the partition IGN_PARTITION names.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gzCliAvailable, runCli, uniquePartition, until, zmqAvailable } from './support/gz-cli.js';

const CLI = 'dist/cli/twin.js';

describe.skipIf(!gzCliAvailable() || !zmqAvailable)('twin start --gz', () => {
  it('`ign topic -l` lists /model/drone1/pose and /twin/pose/info, `ign topic -e` echoes the pose; Ctrl-C ends it', { timeout: 40_000 }, async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const partition = uniquePartition('start');
    const data = mkdtempSync(join(tmpdir(), 'twin-gz-'));
    const child = spawn(process.execPath, [CLI, 'start', 'scenarios/link-loss.yaml', '--no-services', '--gz'], {
      env: { ...process.env, TWIN_LOG_LEVEL: 'silent', TWIN_DATA_DIR: data, IGN_PARTITION: partition },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => out.includes(`gazebo transport: partition ${partition}`), 15_000, 'the --gz banner');
      let listed: string[] = [];
      for (let i = 0; i < 10 && !listed.includes('/model/drone1/pose'); i++) {
        const l = runCli('topic', ['-l'], partition);
        await l.done;
        listed = l.stdout.split('\n');
      }
      expect(listed).toEqual(expect.arrayContaining(['/model/drone1/pose', '/twin/pose/info']));
      const echo = runCli('topic', ['-e', '-t', '/model/drone1/pose', '-n', '1'], partition);
      const timer = setTimeout(() => echo.child.kill(), 10_000);
      expect(await echo.done).toBe(0);
      clearTimeout(timer);
      expect(echo.stdout).toContain('name: "drone1"');
      expect(echo.stdout).toMatch(/position \{/);
      expect(echo.stdout).toMatch(/stamp \{/);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
    // After it left, its topics disappear from the graph (UNADVERTISE/BYE on close).
    const l = runCli('topic', ['-l'], partition);
    await l.done;
    expect(l.stdout).not.toContain('/model/drone1/pose');
  });
});
