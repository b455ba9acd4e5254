/**
 * The MAVLink camera adapter against the built-in SITL's camera component over loopback UDP:
 * the camera contract suite, then what the protocol adds (the vehicle's link shared with the
 * vehicle port, missed-index recovery, mission triggers, a camera that stops answering).
 * One paced VirtualClock drives the SimWorld, the SITL and the adapters.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { haversine_m } from '../../core/geo.js';
import { Rng } from '../../core/rng.js';
import { createMavlinkCameraPort, type MavlinkCameraPort } from '../../hardware/real/mavlink/camera/index.js';
import { openLink, type Link } from '../../hardware/real/mavlink/link.js';
import { createMavlinkVehiclePort } from '../../hardware/real/mavlink/mavlink-vehicle.adapter.js';
import type { SensorEvent } from '../../hardware/sensor.port.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { createSitl, type Sitl } from '../../hardware/sim/sitl/index.js';
import type { VehicleTelemetry } from '../../hardware/vehicle.port.js';
import { describeCameraContract, type CameraHarness } from '../contract/camera.contract.js';
import { ORIGIN } from '../sim/sim-harness.js';

const SPEED = Number(process.env.MAVLINK_SITL_SPEED ?? 40);

export interface CameraSitlRig {
  clock: VirtualClock;
  world: SimWorld;
  sitl: Sitl;
  apiPort: number;
  waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean>;
  advance(ms: number): Promise<void>;
  settle<T>(p: Promise<T>, ms?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function startCameraSitl(profile = 'phase-one-ixm-100'): Promise<CameraSitlRig> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(7), origin: ORIGIN });
  const added = world.addVehicle('d1', { spawn: { north_m: 3, east_m: 4 } });
  if (!added.ok) throw new Error(added.error.message);
  const sitl = createSitl({ world, vehicles: [{ id: 'd1' }], host: '127.0.0.1', apiRemotePortBase: 0, apiLocalPortBase: 0, gcsRemotePort: 0, gcsLocalPortBase: 0, camera: profile });
  await sitl.start();
  const waitFor = async (pred: () => boolean, timeoutMs: number) => {
    await clock.run({ until: clock.now() + timeoutMs, stopWhen: pred, speed: SPEED });
    return pred();
  };
  const settle = async <T,>(p: Promise<T>, ms = 15_000): Promise<T> => {
    let box: { v: T } | undefined;
    void p.then((v) => { box = { v }; });
    if (!(await waitFor(() => box !== undefined, ms))) throw new Error('did not settle');
    return box!.v;
  };
  return {
    clock, world, sitl, apiPort: sitl.endpoints[0]!.apiLocalPort, waitFor, settle,
    advance: async (ms) => { await clock.run({ until: clock.now() + ms, speed: SPEED }); },
    stop: async () => { await sitl.stop(); world.stop(); },
  };
}

const truePose = (world: SimWorld) => ({ position: world.frame.toGeo(world.truePosition('d1')), attitude_deg: { roll: 0, pitch: 0, yaw: 0 } });

describeCameraContract('mavlink camera → built-in SITL camera component (loopback UDP)', async (): Promise<CameraHarness> => {
  const rig = await startCameraSitl();
  const port = createMavlinkCameraPort({ id: 'cam', vehicle: 'd1', url: `udpout://127.0.0.1:${rig.apiPort}`, clock: rig.clock, targetSystem: 1 });
  const r = await rig.settle(port.connect());
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return {
    port, advance: rig.advance, waitFor: rig.waitFor, truePose: () => truePose(rig.world),
    fail: async () => rig.sitl.camera('d1')!.setFailed(true),
    validSettings: { mode: 'image', focal_length_mm: 80 },
    dispose: async () => { await port.dispose(); await rig.stop(); },
  };
});

describe('MAVLink camera adapter against the SITL camera (loopback UDP)', () => {
  let rig: CameraSitlRig | undefined;
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
    await rig?.stop();
    rig = undefined;
  });

  async function sharedLink(r: CameraSitlRig): Promise<Link> {
    const opened = await openLink(`udpout://127.0.0.1:${r.apiPort}`);
    if (!opened.ok) throw new Error(opened.error.message);
    cleanup.push(() => opened.value.close());
    return opened.value;
  }

  it('shares the vehicle link: discovers component 100, reads the profile from CAMERA_INFORMATION, the vehicle port is undisturbed', async () => {
    rig = await startCameraSitl('sony-ilx-lr1');
    const link = await sharedLink(rig);
    const vehicle = createMavlinkVehiclePort({ id: 'd1', link, clock: rig.clock, targetSystem: 1 });
    const cam = createMavlinkCameraPort({ id: 'cam', vehicle: 'd1', link, clock: rig.clock, targetSystem: 1 });
    cleanup.push(() => vehicle.dispose(), () => cam.dispose());
    const telemetry: VehicleTelemetry[] = [];
    vehicle.subscribeTelemetry((t) => telemetry.push(t));
    expect((await rig.settle(vehicle.connect())).ok).toBe(true);
    const info = await rig.settle(cam.connect());
    expect(info.ok && info.value.model).toBe('sony-ilx-lr1');
    expect(info.ok && info.value.vendor).toBe('Sony');
    expect(info.ok && info.value.camera?.resolution_px).toEqual({ width: 9504, height: 6336 });
    expect(cam.address()).toEqual({ sysid: 1, compid: 100 });
    const shot = await rig.settle(cam.capture());
    expect(shot.ok && shot.value.index).toBe(0);
    expect(shot.ok && shot.value.file_url).toMatch(/^file:\/\/\/DCIM\/000000\.jpeg$/);
    // The camera going quiet takes only the camera offline.
    const events: SensorEvent[] = [];
    cam.subscribeEvents((e) => events.push(e));
    rig.sitl.camera('d1')!.setSilent(true);
    expect(await rig.waitFor(() => cam.health().state === 'offline', 6000)).toBe(true);
    expect(events.some((e) => e.type === 'link' && !e.up)).toBe(true);
    const n = telemetry.length;
    await rig.advance(2000);
    expect(telemetry.length).toBeGreaterThan(n + 5);
    expect((await rig.settle(vehicle.arm())).ok).toBe(true);
    expect((await rig.settle(cam.capture())).ok ? 'ok' : 'error').toBe('error');
    const c = await rig.settle(cam.capture());
    expect(!c.ok && c.error.code).toBe('SENSOR.NO_LINK');
    // And back.
    rig.sitl.camera('d1')!.setSilent(false);
    expect(await rig.waitFor(() => cam.health().state === 'ok', 5000)).toBe(true);
    await rig.advance(1100);
    const again = await rig.settle(cam.capture());
    expect(again.ok && again.value.index).toBe(1);
  });

  it('recovers an image whose CAMERA_IMAGE_CAPTURED was lost (MAV_CMD_REQUEST_MESSAGE with its index)', async () => {
    rig = await startCameraSitl();
    // A lossy relay between the port and the SITL drops the first CAMERA_IMAGE_CAPTURED (msgid 263).
    const relay = dgram.createSocket('udp4');
    await new Promise<void>((res) => relay.bind(0, '127.0.0.1', res));
    cleanup.push(() => new Promise<void>((res) => relay.close(() => res())));
    let client: { port: number; address: string } | undefined;
    let dropped = 0;
    relay.on('message', (buf, rinfo) => {
      if (rinfo.port === rig!.apiPort) {
        const msgid = buf[0] === 0xfd ? buf[7]! | (buf[8]! << 8) : -1;
        if (msgid === 263 && dropped === 0) return void dropped++;
        if (client) relay.send(buf, client.port, client.address);
      } else {
        client = { port: rinfo.port, address: rinfo.address };
        relay.send(buf, rig!.apiPort, '127.0.0.1');
      }
    });
    const cam = createMavlinkCameraPort({ id: 'cam', vehicle: 'd1', url: `udpout://127.0.0.1:${relay.address().port}`, clock: rig.clock, targetSystem: 1, captureTimeoutMs: 1500 });
    cleanup.push(() => cam.dispose());
    const events: SensorEvent[] = [];
    cam.subscribeEvents((e) => events.push(e));
    expect((await rig.settle(cam.connect())).ok).toBe(true);
    const first = await rig.settle(cam.capture());
    expect(!first.ok && first.error.code).toBe('SENSOR.TIMEOUT');
    await rig.advance(500);
    const second = await rig.settle(cam.capture());
    expect(second.ok && second.value.index).toBe(1);
    expect(await rig.waitFor(() => events.some((e) => e.type === 'capture' && e.capture.index === 0), 5000)).toBe(true);
    expect(dropped).toBe(1);
    expect(cam.stats().recovered).toBe(1);
    expect(events.filter((e) => e.type === 'capture.lost')).toEqual([]);
  });

  it('captures when the SITL mission triggers the camera, geotagged where the vehicle truly was', async () => {
    rig = await startCameraSitl();
    const link = await sharedLink(rig);
    const vehicle = createMavlinkVehiclePort({ id: 'd1', link, clock: rig.clock, targetSystem: 1 });
    const cam = createMavlinkCameraPort({ id: 'cam', vehicle: 'd1', link, clock: rig.clock, targetSystem: 1 });
    cleanup.push(() => vehicle.dispose(), () => cam.dispose());
    expect((await rig.settle(vehicle.connect())).ok).toBe(true);
    expect((await rig.settle(cam.connect())).ok).toBe(true);
    const world = rig.world;
    const truthAt: { t: number; p: ReturnType<typeof truePose>['position'] }[] = [];
    world.onEvent('d1', (e) => { if (e.type === 'capture') truthAt.push({ t: e.t_ms, p: e.position }); });
    const caps: SensorEvent[] = [];
    cam.subscribeEvents((e) => { if (e.type === 'capture') caps.push(e); });
    const home = vehicle.home()!;
    const wp = (n: number, e: number, capture: boolean) => {
      const lat = home.lat_deg + n / 111_320, lon = home.lon_deg + e / (111_320 * Math.cos((home.lat_deg * Math.PI) / 180));
      return { kind: 'waypoint' as const, lat_deg: lat, lon_deg: lon, alt_m: 20, hold_s: 0, acceptance_m: 3, capture };
    };
    const items = [{ kind: 'takeoff' as const, alt_m: 20 }, wp(30, 0, true), wp(30, 30, true), wp(0, 30, true), { kind: 'rtl' as const }];
    const up = await rig.settle(vehicle.uploadMission(items as never));
    expect(up.ok ? 'ok' : up.error.message).toBe('ok');
    expect((await rig.settle(vehicle.arm())).ok).toBe(true);
    expect((await rig.settle(vehicle.startMission())).ok).toBe(true);
    expect(await rig.waitFor(() => caps.length >= 3, 120_000)).toBe(true);
    expect(truthAt.length).toBeGreaterThanOrEqual(3);
    for (let k = 0; k < 3; k++) {
      const c = (caps[k] as Extract<SensorEvent, { type: 'capture' }>).capture;
      expect(c.index).toBe(k);
      expect(haversine_m(c.pose.position, truthAt[k]!.p)).toBeLessThan(1);
    }
  }, 60_000);

  it('a camera that never answers: connect fails NO_LINK, nothing hangs', async () => {
    rig = await startCameraSitl();
    rig.sitl.camera('d1')!.setSilent(true);
    const cam: MavlinkCameraPort = createMavlinkCameraPort({ id: 'cam', vehicle: 'd1', url: `udpout://127.0.0.1:${rig.apiPort}`, clock: rig.clock, targetSystem: 1, connectTimeoutMs: 2000 });
    cleanup.push(() => cam.dispose());
    const r = await rig.settle(cam.connect());
    expect(!r.ok && r.error.code).toBe('SENSOR.NO_LINK');
    expect(cam.health().state).toBe('offline');
    const c = await rig.settle(cam.capture());
    expect(!c.ok && c.error.code).toBe('SENSOR.NO_LINK');
  });
});
