/**
 * Ouster sensor metadata (`GET /api/v1/sensor/metadata`, or the JSON file saved beside a
 * recording), validated with zod and normalised into one {@link OusterSensorInfo}.
 *
 * @remarks
 * Two shapes exist in the field and both are accepted:
 * - the flat "legacy" layout of firmware 2.0–2.3 (`beam_altitude_angles`, `lidar_mode`,
 *   `data_format`, `lidar_to_sensor_transform` at top level);
 * - the nested layout of firmware 2.4+/3.x (`sensor_info`, `config_params`, `beam_intrinsics`,
 *   `lidar_intrinsics`, `lidar_data_format`).
 *
 * Angles are degrees, `lidar_origin_to_beam_origin_mm` and the translation column of the 4×4
 * row-major `lidar_to_sensor_transform` are millimetres (Ouster's units).
 */
import { z } from 'zod';
import { fail, ok, type Result } from '../../../../core/result.js';

export const LIDAR_MODES = ['512x10', '512x20', '1024x10', '1024x20', '2048x10', '4096x5'] as const;
export type LidarMode = (typeof LIDAR_MODES)[number];

/** The lidar UDP profiles this decoder understands (Ouster firmware user manual, "Lidar Data Format"). */
export const UDP_PROFILES = ['LEGACY', 'RNG19_RFL8_SIG16_NIR16', 'RNG15_RFL8_NIR8'] as const;
export type UdpProfileLidar = (typeof UDP_PROFILES)[number];

const finite = () => z.number().finite();
const angles = () => z.array(finite().min(-180).max(360)).min(1).max(128);
const mat4 = () => z.array(finite()).length(16);

const DataFormatSchema = z.object({
  pixels_per_column: z.number().int().min(1).max(128),
  columns_per_packet: z.number().int().min(1).max(64),
  columns_per_frame: z.number().int().min(2).max(4096),
  pixel_shift_by_row: z.array(z.number().int().min(-4096).max(4096)).min(1).max(128),
  column_window: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  udp_profile_lidar: z.enum(UDP_PROFILES).default('LEGACY'),
});

const FlatSchema = z.object({
  lidar_mode: z.enum(LIDAR_MODES),
  beam_altitude_angles: angles(),
  beam_azimuth_angles: angles(),
  lidar_origin_to_beam_origin_mm: finite().min(0).max(1000),
  lidar_to_sensor_transform: mat4(),
  imu_to_sensor_transform: mat4().optional(),
  data_format: DataFormatSchema,
  prod_line: z.string().max(64).optional(),
  prod_sn: z.union([z.string().max(32), z.number().int()]).optional(),
  build_rev: z.string().max(64).optional(),
  initialization_id: z.number().int().optional(),
});

const NestedSchema = z.object({
  sensor_info: z.object({
    prod_line: z.string().max(64).optional(),
    prod_sn: z.union([z.string().max(32), z.number().int()]).optional(),
    build_rev: z.string().max(64).optional(),
    initialization_id: z.number().int().optional(),
  }).passthrough(),
  config_params: z.object({ lidar_mode: z.enum(LIDAR_MODES), udp_profile_lidar: z.enum(UDP_PROFILES).optional() }).passthrough(),
  beam_intrinsics: z.object({
    beam_altitude_angles: angles(),
    beam_azimuth_angles: angles(),
    lidar_origin_to_beam_origin_mm: finite().min(0).max(1000),
    beam_to_lidar_transform: mat4().optional(),
  }),
  lidar_intrinsics: z.object({ lidar_to_sensor_transform: mat4() }),
  imu_intrinsics: z.object({ imu_to_sensor_transform: mat4() }).optional(),
  lidar_data_format: DataFormatSchema,
});

/** The normalised metadata every part of the decoder works from. */
export interface OusterSensorInfo {
  readonly lidar_mode: LidarMode;
  /** Columns per frame (measurement ids 0 … w−1). */
  readonly columns_per_frame: number;
  readonly frame_rate_hz: number;
  /** Beams (rows). */
  readonly pixels_per_column: number;
  readonly columns_per_packet: number;
  readonly udp_profile_lidar: UdpProfileLidar;
  /** Per beam, degrees up from the horizontal. */
  readonly beam_altitude_angles: readonly number[];
  /** Per beam, degrees; positive = the beam looks ahead of the encoder (destaggered by `pixel_shift_by_row`). */
  readonly beam_azimuth_angles: readonly number[];
  readonly lidar_origin_to_beam_origin_mm: number;
  /** Beam origin height above the lidar origin, mm (`beam_to_lidar_transform[11]`, 0 on older firmware). */
  readonly beam_z_offset_mm: number;
  /** Row-major 4×4, lidar frame → sensor frame, translation in mm. */
  readonly lidar_to_sensor_transform: readonly number[];
  readonly imu_to_sensor_transform?: readonly number[];
  readonly pixel_shift_by_row: readonly number[];
  /** First and last measurement id the sensor sends (inclusive; may wrap). */
  readonly column_window: readonly [number, number];
  readonly prod_line?: string;
  readonly prod_sn?: string;
  readonly build_rev?: string;
  readonly initialization_id?: number;
}

