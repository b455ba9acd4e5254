import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { haversine_m } from '../../core/geo.js';
import { hasPosition } from '../../core/mavlink-mission/index.js';
import type { MissionItem } from '../../core/mission.js';
import {
  fromMissionItems,
  MAV_CMD,
  parseQgcPlan,
  parseQgcWpl,
  rawItem,
  rawItemReasons,
  readQgcPlan,
  toMissionItems,
  writeQgcPlan,
  writeQgcWpl,
  type MissionFileResult,
  type MissionPlan,
  type PlanItem,
  type RawMissionItem,
} from '../../core/mission-files/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/mission-files/${name}`, import.meta.url), 'utf8');
const PLAN = fixture('survey.plan');
const WPL = fixture('ardupilot.waypoints');

function ok<T>(r: MissionFileResult<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}
function err<T>(r: MissionFileResult<T>) {
  if (r.ok) throw new Error('expected a failure');
  return r.error;
}

describe('QGroundControl .plan', () => {
  it('reads a QGC survey plan: simple items, the survey expanded from its stored items, fence, rally, home', () => {
    const plan = ok(parseQgcPlan(PLAN));
    expect(plan.home).toEqual({ lat_deg: 47.3977419, lon_deg: 8.545594, alt_m: 487.989 });
    expect(plan.items.map((i) => i.command)).toEqual([22, 16, 16, 206, 16, 16, 16, 16, 16, 206, 178, 16, 20]);
    expect(plan.items.map((i) => i.seq)).toEqual(plan.items.map((_, k) => k));
    expect(plan.items.filter((i) => i.complex === 0)).toHaveLength(8);
    expect(plan.complex).toHaveLength(1);
    expect(plan.complex[0]!.complexItemType).toBe('survey');
    expect(plan.items[0]!.params[3]).toBeNaN(); // null in the file
    expect(plan.fence.polygons.map((p) => p.inclusion)).toEqual([true, false]);
    expect(plan.fence.circles[0]).toMatchObject({ inclusion: true, radius_m: 319.85 });
    expect(plan.rally).toHaveLength(2);
  });

  it('round trip .plan → model → .plan gives the same JSON', () => {
    const once = writeQgcPlan(ok(parseQgcPlan(PLAN)));
    expect(JSON.parse(once)).toEqual(JSON.parse(PLAN));
    expect(writeQgcPlan(ok(parseQgcPlan(once)))).toBe(once);
  });

  it('expandComplex writes the survey as the SimpleItems it stands for', () => {
    const expanded = JSON.parse(writeQgcPlan(ok(parseQgcPlan(PLAN)), { expandComplex: true })) as { mission: { items: { type: string }[] } };
    expect(expanded.mission.items.every((i) => i.type === 'SimpleItem')).toBe(true);
    expect(ok(readQgcPlan(expanded)).items.map((i) => i.command)).toEqual(ok(parseQgcPlan(PLAN)).items.map((i) => i.command));
  });

  it('regenerates a survey with planSurvey when the file has no stored items', () => {
    const doc = JSON.parse(PLAN) as { mission: { items: Record<string, unknown>[] } };
    const survey = doc.mission.items[2] as { TransectStyleComplexItem: Record<string, unknown>; polygon: [number, number][] };
    delete survey.TransectStyleComplexItem['Items'];
    const plan = ok(readQgcPlan(doc));
    const generated = plan.items.filter((i) => i.complex === 0);
    const wps = generated.filter((i) => i.command === MAV_CMD.NAV_WAYPOINT);
    expect(wps.length).toBeGreaterThanOrEqual(4);
    expect(wps.every((w) => w.z === 50 && w.frame === 3)).toBe(true);
    // Camera on at the first capture with the footprint-derived distance, off after the last.
    const triggers = generated.filter((i) => i.command === MAV_CMD.DO_SET_CAM_TRIGG_DIST);
    expect(triggers.map((t) => t.params[0] > 0)).toEqual([true, false]);
    // 50 m · 15.4 mm / 16 mm = 48.1 m footprint along track, 30 % of it between shots.
    expect(triggers[0]!.params[0]).toBeCloseTo(48.125 * 0.3, 6);
    // Every waypoint within the survey area's neighbourhood.
    const [la, lo] = survey.polygon[0]!;
    for (const w of wps) expect(haversine_m({ lat_deg: la, lon_deg: lo }, { lat_deg: w.x, lon_deg: w.y })).toBeLessThan(300);
    // And it still writes back as the ComplexItem read.
    expect((JSON.parse(writeQgcPlan(plan)) as typeof doc).mission.items[2]).toEqual(survey);
  });

  it('a survey without stored items or camera specs is unsupported, with its path', () => {
    const doc = JSON.parse(PLAN) as { mission: { items: { TransectStyleComplexItem: Record<string, unknown> }[] } };
    const t = doc.mission.items[2]!.TransectStyleComplexItem;
    delete t['Items'];
    t['CameraCalc'] = { CameraName: 'Manual (no camera specs)', DistanceToSurface: 50, DistanceToSurfaceRelative: true, version: 1 };
    const e = err(readQgcPlan(doc));
    expect(e.code).toBe('MISSION_FILE.UNSUPPORTED');
    expect(e.context?.['path']).toMatch(/^mission\.items\.2\.TransectStyleComplexItem\.CameraCalc/);
  });

  it('bad files give a clear error with the JSON path', () => {
    const doc = JSON.parse(PLAN) as { mission: { items: { params: unknown[] }[] }; geoFence: { polygons: { polygon: unknown[] }[] } };
    doc.mission.items[1]!.params[4] = 'north';
    expect(err(readQgcPlan(doc)).message).toMatch(/^mission\.items\.1\.params\.4: /);
    const d2 = JSON.parse(PLAN) as typeof doc;
    d2.geoFence.polygons[1]!.polygon = [[47, 8]];
    expect(err(readQgcPlan(d2)).message).toMatch(/^geoFence\.polygons\.1\.polygon: /);
    expect(err(parseQgcPlan('{"fileType": "Plan", ')).code).toBe('MISSION_FILE.INVALID_JSON');
    expect(err(parseQgcPlan('{"fileType": "Mission"}')).message).toMatch(/^fileType: /);
    expect(err(parseQgcPlan('[]')).message).toMatch(/^\(root\): /);
  });
});

