/** Promise wrappers over the proto-loader client (the proto's own runtime-generated client). */
import type * as grpc from '@grpc/grpc-js';
import { hpcClient } from '../../../hpc/hpc-proto.js';
import { encodePcd } from '../../../pointcloud/formats/pcd.codec.js';
import { syntheticSurvey } from '../../../pointcloud/synthetic-survey.js';

export type Client = ReturnType<typeof hpcClient>;
export const client = (port: number): Client => hpcClient(`127.0.0.1:${port}`);

export function call<T = Record<string, unknown>>(c: Client, method: string, req: unknown): Promise<T> {
  return new Promise((res, rej) => (c[method] as (r: unknown, cb: (e: grpc.ServiceError | null, v: T) => void) => void).call(c, req, (e, v) => (e ? rej(e) : res(v))));
}

/** Collects StreamProcessedResult into one buffer (and the chunks). */
export function stream(c: Client, jobId: string): Promise<{ data: Buffer; chunks: Record<string, unknown>[] }> {
  return new Promise((res, rej) => {
    const chunks: Record<string, unknown>[] = [];
    const s = (c.StreamProcessedResult as (r: unknown) => grpc.ClientReadableStream<Record<string, unknown>>).call(c, { job_id: jobId });
    s.on('data', (d) => chunks.push(d));
    s.on('error', rej);
    s.on('end', () => res({ data: Buffer.concat(chunks.map((k) => k.data as Buffer)), chunks }));
  });
}

/** Polls GetJobStatus until the job is finished (or `until` holds). */
export async function waitStatus(c: Client, jobId: string, until: (s: Record<string, unknown>) => boolean = (s) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(String(s.state)), timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await call(c, 'GetJobStatus', { job_id: jobId });
    if (until(s)) return s;
    if (Date.now() > end) throw new Error(`job ${jobId} still ${String(s.state)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A seeded survey cloud as binary PCD bytes. */
export const surveyPcd = (points: number, seed: number): Buffer => Buffer.from(encodePcd(syntheticSurvey({ points, seed }), { data: 'binary' }));
