/**
 * The shape of the simulated world that sensors see: terrain and obstacles, as scenario files
 * declare them under `world.terrain` and `world.obstacles`. One schema for scenario files, the
 * LiDAR raycaster and the camera renderer.
 *
 * @remarks
 * Positions are local metres from the world origin (north, east); heights are metres above the
 * terrain at the obstacle's centre unless `base_m` (metres above the origin's altitude) is given.
 */
import { z } from 'zod';

const finite = () => z.number().finite();
const horizontal = () => finite().min(-100_000).max(100_000);

export const ObstacleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.enum(['box', 'building']),
    id: z.string().max(64).optional(),
    north: horizontal().describe('centre, metres north of the origin'),
    east: horizontal().describe('centre, metres east of the origin'),
    size_m: z.strictObject({
      x: finite().positive().max(10_000).describe('extent along north before yaw, m'),
      y: finite().positive().max(10_000).describe('extent along east before yaw, m'),
      z: finite().positive().max(2_000).describe('height, m'),
    }),
    yaw_deg: finite().min(-360).max(360).default(0),
    base_m: finite().min(-1_000).max(10_000).optional(),
  }),
  z.strictObject({
    kind: z.literal('cylinder'),
    id: z.string().max(64).optional(),
    north: horizontal(),
    east: horizontal(),
    radius_m: finite().positive().max(5_000),
    height_m: finite().positive().max(2_000),
    base_m: finite().min(-1_000).max(10_000).optional(),
  }),
]);
export type ObstacleSpec = z.output<typeof ObstacleSchema>;

export const TerrainSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('flat') }),
  /** Smooth seeded hills: height = amplitude × value noise at `wavelength_m`; 0 at the origin. */
  z.strictObject({
    kind: z.literal('hills'),
    amplitude_m: finite().min(0).max(500),
    wavelength_m: finite().positive().min(5).max(50_000),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  }),
]);
export type TerrainSpec = z.output<typeof TerrainSchema>;

/** What the sensors' world needs from a scenario. */
export const SensorWorldSchema = z.strictObject({
  terrain: TerrainSchema.default({ kind: 'flat' }),
  obstacles: z.array(ObstacleSchema).max(10_000).default([]),
});
export type SensorWorldSpec = z.output<typeof SensorWorldSchema>;
