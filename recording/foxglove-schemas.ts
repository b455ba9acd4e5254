/**
 * The schemas a recording declares: Foxglove's well-known schemas (so Foxglove's Map, 3D, Image
 * and Plot panels understand the channels) and the twin's own bus messages, all as JSON Schema
 * (`jsonschema` schema encoding, `json` message encoding).
 *
 * @remarks
 * JSON was chosen over CDR/ros2msg: Foxglove reads both, JSON needs no code generation, and the
 * bus messages are already plain JSON values, so replay decodes exactly what was published.
 * Byte fields (`data` of images and point clouds) are base64 strings, as Foxglove's JSON
 * encoding of its schemas specifies (`contentEncoding: base64`).
 */

/** A schema as it goes into the MCAP file. */
export interface RecordingSchema {
  readonly name: string;
  readonly encoding: 'jsonschema';
  /** The JSON Schema document. */
  readonly schema: Readonly<Record<string, unknown>>;
}

const time = {
  type: 'object',
  title: 'time',
  properties: { sec: { type: 'integer', minimum: 0 }, nsec: { type: 'integer', minimum: 0, maximum: 999_999_999 } },
} as const;
const vector3 = { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' } } } as const;
const quaternion = {
  type: 'object',
  properties: { x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' }, w: { type: 'number' } },
} as const;
const pose = { type: 'object', properties: { position: vector3, orientation: quaternion } } as const;
const bytes = { type: 'string', contentEncoding: 'base64' } as const;

const foxglove = (name: string, properties: Record<string, unknown>): RecordingSchema => ({
  name: `foxglove.${name}`,
  encoding: 'jsonschema',
  schema: { title: `foxglove.${name}`, type: 'object', properties },
});

/** Foxglove's schemas (https://docs.foxglove.dev/docs/visualization/message-schemas), the fields we fill. */
export const FOXGLOVE = {
  locationFix: foxglove('LocationFix', {
    timestamp: time,
    frame_id: { type: 'string' },
    latitude: { type: 'number' },
    longitude: { type: 'number' },
    altitude: { type: 'number' },
    position_covariance: { type: 'array', items: { type: 'number' }, minItems: 9, maxItems: 9 },
    position_covariance_type: { type: 'integer' },
  }),
  poseInFrame: foxglove('PoseInFrame', { timestamp: time, frame_id: { type: 'string' }, pose }),
  compressedImage: foxglove('CompressedImage', {
    timestamp: time,
    frame_id: { type: 'string' },
    data: bytes,
    format: { type: 'string' },
  }),
  pointCloud: foxglove('PointCloud', {
    timestamp: time,
    frame_id: { type: 'string' },
    pose,
    point_stride: { type: 'integer' },
    fields: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, offset: { type: 'integer' }, type: { type: 'integer' } } },
    },
    data: bytes,
  }),
  frameTransform: foxglove('FrameTransform', {
    timestamp: time,
    parent_frame_id: { type: 'string' },
    child_frame_id: { type: 'string' },
    translation: vector3,
    rotation: quaternion,
  }),
  log: foxglove('Log', {
    timestamp: time,
    level: { type: 'integer' },
    message: { type: 'string' },
    name: { type: 'string' },
    file: { type: 'string' },
    line: { type: 'integer' },
  }),
} as const;

const open = (name: string, title: string): RecordingSchema => ({
  name,
  encoding: 'jsonschema',
  // The bus message types are TypeScript interfaces (actors/bus.ts, hardware/sensor.port.ts); the
  // schema names them and leaves the fields open so a new optional field never breaks a reader.
  schema: { title: name, description: title, type: 'object', additionalProperties: true },
});

/**
 * The twin's own messages, recorded as published on its bus (replay publishes them back as
 * they are), keyed by the last segment of the bus topic.
 */
export const TWIN = {
  telemetry: open('overwatch.Telemetry', 'A vehicle telemetry sample (hardware/vehicle.port.ts VehicleTelemetry)'),
  pose: open('overwatch.Pose', 'Pose in the world frame, local NED metres and WGS84 (actors/bus.ts PoseMsg)'),
  battery: open('overwatch.Battery', 'Battery state (actors/bus.ts BatteryMsg)'),
  state: open('overwatch.VehicleState', 'Vehicle state (actors/bus.ts VehicleStateMsg)'),
  status: open('overwatch.MissionStatus', 'Mission status (actors/bus.ts MissionStatusMsg)'),
  capture: open('overwatch.CaptureRef', 'A stored image reference (hardware/sensor.port.ts CaptureRef)'),
  scan: open('overwatch.ScanRef', 'A LiDAR frame reference (hardware/sensor.port.ts ScanRef)'),
  health: open('overwatch.SensorHealth', 'Sensor health (actors/bus.ts SensorHealthMsg)'),
  event: open('overwatch.LogEntry', 'An event log entry (actors/event-log.ts LogEntry): seq, t_ms, source, type, data, cid'),
  other: open('overwatch.BusMessage', 'A bus message of a topic this recorder version does not know'),
  batteryState: {
    name: 'sensor_msgs/msg/BatteryState',
    encoding: 'jsonschema',
    schema: {
      title: 'sensor_msgs/msg/BatteryState',
      type: 'object',
      properties: {
        header: { type: 'object', properties: { stamp: time, frame_id: { type: 'string' } } },
        voltage: { type: 'number' },
        current: { type: 'number' },
        percentage: { type: 'number' },
        power_supply_status: { type: 'integer' },
        present: { type: 'boolean' },
        location: { type: 'string' },
      },
    },
  } satisfies RecordingSchema,
} as const;

/** The schema of a bus topic's raw channel. */
export function twinSchemaFor(busTopic: string): RecordingSchema {
  if (busTopic === '/mission/status') return TWIN.status;
  const last = busTopic.slice(busTopic.lastIndexOf('/') + 1);
  return (TWIN as Record<string, RecordingSchema>)[last] ?? TWIN.other;
}

/** Channel metadata key naming the bus topic a raw channel records (replay reads it). */
export const BUS_TOPIC_KEY = 'overwatch.bus_topic';
