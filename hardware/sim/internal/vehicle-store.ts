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
] as const;

/** Int32 columns (enums and flags). */
export const I32_COLUMNS = [
  'mode', 'phase', 'ctl', 'landed', 'armed', 'gpsOk', 'linkOk', 'crashed', 'falling',
  'missionIdx', 'missionState', 'sats', 'dllAction', 'dllFired', 'flown', 'batLevel', 'gcs', 'dlUp',
] as const;

export type F64Column = (typeof F64_COLUMNS)[number];
export type I32Column = (typeof I32_COLUMNS)[number];

// Declaration merging gives the class one typed field per column without repeating the list.
export interface VehicleStore extends Record<F64Column, Float64Array>, Record<I32Column, Int32Array> {}

export class VehicleStore {
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
