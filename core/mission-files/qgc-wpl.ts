/**
 * `QGC WPL 110` plain-text missions ⇄ the neutral {@link MissionPlan}.
 *
 * @remarks
 * The format (mavlink.io, "File Formats"): a `QGC WPL <version>` header, then one item per line,
 * twelve tab-separated fields: INDEX CURRENT_WP COORD_FRAME COMMAND PARAM1 PARAM2 PARAM3 PARAM4
 * X/LAT Y/LON Z/ALT AUTOCONTINUE. ArduPilot (and QGC when it writes the format) puts the home
 * position at index 0; with `homeAtIndex0` (the default) that line becomes the plan's `home` and
 * the mission starts at the next line. The format has no fence or rally points: a plan's are not
 * written. Numbers are written in JavaScript's shortest round-trip form, so values survive
 * exactly; `nan` stands for an unset param. A file without mission items is MISSION_FILE.EMPTY, an
 * item (or home) positioned off the globe MISSION_FILE.INVALID_ITEM naming its line and the reason.
 */
import { checkItems, coordinateProblem } from './internal/check-items.js';
import { fileError, type MissionFileResult, type MissionPlan, type RawMissionItem, emptyPlan } from './model.js';

export interface QgcWplOptions {
  /** Line 0 is the home position, not a mission item (ArduPilot's convention). @defaultValue true */
  readonly homeAtIndex0?: boolean;
}

export interface WriteQgcWplOptions extends QgcWplOptions {
  /** Line ending. @defaultValue '\n' */
  readonly eol?: '\n' | '\r\n';
}

const FIELDS = ['INDEX', 'CURRENT_WP', 'COORD_FRAME', 'COMMAND', 'PARAM1', 'PARAM2', 'PARAM3', 'PARAM4', 'X/LAT', 'Y/LON', 'Z/ALT', 'AUTOCONTINUE'] as const;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NAN = /^[+-]?nan$/i;

