/** Point-cloud library (issue 11): typed-array clouds, file formats, PCL-compatible operations. */
export * from './point-cloud.js';
export { syntheticSurvey, type SyntheticSurveyOptions } from './synthetic-survey.js';
export { decodePcd, encodePcd, type PcdDataEncoding, type PcdErrorCode } from './formats/pcd.codec.js';
export { decodePly, encodePly, type PlyFormat, type PlyErrorCode } from './formats/ply.codec.js';
export { decodePointCloud2, encodePointCloud2, pointCloud2Schema, POINTFIELD_DATATYPE, type PointCloud2, type PointCloud2ErrorCode } from './formats/pointcloud2.codec.js';
export { decodeLas, encodeLas, worldBounds, type LasFile, type LasHeader, type LasEncodeOptions, type LasErrorCode } from './formats/las.codec.js';
export { KdTree } from './ops/kd-tree.js';
export { voxelGrid, type VoxelGridOptions, type VoxelGridResult } from './ops/voxel-grid.js';
export { statisticalOutlierRemoval, radiusOutlierRemoval, type StatisticalOutlierOptions, type RadiusOutlierOptions, type OutlierResult } from './ops/outlier-removal.js';
export { cropBox, transformCloud, mergeClouds, rigid, compose, invertRigid, IDENTITY, type Mat4, type CropBoxOptions } from './ops/geometry.js';
export { icp, type IcpOptions, type IcpResult } from './ops/icp.js';
export { estimateNormals, type NormalOptions } from './ops/normals.js';
export { dsmRaster, dsmToPng, worldFile, type DsmRaster, type DsmPng, type DsmOptions } from './ops/dsm.js';
