/**
 * `--record` on the command line: `twin run … --record run.mcap` writes a closed, indexed file
 * and says so; `twin start --record` closes its file on Ctrl-C (SIGINT). Read back with the
 * spec-written reader.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonMessages, readMcapBySpec } from './mcap-spec-reader.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/twin.js');
const dir = mkdtempSync(join(tmpdir(), 'twin-cli-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, TWIN_DATA_DIR: join(dir, 'data') };

describe('--record', () => {
  it('twin run --record writes a closed MCAP file whose event log matches --events', () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const path = join(dir, 'out', 'run.mcap');
    const events = join(dir, 'run.jsonl');
    const r = spawnSync(process.execPath, [CLI, 'run', join(ROOT, 'scenarios/speed-capture.yaml'), '-q', '--record', path, '--events', events], { encoding: 'utf8', env, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/recorded .*run\.mcap: \d+ messages on \d+ channels/);
    const f = readMcapBySpec(readFileSync(path));
    expect(f.truncated).toBe(false);
    expect(f.summary?.summaryCrcOk).toBe(true);
    expect(f.metadata.get('overwatch.run')?.get('scenario')).toBe('speed-capture');
    const logged = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonMessages(f, '/events').map((m) => m.value)).toEqual(logged);
  }, 60_000);

  it('twin start --record closes the file (summary, footer) on Ctrl-C', async () => {
    const path = join(dir, 'start.mcap');
    const child = spawn(process.execPath, [CLI, 'start', join(ROOT, 'scenarios/speed-capture.yaml'), '--speed', '50', '--no-services', '--record', path], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 3_000));
    child.kill('SIGINT');
    await exited;
    expect(stderr).toMatch(/recorded .*start\.mcap/);
    const f = readMcapBySpec(readFileSync(path));
    expect(f.truncated).toBe(false);
    expect(f.summary?.dataSectionCrcOk).toBe(true);
    expect(jsonMessages(f, '/drone1/pose').length).toBeGreaterThan(20);
    expect(jsonMessages(f, '/events').length).toBeGreaterThan(5);
  }, 30_000);
});
