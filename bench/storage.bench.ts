/**
 * Storage throughput: event-log rows per second through the batched sink (1,000-row
 * transactions, WAL, ~200-byte rows) beside a baseline measured in the same run — raw
 * better-sqlite3 prepared inserts of pre-built rows in 1,000-row transactions into the same
 * table — and a 100-drone fleet (events + 10 Hz telemetry rows per drone) recorded while the
 * bus publishes, with the bus throughput with and without the recorders.
 *
 * Run: `npm run build && node --expose-gc dist/bench/storage.bench.js [rows] [fleetSimSeconds]`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, type LogEntry } from '../actors/event-log.js';
import { runScenario } from '../actors/scenario/scenario.runner.js';
import { fleetScenario } from './internal/fleet-scenario.js';
import { ScenarioSchema } from '../actors/scenario/scenario.schema.js';
import { createEventLogSink, attachEventLogSink } from '../storage/event-log.sink.js';
import { openStore, type Store } from '../storage/store.js';
import { recordTelemetry } from '../storage/telemetry.recorder.js';

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const gc = (globalThis as { gc?: () => void }).gc;

function withStore<T>(fn: (store: Store) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'twin-bench-'));
  const store = openStore({ dir });
  try {
    return fn(store);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An entry whose stored row (ids, type, data JSON, cid) is about 200 bytes. */
const entry = (seq: number): LogEntry => ({
  seq,
  t_ms: seq * 20,
  source: `vehicle:d${seq % 100}`,
  type: 'state',
  data: { value: 'connected.armed.inAir.mission', progress: { current_waypoint: seq % 40, total_waypoints: 40, percent_complete: 42.5 }, note: 'xxxxxxxxxxxxxxxxxxxxxxxx' },
  // Only entries a request caused carry a cid (commands, mission requests): about 1 in 100.
  ...(seq % 100 === 0 ? { cid: `c${seq.toString(36)}` } : {}),
});
const rowBytes = (e: LogEntry) => 'bench'.length + 16 + e.source.length + e.type.length + JSON.stringify(e.data).length + (e.cid?.length ?? 0);

function baseline(rows: number): number {
  return withStore((store) => {
    const stmt = store.db.prepare('INSERT INTO event_log (run_id, seq, t_ms, source, type, data, cid) VALUES (?, ?, ?, ?, ?, ?, ?)');
    // The very rows the sink writes, serialised beforehand: only the SQL is timed.
    const prebuilt = Array.from({ length: rows }, (_, i) => {
      const e = entry(i);
      return [e.source, e.type, JSON.stringify(e.data), e.cid ?? null] as const;
    });
    const insert = store.db.transaction((from: number) => {
      for (let i = from; i < from + 1000; i++) {
        const r = prebuilt[i]!;
        stmt.run('bench', i, i * 20, r[0], r[1], r[2], r[3]);
      }
    });
    const t0 = performance.now();
    for (let from = 0; from < rows; from += 1000) insert(from);
    return rows / ((performance.now() - t0) / 1000);
  });
}

/** Entries handed straight to the sink (storage cost only: serialising data + SQL). */
function sinkOnly(rows: number): number {
  return withStore((store) => {
    const entries = Array.from({ length: rows }, (_, i) => entry(i));
    const sink = createEventLogSink(store, { runId: 'bench', batchSize: 1000 });
    const t0 = performance.now();
    for (const e of entries) sink.sink(e);
    sink.close();
    const s = (performance.now() - t0) / 1000;
    if (store.events.count('bench') !== rows) throw new Error('rows lost');
    return rows / s;
  });
}

/** Through `EventLog.append` (its hashing included) with the sink attached, and without. */
function throughLog(rows: number, withSink: boolean): number {
  return withStore((store) => {
    const log = new EventLog(false);
    const sink = withSink ? attachEventLogSink(store, log, { runId: 'bench' }) : undefined;
    const data = entry(0).data as Record<string, unknown>;
    const t0 = performance.now();
    for (let i = 0; i < rows; i++) log.append(i * 20, `vehicle:d${i % 100}`, 'state', data, i % 100 === 0 ? `c${i.toString(36)}` : undefined);
    sink?.close();
    return rows / ((performance.now() - t0) / 1000);
  });
}

function fleet(n: number, duration_s: number) {
  return ScenarioSchema.parse({ ...fleetScenario(n, duration_s), name: `bench-storage-${n}` });
}