/** Reads a `QGC WPL` file's text. Never throws; errors name the line and field. */
export function parseQgcWpl(text: string, options: QgcWplOptions = {}): MissionFileResult<MissionPlan> {
  const homeAtIndex0 = options.homeAtIndex0 ?? true;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = /^QGC WPL (\d+)\s*$/.exec(lines[0] ?? '');
  if (!header) return fileError('MISSION_FILE.INVALID_WPL', 'line 1', `expected the header "QGC WPL 110", got ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`);
  if (header[1] !== '110' && header[1] !== '120') return fileError('MISSION_FILE.UNSUPPORTED', 'line 1', `QGC WPL version ${header[1]} (110 and 120 are supported)`);
  const rows: RawMissionItem[] = [];
  const lineNo: number[] = [];
  for (let ln = 1; ln < lines.length; ln++) {
    const line = lines[ln]!.trim();
    if (line === '') continue;
    const at = `line ${ln + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length !== FIELDS.length) {
      return fileError('MISSION_FILE.INVALID_WPL', at, `expected ${FIELDS.length} tab-separated fields (${FIELDS.join(' ')}), got ${fields.length}`);
    }
    const values: number[] = [];
    for (let f = 0; f < fields.length; f++) {
      const s = fields[f]!;
      const isInt = f < 4 || f === 11;
      const v = NAN.test(s) && !isInt ? Number.NaN : NUMBER.test(s) ? Number(s) : undefined;
      if (v === undefined || (!Number.isNaN(v) && !Number.isFinite(v))) {
        return fileError('MISSION_FILE.INVALID_WPL', `${at} ${FIELDS[f]}`, `not a number: ${JSON.stringify(s.slice(0, 40))}`);
      }
      values.push(v);
    }
    const [index, current, frame, command, p1, p2, p3, p4, x, y, z, autocontinue] = values as [number, ...number[]];
    const check = (ok: boolean, field: string, want: string) => (ok ? undefined : fileError('MISSION_FILE.INVALID_WPL', `${at} ${field}`, want));
    const bad =
      check(index === rows.length, 'INDEX', `expected ${rows.length} (items are numbered in order from 0), got ${index}`) ??
      check(current === 0 || current === 1, 'CURRENT_WP', `must be 0 or 1, got ${current}`) ??
      check(Number.isInteger(frame) && frame! >= 0 && frame! <= 255, 'COORD_FRAME', `must be an integer 0..255 (MAV_FRAME), got ${frame}`) ??
      check(Number.isInteger(command) && command! >= 0 && command! <= 65_535, 'COMMAND', `must be an integer 0..65535 (MAV_CMD), got ${command}`) ??
      check(autocontinue === 0 || autocontinue === 1, 'AUTOCONTINUE', `must be 0 or 1, got ${autocontinue}`);
    if (bad) return bad;
    lineNo.push(ln + 1);
    rows.push({
      seq: index,
      frame: frame!,
      command: command!,
      current: current === 1,
      autocontinue: autocontinue === 1,
      params: [p1!, p2!, p3!, p4!],
      x: x!,
      y: y!,
      z: z!,
    });
  }
  const plan = emptyPlan();
  const lineOf = [...lineNo];
  let emptyAt = 'line 1';
  if (homeAtIndex0 && rows.length > 0) {
    const h = rows.shift()!;
    const homeLine = lineOf.shift()!;
    emptyAt = `line ${homeLine}`;
    const bad = coordinateProblem({ ...h, command: 16, frame: 0 });
    if (bad) return fileError('MISSION_FILE.INVALID_ITEM', `line ${homeLine} ${bad.field === 'x' ? 'X/LAT' : bad.field === 'y' ? 'Y/LON' : 'Z/ALT'}`, `home: ${bad.reason}`);
    plan.home = { lat_deg: h.x, lon_deg: h.y, alt_m: h.z };
    if (!isCanonicalHome(h)) plan.home.raw = h;
  }
  plan.items = rows.map((r, i) => ({ ...r, seq: i }));
  const FIELD = { x: 'X/LAT', y: 'Y/LON', z: 'Z/ALT' } as const;
  const checked = checkItems(plan.items, (k, field) => `line ${lineOf[k]}${field ? ` ${FIELD[field]}` : ''}`, emptyAt);
  if (!checked.ok) return checked;
  return { ok: true, value: plan };
}

/** The home line as ArduPilot and QGC write it: a current, absolute-altitude waypoint. */
function isCanonicalHome(h: RawMissionItem): boolean {
  return h.current && h.frame === 0 && h.command === 16 && h.autocontinue && h.params.every((p) => p === 0);
}

const fmt = (n: number) => (Number.isNaN(n) ? 'nan' : Object.is(n, -0) ? '-0' : String(n));

function line(index: number, it: RawMissionItem): string {
  return [index, it.current ? 1 : 0, it.frame, it.command, ...it.params.map(fmt), fmt(it.x), fmt(it.y), fmt(it.z), it.autocontinue ? 1 : 0].join('\t');
}

/**
 * Writes a plan as `QGC WPL 110` text. With `homeAtIndex0`, line 0 is the plan's home (zeros when
 * it has none) and items follow from index 1; the fence and rally points are not written.
 */
export function writeQgcWpl(plan: MissionPlan, options: WriteQgcWplOptions = {}): string {
  const eol = options.eol ?? '\n';
  const out = ['QGC WPL 110'];
  let index = 0;
  if (options.homeAtIndex0 ?? true) {
    const h = plan.home;
    const home: RawMissionItem = h?.raw ?? {
      seq: 0, frame: 0, command: 16, current: true, autocontinue: true, params: [0, 0, 0, 0], x: h?.lat_deg ?? 0, y: h?.lon_deg ?? 0, z: h?.alt_m ?? 0,
    };
    out.push(line(index++, home));
  }
  for (const it of plan.items) out.push(line(index++, it));
  return out.join(eol) + eol;
}
