/**
 * Events metadata (libevents JSON) parsing, argument decoding and message formatting, on real
 * PX4 v1.15.4 metadata (test/fixtures/px4-events), xz-compressed as PX4 serves it; and the full
 * file of a local PX4 build when PX4_DIR points at one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeArguments, displayValue, formatMessage } from '../../hardware/real/mavlink/events/event-format.js';
import { parseEventsMetadata, px4EventId, type EventsMetadata } from '../../hardware/real/mavlink/events/events-metadata.js';
import { HealthReportAssembler, checksForModeGroup } from '../../hardware/real/mavlink/events/health-report.js';
import { decompressXz, isXz } from '../../hardware/real/mavlink/events/xz.js';
import { mavCrc32 } from '../../hardware/real/mavlink/ftp/ftp-payload.js';
import { SITL_EVENTS_METADATA } from '../../hardware/sim/sitl/events-metadata.js';

const FIXTURE = new URL('../fixtures/px4-events/', import.meta.url);
const PX4_BUILD = `${process.env.PX4_DIR ?? '/nonexistent'}/build/px4_sitl_default`;

async function px4Excerpt(): Promise<EventsMetadata> {
  const xz = readFileSync(new URL('all_events.excerpt.json.xz', FIXTURE));
  const d = await decompressXz(xz, 1 << 20);
  if (!d.ok) throw new Error(d.error.message);
  const m = parseEventsMetadata(new TextDecoder().decode(d.value));
  if (!m.ok) throw new Error(m.error.message);
  return m.value;
}

/** Little-endian argument bytes. */
function args(...parts: [string, number][]): number[] {
  const b = Buffer.alloc(40);
  let o = 0;
  for (const [t, v] of parts) {
    if (t === 'u8') b.writeUInt8(v, o), (o += 1);
    else if (t === 'u16') b.writeUInt16LE(v, o), (o += 2);
    else if (t === 'u32') b.writeUInt32LE(v >>> 0, o), (o += 4);
    else if (t === 'i32') b.writeInt32LE(v, o), (o += 4);
    else if (t === 'f') b.writeFloatLE(v, o), (o += 4);
  }
  return [...b];
}

function render(meta: EventsMetadata, name: string, bytes: number[]): string {
  const info = meta.event(meta.idOf(name)!)!;
  const a = decodeArguments(info, bytes, meta);
  if (!a.ok) throw new Error(a.error.message);
  return formatMessage(info.def.message, a.value);
}

