/**
 * Hostile camera input (fast-check) on a real UDP link shared by a vehicle port and a camera
 * port, both talking to the built-in SITL (vehicle + camera component): a second sender
 * impersonates the camera (system 1, component 100) with
 * - camera messages whose fields are out of their documented range (one field at a time),
 * - frames with a valid header and CRC but random payload bytes for every camera message id,
 * - random raw datagrams.
 * Nothing throws, every bad message is refused (counted, health `degraded` with the reason, then
 * `ok` again), the vehicle port's telemetry and link are undisturbed, and the real camera still
 * captures afterwards.
 */
import dgram from 'node:dgram';
import fc from 'fast-check';
import { common, type MavLinkData } from 'node-mavlink';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { mavCrc, MavlinkEncoder, REGISTRY } from '../../hardware/real/mavlink/codec.js';
import { createMavlinkCameraPort, type MavlinkCameraPort } from '../../hardware/real/mavlink/camera/index.js';
import { openLink, type Link } from '../../hardware/real/mavlink/link.js';
import { createMavlinkVehiclePort, type MavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import type { SensorEvent } from '../../hardware/sensor.port.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { createSitl, type Sitl } from '../../hardware/sim/sitl/index.js';
import type { VehicleEvent } from '../../hardware/vehicle.port.js';
import { ORIGIN } from '../sim/sim-harness.js';

const SPEED = 40;

/** A free UDP port, held (bound) until `release`, so the SITL's own ephemeral sockets cannot be given it. */
async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, release: () => new Promise<void>((r) => s.close(() => r())) };
}

function msg<C extends new () => MavLinkData>(C: C, fields: Record<string, unknown>): InstanceType<C> {
  return Object.assign(new C(), fields) as InstanceType<C>;
}

const validImage = {
  timeUtc: 0n, timeBootMs: 1000, lat: 473_977_420, lon: 85_455_940, alt: 500_000, relativeAlt: 12_000,
  q: [1, 0, 0, 0], imageIndex: 9000, cameraId: 0, captureResult: 1, fileUrl: 'file:///x',
};

/** One field of CAMERA_IMAGE_CAPTURED out of its documented range. */
const badImageField = fc.oneof(
  fc.integer({ min: 900_000_001, max: 0x7fffffff }).map((v) => ({ lat: v })),
  fc.integer({ min: -0x80000000, max: -900_000_001 }).map((v) => ({ lat: v })),
  fc.integer({ min: 1_800_000_001, max: 0x7fffffff }).map((v) => ({ lon: v })),
  fc.integer({ min: 50_000_001, max: 0x7fffffff }).map((v) => ({ alt: v })),
  fc.integer({ min: -0x80000000, max: -1 }).map((v) => ({ imageIndex: v })),
  fc.oneof(fc.integer({ min: -128, max: -2 }), fc.integer({ min: 2, max: 127 })).map((v) => ({ captureResult: v })),
  fc.tuple(fc.constantFrom(Infinity, -Infinity), fc.nat(3)).map(([v, k]) => ({ q: [1, 0, 0, 0].map((x, i) => (i === k ? v : x)) })),
);

const badStatusField = fc.oneof(
  fc.integer({ min: 4, max: 255 }).map((v) => ({ imageStatus: v })),
  fc.integer({ min: -0x80000000, max: -2 }).map((v) => ({ imageCount: v })),
  fc.constantFrom(Infinity, -Infinity).map((v) => ({ availableCapacity: v })),
);

/** A MAVLink 2 frame from (1, 100) with a random payload, valid length byte and CRC. */
function rawFrame(msgid: number, payload: Uint8Array, seq: number): Buffer {
  const len = payload.length;
  const f = Buffer.alloc(10 + len + 2);
  f[0] = 0xfd; f[1] = len; f[2] = 0; f[3] = 0; f[4] = seq & 0xff; f[5] = 1; f[6] = 100;
  f[7] = msgid & 0xff; f[8] = (msgid >> 8) & 0xff; f[9] = (msgid >> 16) & 0xff;
  Buffer.from(payload).copy(f, 10);
  f.writeUInt16LE(mavCrc(f, 1, 10 + len, REGISTRY[msgid]!.MAGIC_NUMBER), 10 + len);
  return f;
}

