/**
 * Nominal Ouster models (`os0-32`, `os1-64`, `os2-128`, …): the metadata a sensor of that model
 * would serve, for the simulator and for tests. A real sensor's own metadata (its factory beam
 * calibration) always wins over these.
 *
 * @remarks
 * Figures follow Ouster's datasheets for the Rev 6/7 generation: vertical field of view (OS0 90°,
 * OS1 45°, OS2 22.5°, uniform beam spacing), beam-origin offset (OS0 27.67 mm, OS1 15.806 mm,
 * OS2 13.762 mm), maximum range, and the 36.18 mm lidar-origin height with the 180° yaw that
 * `lidar_to_sensor_transform` carries on every OS sensor. Beam azimuth offsets use the four-column
 * pattern of the OS detectors (±3.164°, ±1.055°), and `pixel_shift_by_row` is derived from them
 * exactly as the sensor reports it (`round(azimuth × w / 360)`).
 */
import { LIDAR_MODES, type LidarMode, type UdpProfileLidar } from './ouster-metadata.js';

export interface OusterModel {
  readonly name: string;
  readonly prod_line: string;
  readonly beams: number;
  readonly vertical_fov_deg: number;
  readonly beam_origin_mm: number;
  readonly range_m: { readonly min: number; readonly max: number };
}

const FAMILIES = {
  os0: { prod_line: 'OS-0', vertical_fov_deg: 90, beam_origin_mm: 27.67, range_m: { min: 0.3, max: 50 } },
  os1: { prod_line: 'OS-1', vertical_fov_deg: 45, beam_origin_mm: 15.806, range_m: { min: 0.3, max: 120 } },
  os2: { prod_line: 'OS-2', vertical_fov_deg: 22.5, beam_origin_mm: 13.762, range_m: { min: 0.8, max: 240 } },
} as const;

/** Looks up `os{0,1,2}-{16,32,64,128}`; undefined for anything else. */
export function ousterModel(name: string): OusterModel | undefined {
  const m = /^(os[012])-(16|32|64|128)$/.exec(name.toLowerCase());
  if (!m) return undefined;
  const fam = FAMILIES[m[1] as keyof typeof FAMILIES];
  const beams = Number(m[2]);
  return { name: name.toLowerCase(), ...fam, prod_line: `${fam.prod_line}-${beams}`, beams };
}

export function isLidarMode(s: string): s is LidarMode {
  return (LIDAR_MODES as readonly string[]).includes(s);
}

export interface MetadataOptions {
  readonly lidar_mode?: LidarMode;
  readonly udp_profile_lidar?: UdpProfileLidar;
  readonly prod_sn?: string;
  readonly initialization_id?: number;
  /** Columns per packet (16 on every current firmware). */
  readonly columns_per_packet?: number;
}

const AZ_PATTERN = [3.164, 1.055, -1.055, -3.164];

/** The nested (firmware 2.4+/3.x) metadata JSON a sensor of this model serves. */
export function modelMetadata(model: OusterModel, o: MetadataOptions = {}): Record<string, unknown> {
  const mode = o.lidar_mode ?? '1024x10';
  const w = Number(mode.split('x')[0]);
  const h = model.beams;
  const fov = model.vertical_fov_deg;
  const alt = Array.from({ length: h }, (_, i) => round3(h === 1 ? 0 : fov / 2 - (i * fov) / (h - 1)));
  const az = Array.from({ length: h }, (_, i) => AZ_PATTERN[i % 4]!);
  const shift = az.map((a) => Math.round((a * w) / 360));
  return {
    sensor_info: {
      prod_line: model.prod_line,
      prod_sn: o.prod_sn ?? '992100000001',
      build_rev: 'v2.5.3-twin-sim',
      initialization_id: o.initialization_id ?? 7_109_750,
      status: 'RUNNING',
    },
    config_params: { lidar_mode: mode, udp_profile_lidar: o.udp_profile_lidar ?? 'RNG19_RFL8_SIG16_NIR16', udp_port_lidar: 7502, udp_port_imu: 7503 },
    beam_intrinsics: {
      beam_altitude_angles: alt,
      beam_azimuth_angles: az,
      lidar_origin_to_beam_origin_mm: model.beam_origin_mm,
      beam_to_lidar_transform: [1, 0, 0, model.beam_origin_mm, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
    },
    lidar_intrinsics: { lidar_to_sensor_transform: [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 36.18, 0, 0, 0, 1] },
    imu_intrinsics: { imu_to_sensor_transform: [1, 0, 0, 6.253, 0, 1, 0, -11.775, 0, 0, 1, 7.645, 0, 0, 0, 1] },
    lidar_data_format: {
      pixels_per_column: h,
      columns_per_packet: o.columns_per_packet ?? 16,
      columns_per_frame: w,
      pixel_shift_by_row: shift,
      column_window: [0, w - 1],
      udp_profile_lidar: o.udp_profile_lidar ?? 'RNG19_RFL8_SIG16_NIR16',
    },
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
