/**
 * A recording whose process is killed mid-run (SIGKILL: no close, no summary) stays readable up
 * to its last complete chunk: checked with the spec-written reader (every chunk's CRC) and by
 * replay with `--partial`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecording } from '../../recording/index.js';
import { OP, readMcapBySpec } from './mcap-spec-reader.js';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'twin-mcap-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a recorder killed mid-run', () => {
  it('leaves a file readable up to its last chunk', async () => {
    const cli = join(ROOT, 'dist/cli/twin.js');
    if (!existsSync(cli)) throw new Error('run `npm run build` first (npm test does)');
    const path = join(dir, 'killed.mcap');
    const child = spawn(process.execPath, [cli, 'run', join(ROOT, 'scenarios/survey.yaml'), '-q', '--speed', '100', '--record', path], {
      env: { ...process.env, TWIN_RECORD_CHUNK_BYTES: String(32 * 1024), TWIN_DATA_DIR: join(dir, 'data') },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    // Kill once a few chunks are in the file (well before the run ends: ~1,500 sim s at 100×).
    const deadline = performance.now() + 20_000;
    while (performance.now() < deadline && !(existsSync(path) && statSync(path).size > 40_000)) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(40_000);
    const f = readMcapBySpec(bytes); // throws on a CRC mismatch in any complete chunk
    expect(f.truncated).toBe(true);
    expect(f.summary).toBeUndefined();
    expect(f.opcodes).not.toContain(OP.DATA_END);
    expect(f.chunks.length).toBeGreaterThanOrEqual(2);
    expect(f.messages.length).toBe(f.chunks.reduce((n, c) => n + c.messages, 0));
    expect(f.header.library).toContain('overwatch-twin');
    const poses = f.messages.filter((m) => f.channels.get(m.channelId)?.topic === '/drone1/pose');
    expect(poses.length).toBeGreaterThan(10);

    const read = await readRecording(path);
    if (!read.ok) throw new Error(read.error.message);
    expect(read.value.truncated).toBe(true);
    expect(read.value.note).toMatch(/no footer/);
    expect(read.value.messages.filter((m) => m.busTopic === '/drone1/pose').length).toBe(poses.length);
  }, 40_000);
});
