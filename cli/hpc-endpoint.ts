/**
 * Where a run's HPC service comes from (composition root): `--hpc <host:port>` or `TWIN_HPC_URL`
 * (a remote `twin hpc serve`, e.g. in front of BullMQ workers on a cluster), else an embedded
 * HPCService started on 127.0.0.1 on first use, on the in-process worker_threads engine (no
 * Redis). Either way the run talks gRPC through the same adapter (hardware/real/hpc).
 */
import type { HpcPortProvider } from '../actors/scenario/scenario.runner.js';
import type { Logger } from '../core/logger.js';
import { fail, ok } from '../core/result.js';
import type { HpcPort } from '../hardware/hpc.port.js';
import { createGrpcHpcPort } from '../hardware/real/hpc/grpc-hpc.adapter.js';

export interface HpcEndpoint {
  /** For RunScenarioOptions.hpc: connects (or starts the embedded service) on first call. */
  readonly provide: HpcPortProvider;
  /** Disposes the port and stops the embedded service, if either was made. */
  close(): Promise<void>;
}

/** `host:port`, `grpc://host:port` or `http://host:port` → `host:port`; undefined for anything else. */
export function parseHpcAddress(raw: string): string | undefined {
  const m = /^(?:(?:grpc|http):\/\/)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(raw.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65_535) return undefined;
  return `${m[1]}:${m[2]}`;
}

/**
 * @param url the `--hpc` value or `TWIN_HPC_URL`; unset: the embedded service.
 * @param token a JWT for a service run with `--auth` (operator or admin); default `TWIN_HPC_TOKEN`.
 */
export function hpcEndpoint(o: { url?: string | undefined; logger: Logger; token?: string }): HpcEndpoint {
  let port: HpcPort | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let made: ReturnType<HpcPortProvider> | undefined;
  const log = o.logger.child({ component: 'hpc-endpoint' });
  const make: HpcPortProvider = async () => {
    let address: string;
    if (o.url) {
      const a = parseHpcAddress(o.url);
      if (!a) return fail('HPC.INVALID', `HPC address '${o.url}' is not host:port`);
      address = a;
    } else {
      // Lazily: the HPC service (and its worker threads) only when a scenario asks for a job.
      const { startHpcServer } = await import('../hpc/index.js');
      try {
        const s = await startHpcServer({ port: 0, host: '127.0.0.1', logger: log });
        stopEmbedded = () => s.close();
        address = `127.0.0.1:${s.port}`;
        log.info({ address }, 'embedded HPC service started');
      } catch (error) {
        return fail('HPC.UNAVAILABLE', `the embedded HPC service did not start: ${(error as Error).message}`);
      }
    }
    const token = o.token ?? process.env.TWIN_HPC_TOKEN;
    port = createGrpcHpcPort({ address, ...(token && o.url ? { token } : {}) });
    const c = await port.connect();
    return c.ok ? ok(port) : c;
  };
  return {
    provide: () => (made ??= make()),
    async close() {
      await port?.dispose();
      await stopEmbedded?.();
    },
  };
}