describe('events metadata', () => {
  it('decompresses and parses PX4 v1.15.4 metadata; ids are PX4 event ids (FNV-1a of the name)', async () => {
    const meta = await px4Excerpt();
    expect(meta.eventCount).toBeGreaterThanOrEqual(11);
    // PX4's own id, as events::ID("commander_modeswitch_not_avail") computes it.
    expect(meta.idOf('commander_modeswitch_not_avail')).toBe(px4EventId('commander_modeswitch_not_avail'));
    expect(meta.idOf('commander_modeswitch_not_avail')).toBe(((1 << 24) | 10503063) >>> 0);
    expect(meta.event(px4EventId('check_modes_mission'))?.group).toBe('arming_check');
    // Mission (AUTO.MISSION = main 4, sub 4) is navigation mode group 3.
    expect(meta.modeGroupOf(0x04040000)).toBe(3);
  });

  it('formats enums, float precision with units, and PX4 messages', async () => {
    const meta = await px4Excerpt();
    expect(render(meta, 'commander_modeswitch_not_avail', args(['u32', 0x04040000], ['u8', 3]))).toBe("Switching to mode 'Mission' is currently not possible");
    expect(render(meta, 'navigator_mis_takeoff_too_low', args(['f', 2.5]))).toBe('Mission rejected: takeoff altitude too low! Minimum: 2.5 m');
    expect(render(meta, 'rtl_mission_land_climb', args(['i32', 30]))).toBe('RTL Mission Land: climb to 30 m');
    // Unknown enum value
    expect(render(meta, 'commander_modeswitch_not_avail', args(['u32', 0], ['u8', 200]))).toBe("Switching to mode '(unknown: 200)' is currently not possible");
  });

  it('formats bitfields with their separator, common namespace (calibration)', async () => {
    const meta = await px4Excerpt();
    // cal_progress: {2}% with progress int8; calibration_sides_t is a bitfield.
    expect(render(meta, 'cal_progress', args(['u8', 1], ['u8', 42]))).toBe('Calibration progress: 42%');
    const info = meta.event(meta.idOf('cal_orientation_detected')!)!;
    const a = decodeArguments(info, args(['u8', 1 | 4], ['u8', 2]), meta);
    expect(a.ok && displayValue(a.value[0]!)).toBe('Tail Down|Left Side Down');
  });

  it('implements libevents message syntax: escapes, profiles, tags, bad placeholders', () => {
    expect(formatMessage('a \\{1\\} b', [])).toBe('a {1} b');
    expect(formatMessage('x<profile name="dev"> dev only</profile><profile name="!dev"> normal</profile>', [])).toBe('x normal');
    expect(formatMessage('set <param>COM_ARM_MIS_REQ</param>, see <a href="https://x">docs</a><b>gone</b>', [])).toBe('set COM_ARM_MIS_REQ, see docs');
    expect(formatMessage('{3} and {x} and {', [])).toBe('{3} and {x} and {');
    expect(formatMessage('  {1:.2m/s}  ', [{ name: 'v', type: 'float', value: 1.23456 }])).toBe('1.23 m/s');
  });

  it('rejects malformed metadata with METADATA.INVALID, never throws', () => {
    expect(parseEventsMetadata('{').ok).toBe(false);
    const r = parseEventsMetadata({ version: 1, components: { '1': { namespace: 'x', enums: { e: { type: 'float', entries: {} } } } } });
    expect(!r.ok && r.error.code).toBe('METADATA.INVALID');
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const p = parseEventsMetadata(v);
      return p.ok || p.error.code === 'METADATA.INVALID';
    }), { numRuns: 300 });
  });

  it('decodes random argument bytes for every event without throwing', async () => {
    const meta = await px4Excerpt();
    const ids = ['commander_modeswitch_not_avail', 'navigator_mis_takeoff_too_low', 'check_modes_mission', 'commander_arming_check_summary', 'cal_orientation_detected']
      .map((n) => meta.idOf(n)!);
    fc.assert(fc.property(fc.constantFrom(...ids), fc.uint8Array({ maxLength: 60 }), (id, bytes) => {
      const info = meta.event(id)!;
      const a = decodeArguments(info, [...bytes], meta);
      if (!a.ok) return true;
      return typeof formatMessage(info.def.message, a.value) === 'string';
    }), { numRuns: 500 });
  });

  it('the SITL publishes valid metadata with PX4 ids for PX4 events', () => {
    const m = parseEventsMetadata(JSON.parse(JSON.stringify(SITL_EVENTS_METADATA)));
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.value.idOf('commander_modeswitch_not_avail')).toBe(((1 << 24) | 10503063) >>> 0);
    expect(m.value.modeGroupOf(0x04040000)).toBe(3);
  });

  it('assembles a health and arming-check report and the checks blocking a mode', async () => {
    const meta = await px4Excerpt();
    const h = new HealthReportAssembler();
    const feed = (name: string, bytes: number[]) => {
      const info = meta.event(meta.idOf(name)!)!;
      const a = decodeArguments(info, bytes, meta);
      if (!a.ok) throw new Error(a.error.message);
      return h.handle({ id: info.id, name, group: info.group, type: info.def.type, args: a.value, text: formatMessage(info.def.message, a.value), severity: 'error' }, 1000);
    };
    const missionBit = 1 << 3, mission = 1 << 18;
    expect(feed('commander_arming_check_summary', args(['u8', 0], ['u32', mission], ['u32', 0], ['u32', 0xffff & ~missionBit], ['u32', 0xffff & ~missionBit]))).toBeUndefined();
    feed('check_modes_mission', args(['u32', missionBit], ['u8', 18]));
    const report = feed('commander_health_summary', args(['u8', 0], ['u32', mission | 8], ['u32', 0], ['u32', 0]));
    expect(report?.checks.map((c) => [c.text, c.component])).toEqual([['No valid mission available', 'mission']]);
    expect(report?.modeGroups.find((g) => g.name === 'mission')).toMatchObject({ canArm: false, canRun: false });
    expect(report?.modeGroups.find((g) => g.name === 'loiter')).toMatchObject({ canArm: true, canRun: true });
    expect(report?.components.find((c) => c.name === 'mission')).toMatchObject({ present: true, armingError: true });
    expect(checksForModeGroup(report, 3).map((c) => c.name)).toEqual(['check_modes_mission']);
    expect(checksForModeGroup(report, 4)).toEqual([]);
    // Out of order: a check event without a summary before it is ignored.
    expect(feed('check_modes_mission', args(['u32', missionBit], ['u8', 18]))).toBeUndefined();
    expect(h.current).toBe(report);
  });

  it('xz: rejects garbage and bounds the output', async () => {
    expect((await decompressXz(Uint8Array.of(1, 2, 3), 100)).ok).toBe(false);
    const xz = readFileSync(new URL('all_events.excerpt.json.xz', FIXTURE));
    expect(isXz(xz)).toBe(true);
    const small = await decompressXz(xz, 1000);
    expect(!small.ok && small.error.code).toBe('METADATA.TOO_LARGE');
    const broken = Uint8Array.from(xz);
    broken[broken.length >> 1] = broken[broken.length >> 1]! ^ 0xff;
    const r = await decompressXz(broken, 1 << 20);
    expect(!r.ok && r.error.code).toBe('METADATA.XZ');
  });

  it.skipIf(!existsSync(`${PX4_BUILD}/events/all_events.json.xz`))('parses the whole all_events.json.xz of a local PX4 build; fileCrc is MAVLink CRC32', async () => {
    const xz = readFileSync(`${PX4_BUILD}/events/all_events.json.xz`);
    const d = await decompressXz(xz, 8 << 20);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const m = parseEventsMetadata(new TextDecoder().decode(d.value));
    expect(m.ok).toBe(true);
    if (m.ok) expect(m.value.eventCount).toBeGreaterThan(300);
    const general = JSON.parse(readFileSync(`${PX4_BUILD}/component_general.json`, 'utf8')) as { metadataTypes: { type: number; fileCrc: number }[] };
    expect(mavCrc32(xz)).toBe(general.metadataTypes.find((t) => t.type === 4)!.fileCrc);
  });
});
