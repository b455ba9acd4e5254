/**
 * The capture index: one row per camera image, with its geotag, attitude, footprint and the blob
 * that holds its bytes (`captures` table, migration 4).
 *
 * @remarks
 * A row is inserted only after its blob is stored: `blob_key` references the `blobs` row, so
 * SQLite itself refuses a capture whose bytes are not indexed (`STORE.CONSTRAINT`), and a crash
 * between the blob and the capture leaves an orphaned blob, never a capture without bytes.
 * Positions are WGS84 (altitude AMSL, m), attitudes in degrees, `t_ms` the trigger time on the
 * clock of the run (sim time under the virtual clock).
 */
import type { Database, Statement } from 'better-sqlite3';
import { z } from 'zod';
import type { GeoPoint } from '../core/geo.js';
import { fail, ok, type Result } from '../core/result.js';
import type { CaptureRef, SensorPose } from '../hardware/sensor.port.js';
import type { BlobErrorCode, BlobStore } from './blob-store.port.js';
import { fromSqliteError, notFound, type StoreResult } from './errors.js';

/** A stored capture, as the REST API and the dashboard list it. */
export interface CaptureRecord {
  readonly id: number;
  /** Scenario run id; `null` for a live twin. */
  readonly run: string | null;
  readonly mission: string | null;
  readonly vehicle: string;
  readonly sensor: string;
  /** The camera's image index. */
  readonly index: number;
  readonly t_ms: number;
  readonly pose: SensorPose;
  readonly blob_key: string | null;
  readonly file_url: string | null;
  readonly media_type: string | null;
  readonly bytes: number | null;
  readonly sha256: string | null;
  readonly footprint: readonly GeoPoint[] | null;
  readonly created_at: string;
}

/** Which captures to list; validate query strings with it at the HTTP edge. */
export const CaptureQuerySchema = z.strictObject({
  vehicle: z.string().min(1).max(128).optional(),
  sensor: z.string().min(1).max(128).optional(),
  mission: z.string().min(1).max(128).optional(),
  run: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(1e9).default(0),
});
export type CaptureQuery = z.input<typeof CaptureQuerySchema>;

/** Where a capture belongs beyond its reference. */
export interface CaptureContext {
  readonly run?: string;
  readonly mission?: string;
}

interface Row {
  id: number;
  run: string | null;
  mission: string | null;
  vehicle: string;
  sensor: string;
  idx: number;
  t_ms: number;
  lat_deg: number;
  lon_deg: number;
  alt_m: number;
  roll_deg: number;
  pitch_deg: number;
  yaw_deg: number;
  blob_key: string | null;
  file_url: string | null;
  media_type: string | null;
  bytes: number | null;
  sha256: string | null;
  footprint: string | null;
  created_at: string;
}

const COLS =
  'id, run, mission, vehicle, sensor, idx, t_ms, lat_deg, lon_deg, alt_m, roll_deg, pitch_deg, yaw_deg, blob_key, file_url, media_type, bytes, sha256, footprint, created_at';
const FILTERS = ['vehicle', 'sensor', 'mission', 'run'] as const;

function record(r: Row): CaptureRecord {
  return {
    id: r.id,
    run: r.run,
    mission: r.mission,
    vehicle: r.vehicle,
    sensor: r.sensor,
    index: r.idx,
    t_ms: r.t_ms,
    pose: {
      position: { lat_deg: r.lat_deg, lon_deg: r.lon_deg, alt_m: r.alt_m },
      attitude_deg: { roll: r.roll_deg, pitch: r.pitch_deg, yaw: r.yaw_deg },
    },
    blob_key: r.blob_key,
    file_url: r.file_url,
    media_type: r.media_type,
    bytes: r.bytes,
    sha256: r.sha256,
    footprint: r.footprint === null ? null : (JSON.parse(r.footprint) as GeoPoint[]),
    created_at: r.created_at,
  };
}

export class CapturesRepository {
  private readonly insertStmt: Statement<unknown[]>;
  private readonly getStmt: Statement<[number], Row>;
  private readonly blobStmt: Statement<[string], { bytes: number; sha256: string }>;
  private readonly listStmts = new Map<string, { list: Statement<unknown[], Row>; count: Statement<unknown[], { n: number }> }>();

  constructor(
    private readonly db: Database,
    private readonly now: () => string,
    /** The blob store whose keys captures reference (for {@link record}). */
    private readonly blobs?: Pick<BlobStore, 'whenStored'>,
  ) {
    this.insertStmt = db.prepare(`INSERT INTO captures (${COLS.replace('id, ', '')}) VALUES (${Array(19).fill('?').join(', ')})`);
    this.getStmt = db.prepare(`SELECT ${COLS} FROM captures WHERE id = ?`);
    this.blobStmt = db.prepare('SELECT bytes, sha256 FROM blobs WHERE key = ?');
  }