async function fleetRun(n: number, duration_s: number, record: 'none' | 'events' | 'events+telemetry') {
  const dir = mkdtempSync(join(tmpdir(), 'twin-bench-fleet-'));
  const store = openStore({ dir });
  const marks: Record<string, number> = {};
  let close: (() => void) | undefined;
  let maxPending = 0;
  let published = 0;
  let twinRef: { bus: { published: number } } | undefined;
  let sinkRef: ReturnType<typeof attachEventLogSink> | undefined;
  let telRef: ReturnType<typeof recordTelemetry> | undefined;
  try {
    const { report, log } = await runScenario(fleet(n, duration_s), {
      onPhase: (phase) => {
        marks[phase] = performance.now();
        if (phase === 'ran') published = twinRef!.bus.published;
      },
      onTwin: (twin) => {
        twinRef = twin;
        if (record === 'none') return;
        const sink = attachEventLogSink(store, twin.log, { runId: 'fleet' });
        const tel = record === 'events+telemetry' ? recordTelemetry(store, twin.bus, { runId: 'fleet', vehicles: twin.vehicleIds, hz: 10 }) : undefined;
        // Sample the queues as events arrive: the recorders keep up if they stay bounded.
        twin.log.addSink(() => void (maxPending = Math.max(maxPending, sink.writer.pending + (tel?.writer.pending ?? 0))));
        sinkRef = sink;
        telRef = tel;
        close = () => {
          sink.close();
          tel?.close();
        };
      },
    });
    const tClose = performance.now();
    close?.();
    const flushTail = (performance.now() - tClose) / 1000;
    const run = (marks.ran! - marks.connected!) / 1000;
    const events = record !== 'none' ? store.events.count('fleet') : 0;
    const telemetry = store.events.countTelemetry('fleet');
    if (record !== 'none' && events !== log.count) throw new Error(`event rows ${events} ≠ log entries ${log.count}`);
    return { run, simulated: report.simulatedSeconds, published, events, telemetry, flushTail, maxPending, written: (sinkRef?.writer.written ?? 0) + (telRef?.writer.written ?? 0) };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 500_000);
  const simSeconds = Number(process.argv[3] ?? 60);
  console.log(`event-log rows: ${fmt(rows)} rows of ~${rowBytes(entry(12345))} bytes, 1,000-row transactions, WAL, synchronous=NORMAL; medians of 3 interleaved rounds`);
  // Warm-up (JIT, page cache), then medians of three interleaved rounds: other processes share
  // this 2-core machine, and a median neither hides a bad round nor crowns a lucky one.
  baseline(100_000);
  sinkOnly(100_000);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const bases: number[] = [];
  const sinks: number[] = [];
  const logOnlys: number[] = [];
  const logSinks: number[] = [];
  for (let i = 0; i < 3; i++) {
    gc?.();
    bases.push(baseline(rows));
    gc?.();
    sinks.push(sinkOnly(rows));
    gc?.();
    logOnlys.push(throughLog(rows, false));
    gc?.();
    logSinks.push(throughLog(rows, true));
  }
  const base = median(bases);
  const sink = median(sinks);
  const logOnly = median(logOnlys);
  const logSink = median(logSinks);
  console.log(`baseline: raw prepared inserts, pre-built rows      ${fmt(base).padStart(10)} rows/s`);
  console.log(`sink (entries → JSON → batched transactions)        ${fmt(sink).padStart(10)} rows/s  (${fmt((100 * sink) / base)} % of baseline)`);
  console.log(`EventLog.append alone (canonical JSON + SHA-256)    ${fmt(logOnly).padStart(10)} appends/s`);
  console.log(`EventLog.append with the sink attached              ${fmt(logSink).padStart(10)} appends/s  (${fmt((100 * logSink) / logOnly)} % of append alone)`);

  console.log(`\nfleet: 100 drones, ${simSeconds} sim s, virtual clock as fast as it goes; recorders = event-log sink + telemetry at 10 Hz per drone`);
  await fleetRun(100, 5, 'events+telemetry'); // warm-up
  const without = await fleetRun(100, simSeconds, 'none');
  const eventsOnly = await fleetRun(100, simSeconds, 'events');
  const withRec = await fleetRun(100, simSeconds, 'events+telemetry');
  for (const [label, r] of [['no recorders        ', without], ['event-log sink      ', eventsOnly], ['sink + telemetry    ', withRec]] as const) {
    const x = r.simulated / r.run;
    console.log(
      `${label}: ${fmt(r.run, 2)} s wall = ${fmt(x, 1)}x real time, bus ${fmt(r.published / r.run)} msgs/s` +
        (r.events + r.telemetry ? `, stored ${fmt(r.events)} events + ${fmt(r.telemetry)} telemetry rows (${fmt((r.events + r.telemetry) / r.run)} rows/s), max queued ${fmt(r.maxPending)}, final flush ${fmt(r.flushTail * 1000, 1)} ms` : ''),
    );
  }
  const needed = (withRec.events + withRec.telemetry) / withRec.simulated;
  console.log(
    `real time needs ${fmt(needed)} rows/s for this fleet; recorded at ${fmt((withRec.events + withRec.telemetry) / withRec.run)} rows/s while simulating ${fmt(withRec.simulated / withRec.run, 1)}x faster than real time → keeps up with ${fmt(withRec.simulated / withRec.run, 1)}x headroom`,
  );
}

void main();