describe('QGC WPL 110', () => {
  it('reads an ArduPilot file: home at index 0, items from 1', () => {
    const plan = ok(parseQgcWpl(WPL));
    expect(plan.home).toEqual({ lat_deg: -35.363261, lon_deg: 149.16523, alt_m: 584.09 });
    expect(plan.items.map((i) => [i.seq, i.command])).toEqual([[0, 22], [1, 16], [2, 16], [3, 178], [4, 16], [5, 203], [6, 177], [7, 20]]);
  });

  it('round trip WPL → model → WPL keeps every value; our own text comes back byte for byte', () => {
    const once = writeQgcWpl(ok(parseQgcWpl(WPL)));
    expect(ok(parseQgcWpl(once))).toEqual(ok(parseQgcWpl(WPL)));
    expect(writeQgcWpl(ok(parseQgcWpl(once)))).toBe(once);
    expect(writeQgcWpl(ok(parseQgcWpl(once.replace(/\n/g, '\r\n'))), { eol: '\r\n' })).toBe(once.replace(/\n/g, '\r\n'));
  });

  it('without homeAtIndex0, line 0 is an item; a non-canonical home line is kept as written', () => {
    expect(ok(parseQgcWpl(WPL, { homeAtIndex0: false })).items).toHaveLength(9);
    const odd = WPL.replace('0\t1\t0\t16\t0\t0\t0\t0', '0\t1\t0\t16\t0.15\t0\t0\t0');
    expect(writeQgcWpl(ok(parseQgcWpl(odd)))).toContain('0\t1\t0\t16\t0.15\t0\t0\t0\t-35.363261');
  });

  it('random raw items survive WPL and .plan round trips exactly (NaN, -0, extremes)', () => {
    const num = fc.oneof(fc.double({ noDefaultInfinity: true }), fc.constant(Number.NaN), fc.constant(-0), fc.integer());
    const item = fc.record({
      frame: fc.integer({ min: 0, max: 255 }), command: fc.integer({ min: 0, max: 65535 }), current: fc.boolean(), autocontinue: fc.boolean(),
      params: fc.tuple(num, num, num, num), x: num, y: num, z: num,
    });
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 20 }), (raw) => {
      // Positions stay on the globe (an item off it is refused: see 'coordinates and emptiness').
      const items: RawMissionItem[] = raw.map((r, seq) => (hasPosition(r) ? { ...r, seq, x: r.x % 90, y: r.y % 180 } : { ...r, seq }));
      const plan: MissionPlan = { items, home: { lat_deg: 1.5, lon_deg: -2.25, alt_m: 100 }, fence: { polygons: [], circles: [] }, rally: [], complex: [] };
      expect(ok(parseQgcWpl(writeQgcWpl(plan))).items).toEqual(items);
      // .plan has no "current" and JSON no -0: everything else survives (doJumpId is added, 1-based).
      const z = (r: RawMissionItem) => ({ ...r, current: false, params: r.params.map((p) => p + 0), x: r.x + 0, y: r.y + 0, z: r.z + 0 });
      const back = ok(parseQgcPlan(writeQgcPlan(plan))).items;
      expect(back.map(({ doJumpId, ...r }) => z(r))).toEqual(items.map(z));
    }), { numRuns: 200 });
  });

  it('bad lines give an error naming the line and field', () => {
    expect(err(parseQgcWpl('QGC WPL 100\n')).code).toBe('MISSION_FILE.UNSUPPORTED');
    expect(err(parseQgcWpl('hello\n')).message).toMatch(/^line 1: expected the header/);
    expect(err(parseQgcWpl(WPL.replace('149.163757', 'east'))).message).toMatch(/^line 4 Y\/LON: not a number/);
    expect(err(parseQgcWpl(WPL.replace('\n3\t0\t3\t16', '\n7\t0\t3\t16'))).message).toMatch(/^line 5 INDEX: expected 3/);
    expect(err(parseQgcWpl(WPL.replace('20.000000\t1\n', '20.000000\n'))).message).toMatch(/^line 3: expected 12 tab-separated fields/);
    expect(err(parseQgcWpl(WPL.replace('\t0\t3\t22\t', '\t2\t3\t22\t'))).message).toMatch(/^line 3 CURRENT_WP/);
  });
});

