import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Bus } from '../../actors/bus.js';
import { EventLog } from '../../actors/event-log.js';
import { loadScenarioFile } from '../../actors/scenario/scenario.loader.js';
import { runScenario } from '../../actors/scenario/scenario.runner.js';

describe('Bus', () => {
  it('delivers to topic and wildcard subscribers, isolates a throwing subscriber', () => {
    const errors: string[] = [];
    const bus = new Bus<{ '/a': number; '/b': string }>((_e, topic) => errors.push(topic));
    const got: unknown[] = [];
    bus.subscribe('/a', () => {
      throw new Error('boom');
    });
    const unsub = bus.subscribe('/a', (m) => got.push(m));
    bus.subscribeAll((m, t) => got.push(`${t}:${String(m)}`));
    bus.publish('/a', 1);
    bus.publish('/b', 'x');
    unsub();
    bus.publish('/a', 2);
    expect(got).toEqual([1, '/a:1', '/b:x', '/a:2']);
    expect(errors).toEqual(['/a', '/a']);
    expect(bus.stats()).toEqual({ '/a': 2, '/b': 1 });
  });

  it('says when nobody listens, so publishers can skip building messages', () => {
    const bus = new Bus<{ '/a': number }>();
    expect(bus.hasSubscribers('/a')).toBe(false);
    const u = bus.subscribe('/a', () => {});
    expect(bus.hasSubscribers('/a')).toBe(true);
    u();
    expect(bus.hasSubscribers('/a')).toBe(false);
  });
});

describe('EventLog', () => {
  it('hashes exactly its JSON lines, and refuses appends after the digest', () => {
    const log = new EventLog();
    log.append(0, 'twin', 'started', { vehicles: ['d1'] });
    log.append(20, 'd1', 'port.armed', { armed: true }, 'c1');
    const expected = createHash('sha256').update(log.toJsonl()).digest('hex');
    expect(log.sha256()).toBe(expected);
    expect(log.entries[1]).toEqual({ seq: 1, t_ms: 20, source: 'd1', type: 'port.armed', data: { armed: true }, cid: 'c1' });
    expect(() => log.append(30, 'x', 'y')).toThrow(/after sha256/);
  });
});

describe('EventLog sinks', () => {
  it('a sink remover is idempotent and removes only its own sink', () => {
    const log = new EventLog();
    const a: number[] = [];
    const b: number[] = [];
    const offA = log.addSink((e) => a.push(e.seq));
    log.addSink((e) => b.push(e.seq));
    offA();
    offA();
    log.append(0, 's', 't');
    expect(a).toEqual([]);
    expect(b).toEqual([0]);
  });
});

describe('EventLog window (a twin that runs for days)', () => {
  it('keeps a bounded window in memory while the sink receives every entry and the hash is unchanged', async () => {
    const loaded = await loadScenarioFile('scenarios/survey.yaml');
    if (!loaded.ok) throw new Error(loaded.error.message);
    const whole = await runScenario(loaded.value);
    const streamed: string[] = [];
    let peak = 0;
    const windowed = await runScenario(loaded.value, {
      eventLog: { window: 20 },
      onTwin: (twin) =>
        twin.log.addSink((_e, line) => {
          streamed.push(line);
          peak = Math.max(peak, twin.log.entries.length);
        }),
    });
    expect(whole.log.count).toBeGreaterThan(200);
    expect(windowed.log.count).toBe(whole.log.count);
    // Bounded all along, and at the end the window is the last 20 entries.
    expect(peak).toBeLessThanOrEqual(20);
    expect(windowed.log.entries).toEqual(whole.log.entries.slice(-20));
    // The sink saw everything, byte for byte, and the run's fingerprint did not change.
    expect(streamed.join('\n') + '\n').toBe(whole.log.toJsonl());
    expect(windowed.report.eventLogSha256).toBe(whole.report.eventLogSha256);
    // The expectations are judged on the whole run, not on the window.
    expect(windowed.report.expectations).toEqual(whole.report.expectations);
    expect(windowed.report.passed).toBe(true);
  });

  it('a window of 0 keeps nothing; hashing and sinks go on', () => {
    const all = new EventLog();
    const none = new EventLog({ window: 0 });
    let seen = 0;
    none.addSink(() => seen++);
    for (let i = 0; i < 1000; i++) {
      all.append(i, 's', 't', { i });
      none.append(i, 's', 't', { i });
    }
    expect(none.entries).toEqual([]);
    expect(seen).toBe(1000);
    expect(none.count).toBe(1000);
    expect(none.sha256()).toBe(all.sha256());
  });
});
