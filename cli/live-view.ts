/**
 * `twin start`: flies a scenario in real time and shows the fleet live until Ctrl-C.
 * On a terminal the status table redraws in place once a second; elsewhere (CI logs, pipes) a
 * compact line per vehicle is printed every 10 sim seconds.
 */
import Table from 'cli-table3';
import type { Twin } from '../actors/twin.js';
import { loadScenarioFile } from '../actors/scenario/scenario.loader.js';
import { runScenario } from '../actors/scenario/scenario.runner.js';
import { createLogger } from '../core/logger.js';
import { summaryTable } from './report-format.js';

function statusLines(twin: Twin): { table: string; compact: string[] } {
  const table = new Table({ head: ['vehicle', 'state', 'mode', 'mission', 'progress', 'battery', 'alt', 'position (N, E)'] });
  const compact: string[] = [];
  for (const id of twin.vehicleIds) {
    const { telemetry: t, north_m, east_m, alt_m } = twin.latest(id);
    const m = twin.mission(id).context();
    const status = twin.missionStatus(id);
    const state = twin.vehicleState(id).replace('connected.', '');
    const row = [
      id,
      state,
      t?.mode ?? '-',
      status,
      `${m.progress.percent_complete.toFixed(0)} %`,
      t ? `${t.battery.remaining_pct.toFixed(1)} %` : '-',
      `${alt_m.toFixed(1)} m`,
      `${north_m.toFixed(0)}, ${east_m.toFixed(0)}`,
    ];
    table.push(row);
    compact.push(row.join('  '));
  }
  return { table: table.toString(), compact };
}

export async function startLiveView(file: string, speed: number): Promise<number> {
  const loaded = await loadScenarioFile(file);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.error.message}\n`);
    return 2;
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const tty = Boolean(process.stdout.isTTY);
  let timer: NodeJS.Timeout | undefined;
  let lastPrinted = -Infinity;
  process.stdout.write(`OverWatch Twin — ${loaded.value.name} at ${speed}x real time. Ctrl-C to stop.\n`);
  const wallStart = performance.now();
  const { report } = await runScenario(loaded.value, {
    speed,
    file,
    logger: createLogger(),
    signal: ac.signal,
    ignoreStopWhenDone: true,
    onTwin: (twin) => {
      timer = setInterval(() => {
        const now_s = twin.clock.now() / 1000;
        const { table, compact } = statusLines(twin);
        if (tty) process.stdout.write(`\x1b[H\x1b[2J${loaded.value.name}  t = ${now_s.toFixed(0)} s\n${table}\n`);
        else if (now_s - lastPrinted >= 10) {
          lastPrinted = now_s;
          process.stdout.write(compact.map((l) => `t=${now_s.toFixed(0)}s ${l}`).join('\n') + '\n');
        }
      }, 1000);
    },
  });
  clearInterval(timer);
  report.wallSeconds = (performance.now() - wallStart) / 1000;
  process.stdout.write(`\n${summaryTable(report, tty, ac.signal.aborted)}\n`);
  return 0;
}