describe('raw items ⇄ the items we fly', () => {
  it('lifts takeoff, waypoints (with speed and capture), land and RTL; keeps the rest raw', () => {
    const items = toMissionItems(ok(parseQgcWpl(WPL)));
    expect(items.map((i) => i.kind)).toEqual(['takeoff', 'waypoint', 'waypoint', 'waypoint', 'raw', 'rtl']);
    expect(items[3]).toEqual({ kind: 'waypoint', lat_deg: -35.362308, lon_deg: 149.166756, alt_m: 25, hold_s: 2, acceptance_m: 2, speed_mps: 5, capture: true });
    expect(items[4]).toMatchObject({ kind: 'raw', item: { command: 177 } }); // DO_JUMP
  });

  it('says why an item stays raw (for "is not one the twin flies" messages)', () => {
    const plan = ok(parseQgcWpl(WPL.replace('-35.361197\t149.163757\t20.000000', '-35.361197\t149.163757\t1200')));
    const items = toMissionItems(plan);
    const why = rawItemReasons(plan);
    expect(items[1]!.kind).toBe('raw');
    expect(why[1]).toMatch(/^waypoint alt_m: /);
    expect(why[0]).toBeUndefined();
    expect(why[items.findIndex((i) => i.kind === 'raw' && i.item.command === 177)]).toBe('MAV_CMD 177 has no item the twin flies');
    const abs = rawItem(16, { frame: 0, params: [0, 0, 0, Number.NaN], x: 47.39, y: 8.54, z: 528 });
    expect(rawItemReasons({ items: [abs] })[0]).toBe('frame 0 gives no altitude above home (the plan has no home)');
  });

  it('an absolute-altitude waypoint is converted with the home altitude, kept raw without one', () => {
    const wp = rawItem(16, { frame: 0, params: [0, 0, 0, Number.NaN], x: 47.39, y: 8.54, z: 528 });
    expect(toMissionItems({ items: [wp], home: { lat_deg: 47.39, lon_deg: 8.54, alt_m: 488 } })[0]).toMatchObject({ kind: 'waypoint', alt_m: 40 });
    expect(toMissionItems({ items: [wp] })[0]!.kind).toBe('raw');
  });

  it('MissionItem → raw → MissionItem is lossless', () => {
    const wp = fc.record({
      kind: fc.constant('waypoint' as const),
      lat_deg: fc.double({ min: -89, max: 89, noNaN: true }), lon_deg: fc.double({ min: -179, max: 179, noNaN: true }),
      alt_m: fc.double({ min: 0, max: 1000, noNaN: true }), hold_s: fc.double({ min: 0, max: 3600, noNaN: true }),
      acceptance_m: fc.double({ min: 0.01, max: 100, noNaN: true }), capture: fc.boolean(),
    }).chain((w) => fc.option(fc.double({ min: 0.1, max: 50, noNaN: true }), { nil: undefined }).map((s): MissionItem => (s === undefined ? w : { ...w, speed_mps: s })));
    const any = fc.oneof(
      wp,
      fc.double({ min: 1, max: 1000, noNaN: true }).map((alt_m): MissionItem => ({ kind: 'takeoff', alt_m })),
      fc.constant<MissionItem>({ kind: 'rtl' }),
      fc.constant<MissionItem>({ kind: 'land' }),
      fc.record({ lat_deg: fc.double({ min: 1, max: 89, noNaN: true }), lon_deg: fc.double({ min: 1, max: 179, noNaN: true }) }).map((p): MissionItem => ({ kind: 'land', ...p })),
    );
    fc.assert(fc.property(fc.array(any, { maxLength: 30 }), (mission) => {
      expect(toMissionItems({ items: fromMissionItems(mission) })).toEqual(mission);
    }), { numRuns: 300 });
  });

  it('a mission built from our items writes to both formats and reads back the same', () => {
    const mission: PlanItem[] = [
      { kind: 'takeoff', alt_m: 30 },
      { kind: 'waypoint', lat_deg: 47.398, lon_deg: 8.546, alt_m: 40, hold_s: 0, acceptance_m: 2, capture: true, speed_mps: 6 },
      { kind: 'raw', item: rawItem(183, { frame: 2, params: [9, 1500, 0, 0] }) },
      { kind: 'land', lat_deg: 47.3977, lon_deg: 8.5456 },
    ];
    const home = { lat_deg: 47.3977419, lon_deg: 8.545594, alt_m: 488 };
    const plan: MissionPlan = { items: fromMissionItems(mission, home), home, fence: { polygons: [], circles: [] }, rally: [], complex: [] };
    const fromWpl = toMissionItems(ok(parseQgcWpl(writeQgcWpl(plan))));
    const fromPlan = toMissionItems(ok(parseQgcPlan(writeQgcPlan(plan))));
    // seq 4: takeoff, DO_CHANGE_SPEED, waypoint, DO_DIGICAM_CONTROL come first.
    const strip = (items: PlanItem[]) => items.map((i) => (i.kind === 'raw' ? { ...i, item: { ...i.item, doJumpId: undefined } } : i));
    expect(strip(fromWpl)).toEqual(strip(mission.map((i) => (i.kind === 'raw' ? { ...i, item: { ...i.item, seq: 4 } } : i))));
    expect(strip(fromPlan)).toEqual(strip(fromWpl));
  });
});

