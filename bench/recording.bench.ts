/**
 * Recorder overhead: the same survey run (same seed, same event log) with and without an MCAP
 * recorder attached, alternated, median of the rounds. Figures: wall seconds, events per wall
 * second (bus messages + event log entries), and the recording's size and write rate.
 *
 * Run: `npm run build && node dist/bench/recording.bench.js [rounds=3] [scenario=scenarios/survey-sensors.yaml|survey.yaml]`
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../actors/scenario/scenario.loader.js';
import { runScenario } from '../actors/scenario/scenario.runner.js';
import { McapRecorder, RecordingBlobBuffer } from '../recording/index.js';
import { sensorPortFactory } from '../cli/compose.js';
import type { BlobSink } from '../hardware/sensor.port.js';
import { createHash } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, here.endsWith('/dist/bench') ? '../..' : '..');
const rounds = Number(process.argv[2] ?? 3);
const file = process.argv[3] ?? (existsSync(join(root, 'scenarios/survey-sensors.yaml')) ? join(root, 'scenarios/survey-sensors.yaml') : join(root, 'scenarios/survey.yaml'));
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const loaded = await loadScenarioFile(file);
if (!loaded.ok) throw new Error(loaded.error.message);
const scenario = loaded.value;
const dir = mkdtempSync(join(tmpdir(), 'twin-rec-bench-'));

async function once(record: boolean): Promise<{ wall_s: number; events: number; sha: string; bytes: number; messages: number; images: number; clouds: number }> {
  const path = join(dir, 'run.mcap');
  // Sensors store their bytes in both runs: into the recorder's buffer, or into a sink that
  // hashes and drops them (the work a store does besides I/O), so the runs differ by the recorder only.
  const buffer = record ? new RecordingBlobBuffer() : undefined;
  const discard: BlobSink = { put: async (key, data) => ({ ok: true, value: { key, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') } }) };
  const rec = record ? await McapRecorder.open({ path, blobs: buffer! }) : undefined;
  if (rec && !rec.ok) throw new Error(rec.error.message);
  let published = 0;
  const t0 = performance.now();
  const { log, report, twin } = await runScenario(scenario, { sensorFactory: sensorPortFactory, blobs: buffer ?? discard, onTwin: (t) => rec?.value.attach(t) });
  if (!report.passed) throw new Error(`${scenario.name} did not pass: ${report.errors.join('; ')}`);
  published = twin.bus.published;
  const summary = rec ? await rec.value.close() : undefined;
  const wall_s = (performance.now() - t0) / 1000;
  if (summary && !summary.ok) throw new Error(summary.error.message);
  return { wall_s, events: published + log.count, sha: report.eventLogSha256, bytes: record ? statSync(path).size : 0, messages: summary?.ok ? summary.value.messages : 0, images: summary?.ok ? summary.value.images : 0, clouds: summary?.ok ? summary.value.pointClouds : 0 };
}

await once(false); // warm-up (JIT, wasm)
const plain: Awaited<ReturnType<typeof once>>[] = [];
const recorded: Awaited<ReturnType<typeof once>>[] = [];
for (let i = 0; i < rounds; i++) {
  plain.push(await once(false));
  recorded.push(await once(true));
}
rmSync(dir, { recursive: true, force: true });
const same = new Set([...plain, ...recorded].map((r) => r.sha)).size === 1;
const p = median(plain.map((r) => r.wall_s));
const r = median(recorded.map((x) => x.wall_s));
const ep = plain[0]!.events;
const er = recorded[0]!.events;
const last = recorded.at(-1)!;
console.log(`scenario ${scenario.name} (${file.replace(root + '/', '')}), ${rounds} rounds, medians; event log identical in every run: ${same}`);
console.log(`without recorder (baseline): ${fmt(p, 2)} s wall, ${fmt(ep / p)} events/s (${fmt(ep)} bus messages + log entries)`);
// Publishers skip building messages nobody listens to (Bus#hasSubscribers): with a recorder every topic has a listener.
console.log(`with MCAP recorder:          ${fmt(r, 2)} s wall, ${fmt(er / r)} events/s (${fmt(er)}: every topic now has a listener); wall-time overhead ${fmt(((r - p) / p) * 100, 0)} %`);
console.log(`recording: ${fmt(last.messages)} MCAP messages (raw + Foxglove channels; ${fmt(last.images)} images, ${fmt(last.clouds)} point clouds), ${fmt(last.bytes / 1024 / 1024, 1)} MiB (zstd), ${fmt((last.messages / r))} messages/s, ${fmt(last.bytes / 1024 / 1024 / r, 1)} MiB/s written`);
