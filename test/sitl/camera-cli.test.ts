/**
 * `twin sitl` gives each vehicle a MAVLink camera component (HEARTBEAT MAV_TYPE_CAMERA from
 * component 100) unless told `--no-camera`; `--camera <profile>` picks the profile. Runs the
 * built CLI (dist/: `npx tsc -p tsconfig.build.json`).
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { common, minimal } from 'node-mavlink';
import { describe, expect, it } from 'vitest';
import { decode, MavlinkEncoder, MavlinkParser } from '../../hardware/real/mavlink/index.js';

/** Runs `twin sitl` for `ms` wall ms and returns what a GCS on the API port heard, by component. */
async function listen(extra: string[], ms: number, onFrame?: (sock: ReturnType<typeof createSocket>, port: number) => void) {
  const sock = createSocket('udp4');
  const base = 20000 + Math.floor(Math.random() * 20000);
  await new Promise<void>((r) => sock.bind(base, '127.0.0.1', () => r()));
  const child = spawn(process.execPath, [
    'dist/cli/twin.js', 'sitl', '--count', '1', '--speed', '5',
    '--api-port', String(base), '--api-local-port', '0', '--gcs-port', '0', '--gcs-local-port', '0', ...extra,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TWIN_LOG_LEVEL: 'silent' } });
  const heard = new Map<number, { type: number; count: number }>();
  const infos: string[] = [];
  let sitlPort = 0;
  sock.on('message', (buf, rinfo) => new MavlinkParser().push(buf, (f) => {
    sitlPort = rinfo.port;
    if (f.msgid === minimal.Heartbeat.MSG_ID) {
      const hb = decode(f) as minimal.Heartbeat;
      const h = heard.get(f.compid) ?? { type: hb.type, count: 0 };
      h.count++;
      heard.set(f.compid, h);
      if (f.compid === 100 && h.count === 1) onFrame?.(sock, sitlPort);
    }
    if (f.msgid === common.CameraInformation.MSG_ID) {
      const ci = decode(f) as common.CameraInformation;
      infos.push(Buffer.from((ci.modelName as unknown as number[]).filter((b) => b)).toString());
    }
  }));
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  sock.close();
  return { heard, infos, code };
}

describe('twin sitl camera component', () => {
  it('one camera (component 100, MAV_TYPE_CAMERA) per vehicle unless --no-camera, answering CAMERA_INFORMATION with the chosen profile', { timeout: 30_000 }, async () => {
    const enc = new MavlinkEncoder(245, 190);
    const { heard, infos, code } = await listen(['--camera', 'phase-one-ixm-50'], 2500, (sock, port) => {
      const m = Object.assign(new common.CommandLong(), { targetSystem: 1, targetComponent: 100, command: 512, confirmation: 0, _param1: 259 });
      sock.send(enc.encode(m), port, '127.0.0.1');
    });
    expect(code).toBe(0);
    expect(heard.get(1)?.count).toBeGreaterThan(0);
    expect(heard.get(100)?.type).toBe(30);
    expect(infos).toContain('iXM-50');
  });

  it('--no-camera: no component 100', { timeout: 30_000 }, async () => {
    const { heard, code } = await listen(['--no-camera'], 2000);
    expect(code).toBe(0);
    expect(heard.get(1)?.count).toBeGreaterThan(0);
    expect(heard.has(100)).toBe(false);
  });
});
