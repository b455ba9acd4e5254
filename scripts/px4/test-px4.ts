#!/usr/bin/env node
/**
 * `npm run test:px4 [-- parity flags]`: the vehicle-port contract suite and the end-to-end
 * scenario test against a real PX4 v1.15 SITL, then the sim-to-field parity table
 * (px4-parity.ts) over every shipped scenario.
 *
 * - `PX4_DIR=<PX4-Autopilot checkout>`: PX4 is started fresh for every test and every run
 *   (`npx vitest run test/px4`, instances PX4_TEST_INSTANCE.., speed PX4_TEST_SPEED).
 * - `PX4_SITL=udpin://0.0.0.0:14540` (a PX4 you started yourself): the contract suite runs
 *   against it (test/mavlink/mavlink-sitl.contract.test.ts), then the single-vehicle scenarios.
 * Exit code: 0 when the tests passed and every parity run produced a report; the verdict
 * differences are in the table (and the findings), not in the exit code.
 */
import { spawn } from 'node:child_process';
import { parseParityArgs, REPO, runParity } from './px4-parity.js';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: REPO, stdio: 'inherit', env });
    child.once('exit', (code, signal) => res(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<number> {
  const { PX4_DIR, PX4_SITL } = process.env;
  if (!PX4_DIR && !PX4_SITL) {
    process.stderr.write('test:px4: set PX4_DIR (a PX4-Autopilot v1.15 checkout with build/px4_sitl_default) or PX4_SITL (URL of a running PX4 SITL)\n');
    return 2;
  }
  const opts = parseParityArgs(process.argv.slice(2));
  if (typeof opts === 'string') {
    process.stderr.write(`test:px4: ${opts}\n`);
    return 2;
  }
  const vitest = ['vitest', 'run', '--testTimeout=900000', '--hookTimeout=300000'];
  const tests = PX4_DIR
    ? await run('npx', [...vitest, 'test/px4'], process.env)
    : await run('npx', [...vitest, 'test/mavlink/mavlink-sitl.contract.test.ts', '-t', 'PX4 SITL'], process.env);
  process.stderr.write(`\ntest:px4: PX4 tests ${tests === 0 ? 'passed' : `FAILED (exit ${tests})`}; parity runs next\n\n`);
  const { markdown, ok } = await runParity(opts);
  process.stdout.write(`\n${markdown}\n(written to ${opts.out})\n`);
  return tests === 0 && ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`test:px4: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
