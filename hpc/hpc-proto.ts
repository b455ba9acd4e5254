/**
 * Loads protos/hpc_service.proto at runtime (@grpc/proto-loader) — no generated code. The same
 * loader options are used by the server and by clients built with {@link hpcClient}.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** proto-loader options: snake_case fields, enums as names, bytes as Buffer, longs as numbers. */
export const PROTO_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, bytes: Buffer, defaults: true, oneofs: true, arrays: true };

/** Path of hpc_service.proto from the source tree (hpc/) or the build (dist/hpc/). */
export function protoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const p of [join(here, '../protos/hpc_service.proto'), join(here, '../../protos/hpc_service.proto')]) if (existsSync(p)) return p;
  throw new Error('protos/hpc_service.proto not found next to hpc/ or dist/hpc/');
}

type ClientCtor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => grpc.Client;

/** The HPCService definition (for Server.addService) and client constructor. */
export function loadHpcService(): { service: grpc.ServiceDefinition; Client: ClientCtor } {
  const def = protoLoader.loadSync(protoPath(), PROTO_OPTIONS);
  const pkg = grpc.loadPackageDefinition(def) as unknown as { overwatch: { hpc: { HPCService: ClientCtor & { service: grpc.ServiceDefinition } } } };
  const S = pkg.overwatch.hpc.HPCService;
  return { service: S.service, Client: S };
}

/** A plain insecure client for `host:port` (untyped methods, callback style). */
export function hpcClient(address: string, options: grpc.ChannelOptions = {}): grpc.Client & Record<string, (...a: unknown[]) => unknown> {
  const { Client } = loadHpcService();
  return new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1, ...options }) as grpc.Client & Record<string, (...a: unknown[]) => unknown>;
}
