/**
 * The `twin` executable as users reach it: `npx twin`, `npm exec twin`, a dependency's
 * node_modules/.bin/twin and a global install's bin symlink. Each of them runs the bin through a
 * symlink, which is how `twin` used to do nothing and exit 0.
 *
 * The package is `npm pack`ed from this checkout (its current dist/) and unpacked into a fresh
 * project's node_modules, as `npm install <tarball>` does; its dependencies are linked from this
 * checkout (the registry is offline here) and npm itself links and chmods the bin
 * (`npm rebuild`).
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = resolve('.');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const env = { ...process.env, TWIN_LOG_LEVEL: 'silent', npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

async function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { cwd, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('the twin bin, installed from the packed package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twin-bin-'));
  const proj = join(dir, 'proj');
  const pkg = join(proj, 'node_modules', 'overwatch-twin');
  const fleet = join(ROOT, 'scenarios', 'fleet.yaml');

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist/cli/bin.js'))) throw new Error('run `npm run build` first (npm test does)');
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], ROOT);
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = join(dir, packed.stdout.trim().split('\n').pop()!);
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'proj', version: '1.0.0', private: true, dependencies: { 'overwatch-twin': `file:${tarball}` } }));
    expect((await run('tar', ['xzf', tarball, '-C', pkg, '--strip-components=1'], proj)).code).toBe(0);
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name.startsWith('.') || name === 'overwatch-twin') continue;
      symlinkSync(join(ROOT, 'node_modules', name), join(proj, 'node_modules', name));
    }
    const rebuilt = await run('npm', ['rebuild', '--ignore-scripts', 'overwatch-twin'], proj);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the bin, the scenarios and the dashboard, and npm links the bin', () => {
    for (const f of ['dist/cli/bin.js', 'dist/cli/twin.js', 'scenarios/fleet.yaml', 'dashboard/public/index.html']) expect(existsSync(join(pkg, f)), f).toBe(true);
    expect(existsSync(join(proj, 'node_modules', '.bin', 'twin'))).toBe(true);
  });

  it('npx twin: --version, validate, and a failing run exits 1', { timeout: 60_000 }, async () => {
    const v = await run('npx', ['--no', '--', 'twin', '--version'], proj);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(VERSION);
    const ok = await run('npx', ['--no', '--', 'twin', 'validate', fleet], proj);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('ok (5 vehicles');
    const unmet = await run('npx', ['--no', '--', 'twin', 'run', join(ROOT, 'test/fixtures/unmet.yaml'), '-q'], proj);
    expect(unmet.code).toBe(1);
    // The packaged scenarios are found from the installed package (twin start's default).
    const help = await run('npx', ['--no', '--', 'twin', 'start', '--help'], proj);
    expect(help.stdout).toContain(join(pkg, 'scenarios', 'fleet.yaml'));
  });

  it('npm exec twin', { timeout: 60_000 }, async () => {
    const r = await run('npm', ['exec', '--no', '--', 'twin', 'validate', fleet], proj);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ok (5 vehicles');
    const bad = await run('npm', ['exec', '--no', '--', 'twin', 'run', join(dir, 'missing.yaml')], proj);
    expect(bad.code).toBe(2);
  });

  it("a dependency's node_modules/.bin/twin and a global install's bin symlink", { timeout: 60_000 }, async () => {
    const local = await run(join(proj, 'node_modules', '.bin', 'twin'), ['--version'], dir);
    expect(local.stdout.trim()).toBe(VERSION);
    // `npm install -g` links <prefix>/bin/twin to <prefix>/lib/node_modules/overwatch-twin/<bin>.
    const bin = join(dir, 'global', 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(join(pkg, 'dist', 'cli', 'bin.js'), join(bin, 'twin'));
    const global = await run(join(bin, 'twin'), ['validate', fleet], dir);
    expect(global.code, global.stderr).toBe(0);
    expect(global.stdout).toContain('ok (5 vehicles');
  });
});
