/**
 * The HPC job as validated data: zod schemas applied to the proto-decoded PointCloudRequest
 * (after @grpc/proto-loader, before anything is queued), and the normalized, JSON-safe job spec
 * that travels on the BullMQ queue. Pure: no I/O.
 */
import { z } from 'zod';

/** Encodings the service reads and writes (proto `CloudFormat`). */
export type CloudFormat = 'pcd' | 'ply' | 'las';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const vec3 = z.array(finite).length(3, 'must have exactly 3 values [x, y, z]');

/** One pipeline stage, as the worker runs it (metres throughout). */
export const stageSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('voxel_grid'), leaf: finite.gt(0, 'leaf must be > 0 m').max(1e4, 'leaf must be ≤ 10 km'), minPointsPerVoxel: z.number().int().min(0).max(1e6) }),
  z.object({ op: z.literal('statistical_outlier'), k: z.number().int().min(1, 'k must be ≥ 1').max(1024, 'k must be ≤ 1024'), stdMul: finite.min(-100).max(100) }),
  z.object({ op: z.literal('radius_outlier'), radius: finite.gt(0, 'radius must be > 0 m').max(1e4), minNeighbors: z.number().int().min(0).max(1e5) }),
  z.object({ op: z.literal('crop'), min: vec3, max: vec3, negative: z.boolean() })
    .refine((c) => c.min.every((v, i) => v <= c.max[i]!), 'crop min must be ≤ max on every axis'),
  z.object({ op: z.literal('merge'), icp: z.boolean(), maxIterations: z.number().int().min(1).max(1000), maxCorrespondenceDistance: finite.min(0) }),
  z.object({ op: z.literal('dsm'), cellSize: finite.gt(0, 'cell_size must be > 0 m').max(1e4, 'cell_size must be ≤ 10 km') }),
]);
export type Stage = z.infer<typeof stageSchema>;

/** The job as queued: inputs are Redis keys (bytes never ride in the queue's JSON). */
export interface JobSpec {
  readonly format: CloudFormat;
  readonly outputFormat: CloudFormat;
  readonly stages: readonly Stage[];
  readonly inputKey: string;
  readonly additionalKeys: readonly string[];
  readonly clientRequestId: string;
  readonly createdAtMs: number;
}

const formatEnum = z.enum(['CLOUD_FORMAT_UNSPECIFIED', 'PCD', 'PLY', 'LAS'], { message: 'unknown cloud format' });
export const toFormat = (f: z.infer<typeof formatEnum>): CloudFormat => (f === 'LAS' ? 'las' : f === 'PLY' ? 'ply' : 'pcd');

const opIn = z.object({
  op: z.enum(['voxel_grid', 'statistical_outlier', 'radius_outlier', 'crop', 'merge', 'dsm'], { message: 'operation has no op set' }),
  dsm: z.object({ cell_size: z.number() }).nullish(),
  voxel_grid: z.object({ leaf: z.number(), min_points_per_voxel: z.number() }).nullish(),
  statistical_outlier: z.object({ k: z.number(), std_mul: z.number() }).nullish(),
  radius_outlier: z.object({ radius: z.number(), min_neighbors: z.number() }).nullish(),
  crop: z.object({ min: z.array(z.number()), max: z.array(z.number()), negative: z.boolean() }).nullish(),
  merge: z.object({ icp: z.boolean(), max_iterations: z.number(), max_correspondence_distance: z.number() }).nullish(),
});

/** The proto-decoded request (proto-loader options: keepCase, enums String, defaults, oneofs). */
export const requestSchema = z.object({
  point_cloud_data: z.instanceof(Uint8Array),
  format: formatEnum,
  processing_type: z.string().max(64),
  parameters: z.record(z.string().max(64), z.string().max(256)),
  operations: z.array(opIn).max(64, 'at most 64 operations'),
  blob_ref: z.string().max(1024),
  additional_clouds: z.array(z.instanceof(Uint8Array)).max(64, 'at most 64 additional clouds'),
  output_format: formatEnum,
  client_request_id: z.string().max(256),
});
export type DecodedRequest = z.infer<typeof requestSchema>;

/** Blob references: relative, no `..`, portable characters only. */
export const blobRefSchema = z.string().regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._\-/]{1,1024}$/, 'blob_ref must be a relative path without ".."');

function numParam(p: Record<string, string>, key: string, dflt: number): number {
  const v = p[key];
  return v === undefined || v === '' ? dflt : Number(v);
}

