/**
 * The processing pipeline a worker runs: decode → stages (pointcloud/ operations) → encode.
 * Pure apart from the optional `between` hook the worker uses to yield, report progress and
 * honour cancellation between stages. The tests run the same function in-process to check that
 * a job's result through gRPC and BullMQ is byte-identical.
 */
import { createHash } from 'node:crypto';
import { fail, ok, type Result } from '../core/result.js';
import type { PointCloud } from '../pointcloud/point-cloud.js';
import { decodePcd, encodePcd } from '../pointcloud/formats/pcd.codec.js';
import { decodePly, encodePly } from '../pointcloud/formats/ply.codec.js';
import { decodeLas, encodeLas } from '../pointcloud/formats/las.codec.js';
import { decodeLaz, isLaz } from '../pointcloud/formats/las-laz.codec.js';
import { voxelGrid } from '../pointcloud/ops/voxel-grid.js';
import { radiusOutlierRemoval, statisticalOutlierRemoval } from '../pointcloud/ops/outlier-removal.js';
import { cropBox, mergeClouds } from '../pointcloud/ops/geometry.js';
import { icp } from '../pointcloud/ops/icp.js';
import { dsmRaster, dsmToPng } from '../pointcloud/ops/dsm.js';
import type { CloudFormat, Stage } from './hpc-job.schema.js';

export type PipelineErrorCode = 'HPC.BAD_CLOUD' | 'HPC.STAGE_FAILED' | 'HPC.ENCODE_FAILED' | 'HPC.CANCELLED';

/** Default cap on points per decoded cloud. */
export const MAX_POINTS = 50_000_000;

/**
 * Decodes `bytes` as `format` (`las` also reads LAZ, detected from the header); a HPC.BAD_CLOUD
 * failure naming the codec's own code otherwise.
 */
export async function decodeCloud(bytes: Uint8Array, format: CloudFormat, maxPoints = MAX_POINTS): Promise<Result<PointCloud, 'HPC.BAD_CLOUD'>> {
  const r = format === 'ply' ? decodePly(bytes, { maxPoints })
    : format === 'las' ? (isLaz(bytes) ? await decodeLaz(bytes, { maxPoints }) : decodeLas(bytes, { maxPoints }))
    : decodePcd(bytes, { maxPoints });
  if (!r.ok) return fail('HPC.BAD_CLOUD', `${r.error.code}: ${r.error.message}`);
  return ok('cloud' in r.value ? r.value.cloud : r.value);
}

/** Encodes a result cloud (PCD binary, PLY binary little-endian, or LAS). */
export function encodeCloud(c: PointCloud, format: CloudFormat): Result<Uint8Array, 'HPC.ENCODE_FAILED'> {
  if (format === 'ply') return ok(encodePly(c, 'binary_little_endian'));
  if (format === 'las') {
    const r = encodeLas(c);
    return r.ok ? ok(r.value) : fail('HPC.ENCODE_FAILED', `${r.error.code}: ${r.error.message}`);
  }
  return ok(encodePcd(c, { data: 'binary' }));
}

/** Metadata of a finished pipeline (proto ResultMetadata). */
export interface PipelineMeta {
  readonly inputPoints: number;
  /** Points of the final cloud (for a DSM: of the cloud the raster was made from). */
  readonly outputPoints: number;
  readonly format: CloudFormat | 'dsm_png';
  /** DSM only: ESRI world file text of the PNG. */
  readonly worldFile?: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly stages: number;
  readonly processingMs: number;
}

export interface PipelineInput {
  readonly data: Uint8Array;
  readonly additional: readonly Uint8Array[];
  readonly format: CloudFormat;
  readonly outputFormat: CloudFormat;
  readonly stages: readonly Stage[];
}

/**
 * Runs one stage. ICP merge: each additional cloud is aligned onto the current cloud, then all
 * are concatenated in the current cloud's frame.
 */