export type MetadataErrorCode = 'OUSTER.METADATA_INVALID';

/** Parses sensor metadata (a JSON string or an already parsed value); never throws. */
export function parseOusterMetadata(input: unknown): Result<OusterSensorInfo, MetadataErrorCode> {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (cause) {
      return fail('OUSTER.METADATA_INVALID', 'metadata is not JSON', { cause });
    }
  }
  const nested = NestedSchema.safeParse(raw);
  let info: OusterSensorInfo;
  if (nested.success) {
    const m = nested.data;
    const df = m.lidar_data_format;
    info = {
      lidar_mode: m.config_params.lidar_mode,
      ...fromFormat(m.config_params.lidar_mode, df),
      udp_profile_lidar: m.config_params.udp_profile_lidar ?? df.udp_profile_lidar,
      beam_altitude_angles: m.beam_intrinsics.beam_altitude_angles,
      beam_azimuth_angles: m.beam_intrinsics.beam_azimuth_angles,
      lidar_origin_to_beam_origin_mm: m.beam_intrinsics.lidar_origin_to_beam_origin_mm,
      beam_z_offset_mm: m.beam_intrinsics.beam_to_lidar_transform?.[11] ?? 0,
      lidar_to_sensor_transform: m.lidar_intrinsics.lidar_to_sensor_transform,
      ...(m.imu_intrinsics ? { imu_to_sensor_transform: m.imu_intrinsics.imu_to_sensor_transform } : {}),
      ...ident(m.sensor_info),
    };
  } else {
    const flat = FlatSchema.safeParse(raw);
    if (!flat.success) {
      return fail('OUSTER.METADATA_INVALID', `metadata does not match either Ouster layout: ${flat.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    const m = flat.data;
    info = {
      lidar_mode: m.lidar_mode,
      ...fromFormat(m.lidar_mode, m.data_format),
      udp_profile_lidar: m.data_format.udp_profile_lidar,
      beam_altitude_angles: m.beam_altitude_angles,
      beam_azimuth_angles: m.beam_azimuth_angles,
      lidar_origin_to_beam_origin_mm: m.lidar_origin_to_beam_origin_mm,
      beam_z_offset_mm: 0,
      lidar_to_sensor_transform: m.lidar_to_sensor_transform,
      ...(m.imu_to_sensor_transform ? { imu_to_sensor_transform: m.imu_to_sensor_transform } : {}),
      ...ident(m),
    };
  }
  const h = info.pixels_per_column;
  if (info.beam_altitude_angles.length !== h || info.beam_azimuth_angles.length !== h || info.pixel_shift_by_row.length !== h) {
    return fail('OUSTER.METADATA_INVALID', `beam tables must have pixels_per_column (${h}) entries`);
  }
  if (info.columns_per_frame % info.columns_per_packet !== 0) {
    return fail('OUSTER.METADATA_INVALID', 'columns_per_frame must be a multiple of columns_per_packet');
  }
  const [a, b] = info.column_window;
  if (a >= info.columns_per_frame || b >= info.columns_per_frame) return fail('OUSTER.METADATA_INVALID', 'column_window outside the frame');
  return ok(info);
}

function fromFormat(mode: LidarMode, df: z.output<typeof DataFormatSchema>) {
  const [w, hz] = mode.split('x').map(Number) as [number, number];
  return {
    columns_per_frame: df.columns_per_frame || w,
    frame_rate_hz: hz,
    pixels_per_column: df.pixels_per_column,
    columns_per_packet: df.columns_per_packet,
    pixel_shift_by_row: df.pixel_shift_by_row,
    column_window: df.column_window,
  };
}

function ident(s: { prod_line?: string | undefined; prod_sn?: string | number | undefined; build_rev?: string | undefined; initialization_id?: number | undefined }) {
  return {
    ...(s.prod_line !== undefined ? { prod_line: s.prod_line } : {}),
    ...(s.prod_sn !== undefined ? { prod_sn: String(s.prod_sn) } : {}),
    ...(s.build_rev !== undefined ? { build_rev: s.build_rev } : {}),
    ...(s.initialization_id !== undefined ? { initialization_id: s.initialization_id } : {}),
  };
}

/** Number of columns the sensor sends per frame (the column window, inclusive, may wrap). */
export function windowColumns(info: OusterSensorInfo): number {
  const [a, b] = info.column_window;
  return b >= a ? b - a + 1 : info.columns_per_frame - a + b + 1;
}

/** Whether measurement id `m` lies in the column window. */
export function inWindow(info: OusterSensorInfo, m: number): boolean {
  const [a, b] = info.column_window;
  return b >= a ? m >= a && m <= b : m >= a || m <= b;
}
