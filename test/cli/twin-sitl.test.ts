/**
 * `twin sitl` as a user (or QGroundControl / MAVSDK) meets it: a process that serves PX4-like
 * vehicles on UDP; a ground station hears their heartbeats and can command them.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { common, minimal } from 'node-mavlink';
import { MavlinkEncoder, MavlinkParser, decode } from '../../hardware/real/mavlink/index.js';
import { px4ModeToFlightMode } from '../../hardware/real/mavlink/px4-modes.js';

describe('twin sitl', () => {
  it('serves N vehicles with PX4 heartbeats on the API ports, refuses a takeoff while disarmed, stops on SIGINT', { timeout: 30_000 }, async () => {
    // Listen where MAVSDK would (udpin), on free ports: the SITL sends to apiPort + i.
    const gcs = [createSocket('udp4'), createSocket('udp4')];
    const base = 20000 + Math.floor(Math.random() * 20000);
    await Promise.all(gcs.map((s, i) => new Promise<void>((r) => s.bind(base + i, '127.0.0.1', () => r()))));
    const child = spawn(process.execPath, [
      'dist/cli/twin.js', 'sitl', '--count', '2', '--speed', '5',
      '--api-port', String(base), '--api-local-port', '0', '--gcs-port', '0', '--gcs-local-port', '0',
    ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TWIN_LOG_LEVEL: 'silent' } });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    try {
      const seen = await Promise.all(
        gcs.map(
          (sock) =>
            new Promise<{ sysid: number; autopilot: number; mode: string; port: number }>((resolve) => {
              const parser = new MavlinkParser();
              sock.on('message', (msg, rinfo) =>
                parser.push(msg, (f) => {
                  if (f.msgid !== minimal.Heartbeat.MSG_ID) return;
                  const hb = decode(f) as minimal.Heartbeat;
                  resolve({ sysid: f.sysid, autopilot: hb.autopilot, mode: px4ModeToFlightMode(hb.customMode), port: rinfo.port });
                }),
              );
            }),
        ),
      );
      expect(seen.map((s) => s.sysid).sort()).toEqual([1, 2]);
      for (const s of seen) expect(s.autopilot).toBe(12); // MAV_AUTOPILOT_PX4
      expect(out).toMatch(/^drone1 sysid=1 api=udp:127\.0\.0\.1:\d+→\d+/m);

      // Takeoff while disarmed is refused with PX4 Commander's code for refusals.
      const enc = new MavlinkEncoder(245, 190);
      const cmd = new common.CommandLong();
      cmd.targetSystem = seen[0]!.sysid;
      cmd.targetComponent = 1;
      cmd.command = common.MavCmd.NAV_TAKEOFF;
      cmd._param7 = Number.NaN;
      const ack = new Promise<number>((resolve) => {
        const parser = new MavlinkParser();
        gcs[0]!.on('message', (msg) =>
          parser.push(msg, (f) => {
            if (f.msgid === common.CommandAck.MSG_ID) resolve((decode(f) as common.CommandAck).result);
          }),
        );
      });
      gcs[0]!.send(enc.encode(cmd), seen[0]!.port, '127.0.0.1');
      expect(await ack).toBe(common.MavResult.TEMPORARILY_REJECTED);
    } finally {
      child.kill('SIGINT');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      for (const s of gcs) s.close();
    }
  });
});
