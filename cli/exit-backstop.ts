/**
 * The executable's last resort: once a command has finished (its report written, its servers
 * closed), the process must end. Whatever still holds the event loop then is a leak — a socket
 * or timer something forgot to dispose — which is fixed where it is made; this backstop only
 * keeps a leak from turning into a process that never exits (seen with `twin run` on PX4 fleets),
 * and says what it found so the leak can be traced.
 */
import type { Logger } from '../core/logger.js';

/** Wall time allowed for the event loop to drain after the command ended, ms. */
export const EXIT_GRACE_MS = 2_000;

/**
 * Arms an unreferenced timer: if the process is still alive `graceMs` after the command ended,
 * it logs the resources still active (`process.getActiveResourcesInfo()`) at warn level and
 * exits with `code`. A process that drains by itself never sees it fire.
 */
export function exitWhenDrained(code: number, logger: Logger, graceMs: number = EXIT_GRACE_MS): void {
  const timer = setTimeout(() => {
    logger.warn(
      { exitCode: code, graceMs, activeResources: process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap') },
      'command finished but the process did not exit by itself (a leaked handle); exiting',
    );
    process.exit(code);
  }, graceMs);
  timer.unref();
}
