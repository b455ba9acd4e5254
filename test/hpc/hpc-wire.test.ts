/**
 * A second, independent client: raw HTTP/2 (node:http2) with hand-written protobuf encoding —
 * no grpc-js, no proto-loader — as a client in another language generated from the .proto sees
 * the wire. Pins the field numbers and enum values of protos/hpc_service.proto.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ClientHttp2Session } from 'node:http2';
import { startHpcServer, type HpcServer } from '../../hpc/hpc.server.js';
import { startHpcWorker, type HpcWorker } from '../../hpc/hpc.worker.js';
import { REDIS_SERVER, startRedis, type RedisHandle } from './support/redis.js';
import { surveyPcd } from './support/hpc-client.js';

const varint = (n: number): number[] => { const o: number[] = []; while (n > 127) { o.push((n & 127) | 128); n = Math.floor(n / 128); } o.push(n); return o; };
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const lenField = (field: number, b: Uint8Array | number[]) => [...tag(field, 2), ...varint(b.length), ...b];
const doubleField = (field: number, v: number) => { const b = Buffer.alloc(8); b.writeDoubleLE(v); return [...tag(field, 1), ...b]; };
const strField = (field: number, s: string) => lenField(field, [...Buffer.from(s)]);

/** Decodes one message level: field number → list of raw values (varint as number, len as Buffer, fixed64 as double). */
function decode(b: Buffer): Map<number, (number | Buffer)[]> {
  const m = new Map<number, (number | Buffer)[]>();
  let i = 0;
  const rv = () => { let r = 0, s = 1; for (;;) { const x = b[i++]!; r += (x & 127) * s; s *= 128; if (x < 128) return r; } };
  while (i < b.length) {
    const t = rv(), f = Math.floor(t / 8), w = t & 7;
    let v: number | Buffer;
    if (w === 0) v = rv(); else if (w === 1) { v = b.readDoubleLE(i); i += 8; } else if (w === 2) { const n = rv(); v = b.subarray(i, i + n); i += n; } else if (w === 5) { v = b.readFloatLE(i); i += 4; } else throw new Error(`wire type ${w}`);
    m.set(f, [...(m.get(f) ?? []), v]);
  }
  return m;
}

function unary(s: ClientHttp2Session, method: string, msg: number[]): Promise<{ status: number; message: string; body: Buffer }> {
  return new Promise((res, rej) => {
    const req = s.request({ ':method': 'POST', ':path': `/overwatch.hpc.HPCService/${method}`, 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    let status = -1, message = '';
    req.on('response', (h) => { if (h['grpc-status'] !== undefined) { status = Number(h['grpc-status']); message = decodeURIComponent(String(h['grpc-message'] ?? '')); } });
    req.on('trailers', (h) => { status = Number(h['grpc-status']); message = decodeURIComponent(String(h['grpc-message'] ?? '')); });
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('error', rej);
    req.on('end', () => {
      const all = Buffer.concat(chunks);
      res({ status, message, body: all.length >= 5 ? all.subarray(5, 5 + all.readUInt32BE(1)) : Buffer.alloc(0) });
    });
    const body = Buffer.from(msg);
    const frame = Buffer.alloc(5); frame.writeUInt32BE(body.length, 1);
    req.end(Buffer.concat([frame, body]));
  });
}

describe.each([
  { engine: 'redis', skip: !REDIS_SERVER },
  { engine: 'local', skip: false },
])('HPC wire format with an independent raw HTTP/2 client, $engine engine', ({ engine, skip }) => {
  let redis: RedisHandle | undefined, server: HpcServer, worker: HpcWorker | undefined, s: ClientHttp2Session;
  beforeAll(async () => {
    if (skip) return;
    if (engine === 'redis') {
      redis = await startRedis();
      worker = startHpcWorker({ redisUrl: redis.url, queueName: 'wire' });
      await worker.ready();
    }
    server = await startHpcServer(redis ? { redisUrl: redis.url, port: 0, queueName: 'wire' } : { port: 0, local: { poolSize: 1 } });
    s = connect(`http://127.0.0.1:${server.port}`);
  });
  afterAll(async () => { s?.close(); await worker?.close(true); await server?.close(); await redis?.stop(); });

  it.skipIf(skip)('ProcessPointCloud / GetJobStatus / GetProcessedResult by field number; errors as grpc-status', async () => {
    const cloud = surveyPcd(3_000, 9);
    // PointCloudRequest{1: bytes, 2: PCD=1, 5: Operation{1: VoxelGrid{1: leaf}}}
    const req = [...lenField(1, cloud), ...tag(2, 0), 1, ...lenField(5, lenField(1, doubleField(1, 1.0)))];
    const r = await unary(s, 'ProcessPointCloud', req);
    expect(r.status).toBe(0);
    const job = decode(r.body);
    const id = (job.get(1)![0] as Buffer).toString();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.get(2)).toEqual([1]); // QUEUED = 1
    let st = decode(Buffer.alloc(0));
    for (let i = 0; i < 400; i++) {
      const q = await unary(s, 'GetJobStatus', strField(1, id));
      st = decode(q.body);
      if (st.get(2)?.[0] === 3) break; // SUCCEEDED = 3
      await new Promise((x) => setTimeout(x, 25));
    }
    expect(st.get(2)).toEqual([3]);
    expect(st.get(3)).toEqual([1]); // progress (double) 1.0
    const meta = decode(st.get(9)![0] as Buffer); // ResultMetadata
    expect(meta.get(1)).toEqual([3000]); // input_points
    const res = await unary(s, 'GetProcessedResult', strField(1, id));
    const data = decode(res.body);
    expect((data.get(2)![0] as Buffer).subarray(0, 9).toString()).toBe('# .PCD v0');
    expect(decode(data.get(3)![0] as Buffer).get(5)).toEqual(meta.get(5)); // sha256
    const bad = await unary(s, 'ProcessPointCloud', [...lenField(1, cloud), ...lenField(5, lenField(1, doubleField(1, 0)))]);
    expect(bad.status).toBe(3); // INVALID_ARGUMENT
    expect(bad.message).toMatch(/leaf must be > 0/);
    expect((await unary(s, 'GetJobStatus', strField(1, '00000000-0000-4000-8000-000000000000'))).status).toBe(5); // NOT_FOUND
  });
});