describe('coordinates and emptiness (issue 9)', () => {
  const doc = () => JSON.parse(PLAN) as { mission: { items: { params: (number | null)[] }[] }; geoFence: unknown; rallyPoints: unknown };

  it('a .plan item off the globe is MISSION_FILE.INVALID_ITEM naming the item, its param and the reason', () => {
    const cases: [number, number, RegExp][] = [
      [4, 123.4, /^mission\.items\.1\.params\.4: item 1 \(MAV_CMD 16\): latitude 123\.4 is outside ±90°/],
      [4, 1e308, /^mission\.items\.1\.params\.4: item 1 \(MAV_CMD 16\): latitude 1e\+308 is outside ±90°/],
      [5, -1e20, /^mission\.items\.1\.params\.5: item 1 \(MAV_CMD 16\): longitude -100000000000000000000 is outside ±180°/],
    ];
    for (const [param, value, message] of cases) {
      const d = doc();
      d.mission.items[1]!.params[param] = value;
      const e = err(readQgcPlan(d));
      expect(e.code).toBe('MISSION_FILE.INVALID_ITEM');
      expect(e.message).toMatch(message);
    }
    // Through the text reader too; 1e400 is not a finite number (zod refuses Infinity).
    const text = PLAN.replace('47.3985099', '123.4');
    expect(text).not.toBe(PLAN);
    expect(err(parseQgcPlan(text)).code).toBe('MISSION_FILE.INVALID_ITEM');
    const inf = err(parseQgcPlan(PLAN.replace('47.3985099', '1e400')));
    expect(inf.code).toBe('MISSION_FILE.INVALID_PLAN');
    expect(inf.message).toMatch(/^mission\.items\.1/);
    // An unset position (null) stays fine: NAV_LAND "here", a takeoff without one.
    const d = doc();
    d.mission.items[1]!.params[4] = null;
    d.mission.items[1]!.params[5] = null;
    expect(readQgcPlan(d).ok).toBe(true);
  });

  it('a plan (or WPL file) without mission items is MISSION_FILE.EMPTY', () => {
    const d = doc();
    d.mission.items = [];
    const e = err(readQgcPlan(d));
    expect(e.code).toBe('MISSION_FILE.EMPTY');
    expect(e.message).toBe('mission.items: the mission has no items');
    expect(err(parseQgcWpl('QGC WPL 110\n')).message).toBe('line 1: the mission has no items');
    const homeOnly = WPL.split('\n').slice(0, 2).join('\n') + '\n';
    expect(err(parseQgcWpl(homeOnly))).toMatchObject({ code: 'MISSION_FILE.EMPTY', message: 'line 2: the mission has no items' });
  });

  it('a WPL line or home off the globe names the line, the field and the reason', () => {
    const bad = WPL.replace('-35.361197', '-123.4');
    expect(err(parseQgcWpl(bad))).toMatchObject({ code: 'MISSION_FILE.INVALID_ITEM', message: 'line 4 X/LAT: item 1 (MAV_CMD 16): latitude -123.4 is outside ±90°' });
    expect(err(parseQgcWpl(WPL.replace('149.163757', '1e20'))).message).toBe('line 4 Y/LON: item 1 (MAV_CMD 16): longitude 100000000000000000000 is outside ±180°');
    expect(err(parseQgcWpl(WPL.replace('-35.363261', '95'))).message).toBe('line 2 X/LAT: home: latitude 95 is outside ±90°');
    // A DO item's params 5–7 are not a position: any value is fine there.
    expect(parseQgcWpl(WPL.replace('0.000000\t0.000000\t0.000000\t1\n7', '500.000000\t0.000000\t0.000000\t1\n7')).ok).toBe(true);
  });

  it('random and mutated plans: a valid plan or a coded error, never a throw, never an item off the globe', () => {
    const base = doc();
    const mutation = fc.record({
      item: fc.integer({ min: 0, max: base.mission.items.length - 1 }),
      param: fc.integer({ min: 0, max: 6 }),
      value: fc.oneof(fc.double(), fc.constant(null), fc.constantFrom(123.4, -90.0001, 180.5, 1e308, -1e20, 90, -180)),
    });
    fc.assert(fc.property(fc.array(mutation, { maxLength: 4 }), fc.boolean(), (ms, empty) => {
      const d = structuredClone(base);
      for (const m of ms) {
        const it = d.mission.items[m.item]!;
        if (Array.isArray(it.params)) it.params[m.param] = m.value;
      }
      if (empty) d.mission.items = [];
      const text = JSON.stringify(d).replace(/Infinity/g, '1e400');
      let r: ReturnType<typeof parseQgcPlan>;
      expect(() => { r = parseQgcPlan(text); }).not.toThrow();
      if (!r!.ok) {
        expect(r!.error.code).toMatch(/^MISSION_FILE\.(INVALID_PLAN|INVALID_JSON|INVALID_ITEM|EMPTY|UNSUPPORTED)$/);
        expect(r!.error.message).toMatch(/^mission\.items(\.\d+)?[.:]/);
        return;
      }
      expect(r!.value.items.length).toBeGreaterThan(0);
      for (const it of r!.value.items) {
        if (!hasPosition(it)) continue;
        expect(Number.isNaN(it.x) || Math.abs(it.x) <= 90).toBe(true);
        expect(Number.isNaN(it.y) || Math.abs(it.y) <= 180).toBe(true);
      }
      // And what reads, writes: WPL text of it reads back.
      expect(parseQgcWpl(writeQgcWpl(r!.value)).ok).toBe(true);
    }), { numRuns: 400 });
  });
});

