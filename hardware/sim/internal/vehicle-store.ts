/**
 * Struct-of-arrays storage for every simulated vehicle in a world.
 *
 * @remarks
 * One typed-array column per state variable, indexed by vehicle slot, so a physics tick over a
 * thousand vehicles is a tight loop over contiguous numbers with no allocation and no property
 * lookups on per-vehicle objects. Columns grow by doubling when a vehicle is added.
 * Positions are NED metres from the world origin; the ground is at down = 0.
 */

/** Float64 columns. Units in the trailing comment of each group. */
export const F64_COLUMNS = [
  // true state: position (m), ground velocity (m/s), horizontal air-relative velocity (m/s), yaw (deg)
  'pN', 'pE', 'pD', 'vN', 'vE', 'vD', 'vaN', 'vaE', 'yaw',
  // controller wind estimate and turbulence state (m/s); injected gust (m/s) and its end (ms)
  'wEstN', 'wEstE', 'gustN', 'gustE', 'injGustN', 'injGustE', 'injGustUntil',
  // guidance setpoint: target (m), horizontal speed limit (m/s), vertical limits (m/s)
  'tgtN', 'tgtE', 'tgtD', 'tgtSpd', 'tgtVUp', 'tgtVDn',
  // home (m), used for RTL; the ground is flat so home down is 0
  'homeN', 'homeE',
  // battery: consumed (mAh), current (A), voltage (V), remaining (0..100)
  'batUsed', 'batCurrent', 'batVoltage', 'batPct',
  // reported GPS position (m) and its correlated error state (m); hdop
  'gpsN', 'gpsE', 'gpsD', 'gpsErrN', 'gpsErrE', 'gpsErrD', 'hdop',
  // fault end times (ms, Infinity = until restored); link-down start (ms)
  'gpsLossUntil', 'linkLossUntil', 'linkDownSince',
  // timers (ms): current phase entered, on ground and armed since
  'phaseT', 'groundSince',
  // next geofence check (ms of sim time; PX4 checks every 200 ms); takeoff start (ms, NaN = none)
  'gfCheckAt', 'tkoAt',
] as const;

/** Int32 columns (enums and flags). */
export const I32_COLUMNS = [
  'mode', 'phase', 'ctl', 'landed', 'armed', 'gpsOk', 'linkOk', 'crashed', 'falling',
  'missionIdx', 'missionState', 'sats', 'dllAction', 'dllFired', 'flown', 'batLevel', 'gcs', 'dlUp',
  // PX4's nav_state_after_disarming (a Mode); 1 while a mission's RTL item has handed over to RTL
  'afterDisarm', 'rtlItem',
  // geofence breach bits (1 max distance, 2 max altitude, 4 polygon/circle fence), as last checked
  'gfBreach',
] as const;

export type F64Column = (typeof F64_COLUMNS)[number];
export type I32Column = (typeof I32_COLUMNS)[number];

const EMPTY_F64 = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);

/**
 * The columns are spelled out as class fields (not assigned in a loop) so V8 keeps the object in
 * fast mode with in-object properties; keyed stores of ~60 properties would turn it into a
 * dictionary and make every column access a hash lookup. A type check below keeps the field
 * list and the column lists in step.
 */
export class VehicleStore {
  pN = EMPTY_F64; pE = EMPTY_F64; pD = EMPTY_F64; vN = EMPTY_F64; vE = EMPTY_F64; vD = EMPTY_F64;
  vaN = EMPTY_F64; vaE = EMPTY_F64; yaw = EMPTY_F64; wEstN = EMPTY_F64; wEstE = EMPTY_F64; gustN = EMPTY_F64;
  gustE = EMPTY_F64; injGustN = EMPTY_F64; injGustE = EMPTY_F64; injGustUntil = EMPTY_F64; tgtN = EMPTY_F64;
  tgtE = EMPTY_F64; tgtD = EMPTY_F64; tgtSpd = EMPTY_F64; tgtVUp = EMPTY_F64; tgtVDn = EMPTY_F64;
  homeN = EMPTY_F64; homeE = EMPTY_F64; batUsed = EMPTY_F64; batCurrent = EMPTY_F64; batVoltage = EMPTY_F64;
  batPct = EMPTY_F64; gpsN = EMPTY_F64; gpsE = EMPTY_F64; gpsD = EMPTY_F64; gpsErrN = EMPTY_F64;
  gpsErrE = EMPTY_F64; gpsErrD = EMPTY_F64; hdop = EMPTY_F64; gpsLossUntil = EMPTY_F64;
  linkLossUntil = EMPTY_F64; linkDownSince = EMPTY_F64; phaseT = EMPTY_F64; groundSince = EMPTY_F64; gfCheckAt = EMPTY_F64; tkoAt = EMPTY_F64;
  mode = EMPTY_I32; phase = EMPTY_I32; ctl = EMPTY_I32; landed = EMPTY_I32; armed = EMPTY_I32;
  gpsOk = EMPTY_I32; linkOk = EMPTY_I32; crashed = EMPTY_I32; falling = EMPTY_I32; missionIdx = EMPTY_I32;
  missionState = EMPTY_I32; sats = EMPTY_I32; dllAction = EMPTY_I32; dllFired = EMPTY_I32; flown = EMPTY_I32;
  batLevel = EMPTY_I32; gcs = EMPTY_I32; dlUp = EMPTY_I32; afterDisarm = EMPTY_I32; rtlItem = EMPTY_I32; gfBreach = EMPTY_I32;
  /** Number of vehicles in use. */
  count = 0;
  /** Allocated slots. */
  capacity: number;

  constructor(initialCapacity = 16) {
    this.capacity = Math.max(1, initialCapacity);
    for (const c of F64_COLUMNS) this[c] = new Float64Array(this.capacity);
    for (const c of I32_COLUMNS) this[c] = new Int32Array(this.capacity);
  }

  /** Reserves a slot, doubling the columns when full; returns its index. */
  add(): number {
    if (this.count === this.capacity) this.grow(this.capacity * 2);
    return this.count++;
  }

  private grow(capacity: number): void {
    for (const c of F64_COLUMNS) {
      const next = new Float64Array(capacity);
      next.set(this[c]);
      this[c] = next;
    }
    for (const c of I32_COLUMNS) {
      const next = new Int32Array(capacity);
      next.set(this[c]);
      this[c] = next;
    }
    this.capacity = capacity;
  }
}

// Compile-time check that every listed column is a field of the right type, and vice versa.
type ColumnsOf<T, V> = { [K in keyof T]: T[K] extends V ? K : never }[keyof T];
const _f64Check: [ColumnsOf<VehicleStore, Float64Array>] extends [F64Column] ? ([F64Column] extends [ColumnsOf<VehicleStore, Float64Array>] ? true : false) : false = true;
const _i32Check: [ColumnsOf<VehicleStore, Int32Array>] extends [I32Column] ? ([I32Column] extends [ColumnsOf<VehicleStore, Int32Array>] ? true : false) : false = true;
void _f64Check;
void _i32Check;
