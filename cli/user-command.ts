/**
 * `twin user list | add | passwd | role`: managing operators on the machine that runs the twin,
 * straight in the store (TWIN_DATA_DIR) — for a lost one-time admin password, or before the
 * first start. Passwords come from stdin (`--password-stdin`) or are generated and printed once.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { hashPassword } from '../api/auth/password.js';
import { dataDir, openStore } from '../storage/store.js';
import { ROLES, type Role } from '../storage/users.repository.js';

const USERNAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MIN_PASSWORD = 10;

const parseRole = (v: string): Role => {
  if (!(ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
  return v as Role;
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function password(fromStdin: boolean | undefined): Promise<{ value: string; generated: boolean } | string> {
  if (!fromStdin) return { value: randomBytes(18).toString('base64url'), generated: true };
  const value = await readStdin();
  return value.length >= MIN_PASSWORD ? { value, generated: false } : `password too short (at least ${MIN_PASSWORD} characters)`;
}

function withStore<T>(fn: (store: ReturnType<typeof openStore>) => Promise<T>): Promise<T> {
  const store = openStore({ dir: dataDir() });
  return fn(store).finally(() => store.close());
}

function fail(message: string): void {
  process.stderr.write(`twin: ${message}\n`);
  process.exitCode = 2;
}

export function registerUserCommand(program: Command): void {
  const user = program.command('user').description('operators in the store (TWIN_DATA_DIR): list, add, passwd, role');
  user.command('list').action(() =>
    withStore(async (store) => {
      for (const u of store.users.list()) process.stdout.write(`${u.username}\t${u.role}\t${u.created_at}\n`);
    }),
  );
  user
    .command('add')
    .argument('<username>')
    .option('--role <role>', ROLES.join(' | '), parseRole, 'viewer' as Role)
    .option('--password-stdin', 'read the password from stdin (else one is generated and printed)')
    .action((username: string, flags: { role: Role; passwordStdin?: boolean }) =>
      withStore(async (store) => {
        if (!USERNAME.test(username)) return fail(`username: letters, digits, _ . - (1–64)`);
        const pw = await password(flags.passwordStdin);
        if (typeof pw === 'string') return fail(pw);
        const r = store.users.create({ username, role: flags.role, password_hash: await hashPassword(pw.value) });
        if (!r.ok) return fail(`${r.error.code}: ${r.error.message}`);
        process.stdout.write(`added ${username} (${flags.role})${pw.generated ? `, password ${pw.value}` : ''}\n`);
      }),
    );
  user
    .command('passwd')
    .argument('<username>')
    .option('--password-stdin', 'read the new password from stdin (else one is generated and printed)')
    .action((username: string, flags: { passwordStdin?: boolean }) =>
      withStore(async (store) => {
        const pw = await password(flags.passwordStdin);
        if (typeof pw === 'string') return fail(pw);
        const r = store.users.setPasswordHash(username, await hashPassword(pw.value));
        if (!r.ok) return fail(`${r.error.code}: ${r.error.message}`);
        process.stdout.write(`password of ${username} changed${pw.generated ? `: ${pw.value}` : ''}\n`);
      }),
    );
  user
    .command('role')
    .argument('<username>')
    .argument('<role>', ROLES.join(' | '), parseRole)
    .action((username: string, role: Role) =>
      withStore(async (store) => {
        const r = store.users.setRole(username, role);
        if (!r.ok) return fail(`${r.error.code}: ${r.error.message}`);
        process.stdout.write(`${username} is now ${role}\n`);
      }),
    );
}
