/**
 * `twin mission show <file>` and `twin mission convert <in> <out>`: QGroundControl `.plan` and
 * `QGC WPL 110` (`.waypoints`/`.txt`) files, read and written by core/mission-files.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { parseQgcPlan, parseQgcWpl, toMissionItems, writeQgcPlan, writeQgcWpl, type MissionPlan } from '../core/mission-files/index.js';

type Format = 'plan' | 'wpl';

function formatOf(path: string, text?: string): Format {
  if (text !== undefined) return /^\s*QGC WPL/.test(text) ? 'wpl' : 'plan';
  return extname(path).toLowerCase() === '.plan' ? 'plan' : 'wpl';
}

async function read(path: string): Promise<{ plan: MissionPlan; format: Format } | string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return `${path}: ${(error as Error).message}`;
  }
  const format = formatOf(path, text);
  const r = format === 'wpl' ? parseQgcWpl(text) : parseQgcPlan(text);
  return r.ok ? { plan: r.value, format } : `${path}: ${r.error.message}`;
}

export function describePlan(plan: MissionPlan): string {
  const items = toMissionItems(plan);
  const count = (kind: string) => items.filter((i) => i.kind === kind).length;
  const captures = items.filter((i) => i.kind === 'waypoint' && i.capture).length;
  const home = plan.home ? `${plan.home.lat_deg.toFixed(7)}, ${plan.home.lon_deg.toFixed(7)}, ${plan.home.alt_m.toFixed(1)} m` : 'not set';
  return [
    `home: ${home}`,
    `items: ${plan.items.length} (${count('takeoff')} takeoff, ${count('waypoint')} waypoints, ${captures} with capture, ${count('land')} land, ${count('rtl')} rtl, ${count('raw')} other)`,
    `fence: ${plan.fence.polygons.length} polygons, ${plan.fence.circles.length} circles; rally points: ${plan.rally.length}`,
  ].join('\n');
}

export function registerMissionCommand(program: Command): void {
  const mission = program.command('mission').description('QGroundControl .plan and QGC WPL 110 mission files');
  mission
    .command('show')
    .description('summarise a mission file')
    .argument('<file>')
    .action(async (file: string) => {
      const r = await read(file);
      if (typeof r === 'string') {
        process.stderr.write(`${r}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(`${file} (${r.format === 'plan' ? 'QGroundControl plan' : 'QGC WPL'})\n${describePlan(r.plan)}\n`);
    });
  mission
    .command('convert')
    .description('convert between .plan and QGC WPL 110 (the output format follows the output extension: .plan, else WPL)')
    .argument('<in>')
    .argument('<out>')
    .action(async (input: string, output: string) => {
      const r = await read(input);
      if (typeof r === 'string') {
        process.stderr.write(`${r}\n`);
        process.exitCode = 2;
        return;
      }
      const to = formatOf(output);
      if (to === 'wpl' && (r.plan.fence.polygons.length || r.plan.fence.circles.length || r.plan.rally.length))
        process.stderr.write('twin: note: QGC WPL has no geofence or rally points; they are not written\n');
      await writeFile(output, to === 'plan' ? writeQgcPlan(r.plan) : writeQgcWpl(r.plan));
      process.stdout.write(`${output}: ${r.plan.items.length} items\n`);
    });
}