function runStage(c: PointCloud, s: Exclude<Stage, { op: 'dsm' }>, extra: readonly PointCloud[]): Result<PointCloud, 'HPC.STAGE_FAILED'> {
  const bad = (e: { code: string; message: string }) => fail('HPC.STAGE_FAILED', `${s.op}: ${e.code}: ${e.message}`);
  switch (s.op) {
    case 'voxel_grid': {
      const r = voxelGrid(c, { leaf: s.leaf, minPointsPerVoxel: s.minPointsPerVoxel });
      return r.ok ? ok(r.value.cloud) : bad(r.error);
    }
    case 'statistical_outlier': {
      const r = statisticalOutlierRemoval(c, { meanK: s.k, stddevMul: s.stdMul });
      return r.ok ? ok(r.value.cloud) : bad(r.error);
    }
    case 'radius_outlier': {
      const r = radiusOutlierRemoval(c, { radius: s.radius, minNeighbors: s.minNeighbors });
      return r.ok ? ok(r.value.cloud) : bad(r.error);
    }
    case 'crop':
      return ok(cropBox(c, { min: s.min as [number, number, number], max: s.max as [number, number, number], negative: s.negative }));
    case 'merge': {
      const parts: PointCloud[] = [c];
      for (const e of extra) {
        if (!s.icp) { parts.push(e); continue; }
        const r = icp(e, c, { maxIterations: s.maxIterations, ...(s.maxCorrespondenceDistance > 0 ? { maxCorrespondenceDistance: s.maxCorrespondenceDistance } : {}) });
        if (!r.ok) return bad(r.error);
        parts.push(r.value.aligned);
      }
      return ok(mergeClouds(parts));
    }
  }
}

/**
 * Runs the pipeline. `between(done, total)` is awaited after decoding and after every stage
 * (`done` steps of `total`); returning false cancels (HPC.CANCELLED).
 */
export async function runPipeline(
  input: PipelineInput,
  between: (done: number, total: number) => Promise<boolean> | boolean = () => true,
): Promise<Result<{ bytes: Uint8Array; meta: PipelineMeta }, PipelineErrorCode>> {
  const t0 = performance.now();
  const total = input.stages.length + 2;
  const first = await decodeCloud(input.data, input.format);
  if (!first.ok) return first;
  const extra: PointCloud[] = [];
  for (const [i, b] of input.additional.entries()) {
    const r = await decodeCloud(b, input.format);
    if (!r.ok) return fail('HPC.BAD_CLOUD', `additional_clouds.${i}: ${r.error.message}`);
    extra.push(r.value);
  }
  if (!(await between(1, total))) return fail('HPC.CANCELLED', 'cancelled');
  let c = first.value;
  let dsm: { png: Uint8Array; worldFile: string } | null = null;
  for (const [i, s] of input.stages.entries()) {
    if (s.op === 'dsm') {
      const d = dsmRaster(c, { cellSize: s.cellSize });
      if (!d.ok) return fail('HPC.STAGE_FAILED', `dsm: ${d.error.code}: ${d.error.message}`);
      dsm = dsmToPng(d.value);
      if (!(await between(i + 2, total))) return fail('HPC.CANCELLED', 'cancelled');
      continue;
    }
    const r = runStage(c, s, extra);
    if (!r.ok) return r;
    c = r.value;
    if (!(await between(i + 2, total))) return fail('HPC.CANCELLED', 'cancelled');
  }
  const enc = dsm ? ok(dsm.png) : encodeCloud(c, input.outputFormat);
  if (!enc.ok) return enc;
  return ok({
    bytes: enc.value,
    meta: {
      inputPoints: first.value.length, outputPoints: c.length, format: dsm ? 'dsm_png' : input.outputFormat, sizeBytes: enc.value.length,
      sha256: createHash('sha256').update(enc.value).digest('hex'), stages: input.stages.length, processingMs: performance.now() - t0,
      ...(dsm ? { worldFile: dsm.worldFile } : {}),
    },
  });
}
