#!/usr/bin/env node
/**
 * The `twin` executable (package.json "bin"). It always runs the command line, however it was
 * reached: `npx twin`, `npm exec twin`, a global install's symlink, a dependency's
 * `node_modules/.bin/twin`. The importable module is `cli/twin.ts` (`buildProgram`, `main`).
 */
import { createLogger } from '../core/logger.js';
import { exitWhenDrained } from './exit-backstop.js';
import { main } from './twin.js';

process.exitCode = await main(process.argv);
// The command is over: the process ends now, even if something leaked a handle (logged).
exitWhenDrained(process.exitCode, createLogger(process.env.TWIN_LOG_LEVEL ?? 'warn'));