  /**
   * Indexes a capture whose blob is already stored. `STORE.CONSTRAINT` when the blob is not in
   * the store or its size or checksum differ from the reference; `STORE.CONFLICT` when the run
   * already has this camera's index.
   */
  insert(ref: CaptureRef, context: CaptureContext = {}): StoreResult<CaptureRecord> {
    const what = `capture ${ref.vehicle}/${ref.sensor}#${ref.index}`;
    if (ref.blob_key === undefined && ref.file_url === undefined) return fail('STORE.CONSTRAINT', `${what}: neither a blob key nor a file url`);
    if (ref.blob_key !== undefined) {
      const blob = this.blobStmt.get(ref.blob_key);
      if (!blob) return fail('STORE.CONSTRAINT', `${what}: blob '${ref.blob_key}' is not in the store (write the blob first)`);
      if ((ref.bytes !== undefined && ref.bytes !== blob.bytes) || (ref.sha256 !== undefined && ref.sha256 !== blob.sha256))
        return fail('STORE.CONSTRAINT', `${what}: size or checksum differs from blob '${ref.blob_key}'`);
    }
    const { position: p, attitude_deg: a } = ref.pose;
    const row: Omit<Row, 'id'> = {
      run: context.run ?? null,
      mission: context.mission ?? null,
      vehicle: ref.vehicle,
      sensor: ref.sensor,
      idx: ref.index,
      t_ms: Math.round(ref.t_ms),
      lat_deg: p.lat_deg,
      lon_deg: p.lon_deg,
      alt_m: p.alt_m,
      roll_deg: a.roll,
      pitch_deg: a.pitch,
      yaw_deg: a.yaw,
      blob_key: ref.blob_key ?? null,
      file_url: ref.file_url ?? null,
      media_type: ref.media_type ?? null,
      bytes: ref.bytes ?? null,
      sha256: ref.sha256 ?? null,
      footprint: ref.footprint ? JSON.stringify(ref.footprint) : null,
      created_at: this.now(),
    };
    try {
      const info = this.insertStmt.run(...Object.values(row));
      return ok(record({ id: Number(info.lastInsertRowid), ...row }));
    } catch (error) {
      return fromSqliteError(error, what);
    }
  }

  /**
   * Indexes an announced capture once its image blob is stored: at once when it is, else when
   * the camera's put of `blob_key` ends, with the blob's size and checksum. A refused put
   * (`BLOB.FULL`…) or no bytes within `waitMs` wall ms (`STORE.NOT_FOUND`) inserts nothing.
   *
   * @remarks Cameras may announce a capture before its bytes exist (the simulated camera does,
   * at trigger time, so a simulated run's event log does not depend on encoding time): index
   * announced references with this, not {@link insert}.
   */
  async record(ref: CaptureRef, context: CaptureContext = {}, waitMs = 30_000): Promise<Result<CaptureRecord, BlobErrorCode>> {
    if (ref.blob_key === undefined || !this.blobs) return this.insert(ref, context);
    const stored = await this.blobs.whenStored(ref.blob_key, waitMs);
    if (!stored.ok) return stored;
    return this.insert({ ...ref, bytes: stored.value.bytes, sha256: stored.value.sha256, media_type: ref.media_type ?? stored.value.media_type }, context);
  }

  get(id: number): StoreResult<CaptureRecord> {
    const row = Number.isSafeInteger(id) ? this.getStmt.get(id) : undefined;
    return row ? ok(record(row)) : notFound(`capture ${id}`);
  }

  /** Captures matching every given filter in the order they were stored, a page at a time, with the total. */
  list(query: CaptureQuery = {}): { readonly items: CaptureRecord[]; readonly total: number } {
    const q = CaptureQuerySchema.parse(query);
    const used = FILTERS.filter((f) => q[f] !== undefined);
    const key = used.join(',');
    let stmts = this.listStmts.get(key);
    if (!stmts) {
      const where = used.length ? `WHERE ${used.map((f) => `${f} = ?`).join(' AND ')}` : '';
      stmts = {
        list: this.db.prepare(`SELECT ${COLS} FROM captures ${where} ORDER BY id LIMIT ? OFFSET ?`),
        count: this.db.prepare(`SELECT count(*) AS n FROM captures ${where}`),
      };
      this.listStmts.set(key, stmts);
    }
    const args = used.map((f) => q[f]);
    return { items: stmts.list.all(...args, q.limit, q.offset).map(record), total: stmts.count.get(...args)!.n };
  }
}
