/** Ouster LiDAR: packet formats, metadata, scan assembly, XYZ, and the LidarPort adapter. */
export { createOusterLidarPort, SCAN_MEDIA_TYPE } from './ouster-lidar.adapter.js';
export type { OusterLidarPort, OusterLidarPortOptions, OusterPortStats, OusterSource } from './ouster-lidar.adapter.js';
export { parseOusterMetadata, inWindow, windowColumns, LIDAR_MODES, UDP_PROFILES } from './ouster-metadata.js';
export type { LidarMode, MetadataErrorCode, OusterSensorInfo, UdpProfileLidar } from './ouster-metadata.js';
export { modelMetadata, ousterModel, isLidarMode } from './ouster-models.js';
export type { MetadataOptions, OusterModel } from './ouster-models.js';
export {
  OusterPacketFormat, encodeLidarPacket, readPacketHeader, decodeImuPacket, encodeImuPacket,
  ENCODER_TICKS_PER_REV, IMU_PACKET_SIZE, PACKET_TYPE_LIDAR,
} from './ouster-packet-format.js';
export type { ColumnInput, ImuPacket, LidarPacketHeader, PacketHeaderInput } from './ouster-packet-format.js';
export { OusterScanAssembler, frameNewer } from './ouster-scan-assembler.js';
export type { AssemblerOptions, AssemblerStats, BadPacketReason, OusterFrame } from './ouster-scan-assembler.js';
export { makeXyzLut, beamRay, destagger } from './ouster-xyz-lut.js';
export type { XyzLut } from './ouster-xyz-lut.js';
export { frameToPoints, POINT_STRIDE_BYTES } from './ouster-points.js';
export type { PointFilter } from './ouster-points.js';
export { referenceDecodePacket, referencePacketsToPoints, referencePixelXyz } from './ouster-reference-decoder.js';
