/**
 * Presenting a scenario report: a summary table for people, JUnit XML for CI servers.
 *
 * @remarks
 * JUnit XML is written by hand: one testsuite, one testcase per expectation, a dozen lines
 * with proper escaping; a dependency would not be smaller than this.
 */
import Table from 'cli-table3';
import type { ScenarioReport } from '../actors/scenario/scenario.runner.js';

export function summaryTable(report: ScenarioReport, color = false, interrupted = false): string {
  const paint = (ok: boolean, text: string) => (color ? `\x1b[${ok ? 32 : 31}m${text}\x1b[0m` : text);
  const vehicles = new Table({
    head: ['vehicle', 'mission', 'progress', 'battery', 'state', 'home dist', 'failsafes'],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
  });
  for (const [id, v] of Object.entries(report.vehicles)) {
    vehicles.push([
      id,
      `${v.mission.status}${v.mission.reason ? `\n${wrap(v.mission.reason, 40)}` : ''}`,
      `${v.mission.progress.percent_complete.toFixed(0)} % (${v.mission.progress.total_waypoints} items)`,
      v.battery_pct === null ? '-' : `${v.battery_pct.toFixed(1)} %`,
      `${v.landed ?? '-'}${v.armed ? ', armed' : ''}`,
      v.distanceFromHome_m === null ? '-' : `${v.distanceFromHome_m.toFixed(1)} m`,
      v.failsafes.map((f) => f.kind).join(', ') || '-',
    ]);
  }
  const expectations = new Table({
    head: ['', 'expectation', 'vehicle', 'result'],
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] },
  });
  for (const e of report.expectations) {
    expectations.push([
      paint(e.passed, e.passed ? 'PASS' : 'FAIL'),
      `${e.kind}${e.expected_to_fail ? ' (expected to fail)' : ''}`,
      e.vehicle ?? '*',
      wrap(e.reason, 60),
    ]);
  }
  const verdict = interrupted ? 'STOPPED (expectations as of now)' : paint(report.passed, report.passed ? 'PASSED' : 'FAILED');
  const lines = [
    vehicles.toString(),
    expectations.toString(),
    ...report.errors.map((e) => paint(false, `error: ${e}`)),
    `${verdict}  ${report.scenario}  seed ${report.seed}  ${report.simulatedSeconds.toFixed(1)} s simulated` +
      (report.wallSeconds !== undefined ? ` in ${report.wallSeconds.toFixed(3)} s wall (${(report.simulatedSeconds / Math.max(report.wallSeconds, 1e-9)).toFixed(0)}x)` : '') +
      `  events ${report.events}  sha256 ${report.eventLogSha256.slice(0, 16)}`,
  ];
  return lines.join('\n');
}

function wrap(text: string, width: number): string {
  const words = text.split(' ');
  const out: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.join('\n');
}

const xml = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!)
    // XML 1.0 forbids most control characters even when escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function junitXml(reports: readonly ScenarioReport[]): string {
  const suites = reports.map((r) => {
    const cases = r.expectations.map((e) => {
      const name = `${e.kind}${e.vehicle ? ` [${e.vehicle}]` : ''}${e.expected_to_fail ? ' (expected to fail)' : ''}`;
      const body = e.passed ? `<system-out>${xml(e.reason)}</system-out>` : `<failure message="${xml(e.reason)}" type="${xml(e.kind)}"/>`;
      return `    <testcase classname="${xml(r.scenario)}" name="${xml(name)}">${body}</testcase>`;
    });
    for (const err of r.errors) cases.push(`    <testcase classname="${xml(r.scenario)}" name="scenario"><error message="${xml(err)}"/></testcase>`);
    const failures = r.expectations.filter((e) => !e.passed).length;
    return [
      `  <testsuite name="${xml(r.scenario)}" tests="${cases.length}" failures="${failures}" errors="${r.errors.length}" time="${(r.wallSeconds ?? 0).toFixed(3)}">`,
      `    <properties><property name="seed" value="${r.seed}"/><property name="eventLogSha256" value="${r.eventLogSha256}"/><property name="simulatedSeconds" value="${r.simulatedSeconds}"/></properties>`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}\n</testsuites>\n`;
}