describe('MAVLink camera adapter: hostile camera messages', () => {
  let stop: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stop.reverse()) await s();
    stop = [];
  });

  it('refuses malformed or hostile camera frames without disturbing the camera, the vehicle or the link', async () => {
    const clock = new VirtualClock();
    const world = new SimWorld({ clock, rng: new Rng(3), origin: ORIGIN });
    expect(world.addVehicle('d1', { spawn: { north_m: 0, east_m: 0 } }).ok).toBe(true);
    const held = await holdPort();
    const gcsPort = held.port;
    const sitl: Sitl = createSitl({ world, vehicles: [{ id: 'd1' }], host: '127.0.0.1', apiRemotePortBase: gcsPort, apiLocalPortBase: 0, gcsRemotePort: 0, gcsLocalPortBase: 0, camera: 'phase-one-ixm-100' });
    await sitl.start();
    stop.push(async () => { await sitl.stop(); world.stop(); });
    await held.release();
    const opened = await openLink(`udpin://127.0.0.1:${gcsPort}`);
    if (!opened.ok) throw new Error(opened.error.message);
    const link: Link = opened.value;
    stop.push(() => link.close());
    const vehicle: MavlinkVehiclePort = createMavlinkVehiclePort({ id: 'd1', link, clock, targetSystem: 1 });
    const cam: MavlinkCameraPort = createMavlinkCameraPort({ id: 'cam', vehicle: 'd1', link, clock, targetSystem: 1 });
    stop.push(() => vehicle.dispose(), () => cam.dispose());
    const waitFor = async (pred: () => boolean, ms: number) => { await clock.run({ until: clock.now() + ms, stopWhen: pred, speed: SPEED }); return pred(); };
    const settle = async <T,>(p: Promise<T>): Promise<T> => {
      let box: { v: T } | undefined;
      void p.then((v) => { box = { v }; });
      if (!(await waitFor(() => box !== undefined, 15_000))) throw new Error('did not settle');
      return box!.v;
    };
    let telemetry = 0;
    vehicle.subscribeTelemetry(() => telemetry++);
    const vehicleEvents: VehicleEvent[] = [];
    vehicle.subscribeEvents((e) => vehicleEvents.push(e));
    const camEvents: SensorEvent[] = [];
    cam.subscribeEvents((e) => camEvents.push(e));
    expect((await settle(vehicle.connect())).ok).toBe(true);
    expect((await settle(cam.connect())).ok).toBe(true);
    expect((await settle(cam.capture())).ok).toBe(true);

    // The impostor: another UDP sender speaking as system 1, component 100.
    const hostile = dgram.createSocket('udp4');
    await new Promise<void>((r) => hostile.bind(0, '127.0.0.1', r));
    stop.push(() => new Promise<void>((r) => hostile.close(() => r())));
    const enc = new MavlinkEncoder(1, 100);
    let seq = 0;
    const sendBuf = (b: Buffer) => hostile.send(b, gcsPort, '127.0.0.1');
    const malformedBefore = cam.stats().malformed;
    let expectedBad = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.array(badImageField, { minLength: 1, maxLength: 4 }),
        fc.array(badStatusField, { maxLength: 2 }),
        fc.array(fc.tuple(fc.constantFrom(259, 260, 261, 262, 263), fc.uint8Array({ minLength: 1, maxLength: 255 })), { maxLength: 4 }),
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 3 }),
        async (images, statuses, raws, garbage) => {
          for (const bad of images) sendBuf(enc.encode(msg(common.CameraImageCaptured, { ...validImage, ...bad })));
          for (const bad of statuses) sendBuf(enc.encode(msg(common.CameraCaptureStatus, { timeBootMs: 1, imageStatus: 0, videoStatus: 0, imageInterval: 0, recordingTimeMs: 0, availableCapacity: 100, imageCount: 1, cameraDeviceId: 0, ...bad })));
          for (const [id, payload] of raws) sendBuf(rawFrame(id, payload, seq++));
          for (const g of garbage) sendBuf(Buffer.from(g));
          expectedBad += images.length + statuses.length;
          await clock.run({ until: clock.now() + 50, speed: SPEED });
        },
      ),
      { numRuns: 40, seed: 1 },
    );
    await waitFor(() => cam.stats().malformed - malformedBefore >= expectedBad, 2000);
    // Every out-of-range message was refused (random payloads may add more).
    expect(cam.stats().malformed - malformedBefore).toBeGreaterThanOrEqual(expectedBad);
    expect(camEvents.some((e) => e.type === 'health' && e.health.state === 'degraded' && /malformed/.test(e.health.message ?? ''))).toBe(true);
    expect(link.stats.listenerErrors).toBe(0);
    // No out-of-range image became a capture.
    for (const e of camEvents) if (e.type === 'capture') {
      expect(Math.abs(e.capture.pose.position.lat_deg)).toBeLessThanOrEqual(90);
      expect(Number.isFinite(e.capture.pose.attitude_deg.yaw)).toBe(true);
    }
    // The vehicle never noticed.
    expect(vehicleEvents.some((e) => e.type === 'link' && !e.up)).toBe(false);
    const t0 = telemetry;
    await clock.run({ until: clock.now() + 1000, speed: SPEED });
    expect(telemetry).toBeGreaterThan(t0 + 5);
    // The camera recovers: healthy again, still captures.
    await waitFor(() => cam.health().state === 'ok', 8000);
    expect([cam.health().state, cam.health().message]).toEqual(['ok', undefined]);
    const again = await settle(cam.capture());
    expect(again.ok ? 'ok' : again.error.message).toBe('ok');
  }, 60_000);
});