/** The original client's `processing_type` + `parameters` as an explicit pipeline. */
function shorthandStages(type: string, p: Record<string, string>): { ok: true; stages: unknown[] } | { ok: false; message: string } {
  switch (type) {
    case 'voxel_grid':
      return { ok: true, stages: [{ op: 'voxel_grid', leaf: numParam(p, 'resolution', NaN), minPointsPerVoxel: numParam(p, 'min_points_per_voxel', 0) }] };
    case 'outlier_removal': {
      const filter = p.filter ?? 'statistical';
      if (filter === 'statistical') return { ok: true, stages: [{ op: 'statistical_outlier', k: numParam(p, 'k', 50), stdMul: numParam(p, 'std_mul', 1) }] };
      if (filter === 'radius') return { ok: true, stages: [{ op: 'radius_outlier', radius: numParam(p, 'radius', numParam(p, 'resolution', NaN)), minNeighbors: numParam(p, 'min_neighbors', 2) }] };
      return { ok: false, message: `unknown filter "${filter}" (statistical | radius)` };
    }
    case 'dsm':
      return { ok: true, stages: [{ op: 'dsm', cellSize: numParam(p, 'resolution', NaN) }] };
    case 'merge':
      return { ok: true, stages: [{ op: 'merge', icp: p.icp !== 'false', maxIterations: numParam(p, 'max_iterations', 50), maxCorrespondenceDistance: numParam(p, 'max_correspondence_distance', 0) }] };
    case '':
      return { ok: false, message: 'no operations and no processing_type given' };
    default:
      return { ok: false, message: `unknown processing_type "${type}" (voxel_grid | outlier_removal | merge | dsm)` };
  }
}

function stageFromOp(o: z.infer<typeof opIn>): unknown {
  switch (o.op) {
    case 'voxel_grid': return { op: o.op, leaf: o.voxel_grid?.leaf, minPointsPerVoxel: o.voxel_grid?.min_points_per_voxel };
    case 'statistical_outlier': return { op: o.op, k: o.statistical_outlier?.k, stdMul: o.statistical_outlier?.std_mul };
    case 'radius_outlier': return { op: o.op, radius: o.radius_outlier?.radius, minNeighbors: o.radius_outlier?.min_neighbors };
    case 'crop': return { op: o.op, min: o.crop?.min, max: o.crop?.max, negative: o.crop?.negative };
    case 'dsm': return { op: o.op, cellSize: o.dsm?.cell_size };
    case 'merge': {
      const m = o.merge;
      return { op: o.op, icp: m?.icp, maxIterations: m && m.max_iterations > 0 ? m.max_iterations : 50, maxCorrespondenceDistance: m?.max_correspondence_distance };
    }
  }
}

const issuesText = (e: z.ZodError, prefix: string) =>
  e.issues.map((i) => `${prefix}${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');

/** A validated request, before its bytes are stored. */
export interface ValidRequest {
  readonly format: CloudFormat;
  readonly outputFormat: CloudFormat;
  readonly stages: Stage[];
  readonly data: Uint8Array | null;
  readonly blobRef: string | null;
  readonly additional: readonly Uint8Array[];
  readonly clientRequestId: string;
}

/**
 * Validates a proto-decoded PointCloudRequest. Never throws: a message naming the offending
 * field on failure (the server turns it into INVALID_ARGUMENT).
 */
export function validateRequest(raw: unknown): { ok: true; value: ValidRequest } | { ok: false; message: string } {
  const r = requestSchema.safeParse(raw);
  if (!r.success) return { ok: false, message: issuesText(r.error, '') };
  const q = r.data;
  const rawStages = q.operations.length > 0 ? { ok: true as const, stages: q.operations.map(stageFromOp) } : shorthandStages(q.processing_type, q.parameters);
  if (!rawStages.ok) return { ok: false, message: rawStages.message };
  const stages: Stage[] = [];
  for (const [i, s] of rawStages.stages.entries()) {
    const p = stageSchema.safeParse(s);
    if (!p.success) return { ok: false, message: issuesText(p.error, `operations.${i}.${(s as { op: string }).op}.`) };
    stages.push(p.data);
  }
  const hasData = q.point_cloud_data.length > 0, hasRef = q.blob_ref !== '';
  if (hasData === hasRef) return { ok: false, message: 'exactly one of point_cloud_data and blob_ref must be set' };
  if (hasRef) {
    const b = blobRefSchema.safeParse(q.blob_ref);
    if (!b.success) return { ok: false, message: `blob_ref: ${b.error.issues[0]?.message ?? 'invalid'}` };
  }
  const dsmAt = stages.findIndex((s) => s.op === 'dsm');
  if (dsmAt !== -1 && dsmAt !== stages.length - 1) return { ok: false, message: `operations.${dsmAt}.dsm: dsm must be the last operation` };
  const merges = stages.filter((s) => s.op === 'merge').length;
  if (merges > 1) return { ok: false, message: 'at most one merge operation' };
  if (merges === 1 && q.additional_clouds.length === 0) return { ok: false, message: 'merge needs additional_clouds' };
  if (merges === 0 && q.additional_clouds.length > 0) return { ok: false, message: 'additional_clouds given without a merge operation' };
  if (q.additional_clouds.some((c) => c.length === 0)) return { ok: false, message: 'additional_clouds: empty cloud' };
  return {
    ok: true,
    value: {
      format: toFormat(q.format), outputFormat: toFormat(q.output_format), stages,
      data: hasData ? q.point_cloud_data : null, blobRef: hasRef ? q.blob_ref : null,
      additional: q.additional_clouds, clientRequestId: q.client_request_id,
    },
  };
}