describe('untrusted input (fast-check)', () => {
  it('random JSON never throws; a failure always has a code and a path', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const r = parseQgcPlan(JSON.stringify(value));
      if (!r.ok) {
        expect(r.error.code).toMatch(/^MISSION_FILE\./);
        expect(typeof r.error.context?.['path']).toBe('string');
      }
    }), { numRuns: 500 });
  });

  it('a real plan with one value replaced by random JSON never throws', () => {
    const base = JSON.parse(PLAN) as Record<string, unknown>;
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, at: (string | number)[]) => {
      paths.push(at);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
    };
    walk(base, []);
    fc.assert(fc.property(fc.constantFrom(...paths.filter((p) => p.length > 0)), fc.jsonValue(), (path, value) => {
      const doc = structuredClone(base);
      let node = doc as Record<string | number, unknown>;
      for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
      node[path[path.length - 1]!] = value;
      const r = readQgcPlan(doc);
      if (!r.ok) expect(r.error.message).toMatch(/^[^:]+: /);
    }), { numRuns: 500 });
  });

  it('random text, and a real WPL file with random lines, never throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => {
      const r = parseQgcWpl(text);
      if (!r.ok) expect(r.error.message).toMatch(/^line \d+/);
      parseQgcWpl('QGC WPL 110\n' + text);
    }), { numRuns: 500 });
    const lines = WPL.split('\n');
    fc.assert(fc.property(fc.integer({ min: 1, max: lines.length - 1 }), fc.string({ maxLength: 80 }), (k, junk) => {
      const copy = [...lines];
      copy[k] = junk;
      const r = parseQgcWpl(copy.join('\n'));
      if (!r.ok) expect(r.error.message).toMatch(/^line \d+/);
    }), { numRuns: 300 });
  });
});
