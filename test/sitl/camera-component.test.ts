/**
 * The SITL's MAVLink camera component seen from a raw ground station (dgram + codec only, not our
 * camera adapter), doing what QGroundControl's camera manager and MAVSDK's camera plugin do:
 * spot the MAV_TYPE_CAMERA heartbeat of component 100, ask for CAMERA_INFORMATION (legacy
 * MAV_CMD_REQUEST_CAMERA_INFORMATION and MAV_CMD_REQUEST_MESSAGE), CAMERA_SETTINGS,
 * STORAGE_INFORMATION and CAMERA_CAPTURE_STATUS, take photos, and re-request a missed image.
 */
import { common, minimal } from 'node-mavlink';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { haversine_m } from '../../core/geo.js';
import { Rng } from '../../core/rng.js';
import { SimWorld } from '../../hardware/sim/index.js';
import { eulerToQuaternion } from '../../hardware/sim/sitl/camera-component.js';
import { createSitl, type Sitl } from '../../hardware/sim/sitl/index.js';
import { quaternionToAttitude } from '../../hardware/real/mavlink/camera/index.js';
import { ORIGIN, pump } from './support/sitl-harness.js';
import { mk, TestGcs } from './support/test-gcs.js';

interface Rig { clock: VirtualClock; world: SimWorld; sitl: Sitl; gcs: TestGcs; close(): Promise<void> }

async function start(camera: string | boolean = 'phase-one-ixm-100'): Promise<Rig> {
  const clock = new VirtualClock();
  const world = new SimWorld({ clock, rng: new Rng(7), origin: ORIGIN });
  expect(world.addVehicle('d1', { spawn: { north_m: 2, east_m: 1 } }).ok).toBe(true);
  const sitl = createSitl({ world, vehicles: [{ id: 'd1' }], apiLocalPortBase: 0, apiRemotePortBase: 0, gcsLocalPortBase: 0, gcsRemotePort: 0, camera });
  await sitl.start();
  const gcs = await TestGcs.open(clock);
  gcs.connect(sitl.endpoints[0]!.gcsLocalPort);
  const ac = new AbortController();
  const running = pump(clock, 20, ac.signal);
  gcs.startHeartbeats();
  return { clock, world, sitl, gcs, close: async () => { ac.abort(); await running; await sitl.stop(); await gcs.close(); world.stop(); } };
}

/** COMMAND_LONG to the camera (1, 100) and its ACK. */
async function camCommand(gcs: TestGcs, command: number, params: number[], confirmation = 0): Promise<common.CommandAck> {
  const since = gcs.log.length;
  const m = mk(common.CommandLong, { targetSystem: 1, targetComponent: 100, command, confirmation });
  params.forEach((v, k) => Object.assign(m, { [`_param${k + 1}`]: v }));
  gcs.send(m);
  return (await gcs.next(common.CommandAck, (a, r) => a.command === command && r.frame.compid === 100, { since })).msg;
}

const name = (bytes: unknown) => Buffer.from((bytes as number[]).filter((b) => b !== 0)).toString();

describe('SITL camera component (MAVLink camera protocol)', () => {
  let rig: Rig | undefined;
  afterEach(async () => { await rig?.close(); rig = undefined; });

  it('announces itself as QGC expects and answers information requests both ways', async () => {
    rig = await start();
    const { gcs } = rig;
    const hb = await gcs.next(minimal.Heartbeat, (_, r) => r.frame.compid === 100);
    expect(hb.frame.sysid).toBe(1);
    expect(hb.msg.type).toBe(30); // MAV_TYPE_CAMERA
    expect(hb.msg.autopilot).toBe(8); // MAV_AUTOPILOT_INVALID
    // QGC 4.2: MAV_CMD_REQUEST_CAMERA_INFORMATION (521).
    let since = gcs.log.length;
    expect((await camCommand(gcs, 521, [1])).result).toBe(0);
    const info = (await gcs.next(common.CameraInformation, () => true, { since })).msg;
    expect(name(info.vendorName)).toBe('Phase One');
    expect(name(info.modelName)).toBe('iXM-100');
    expect(info.flags & 2).toBe(2); // CAMERA_CAP_FLAGS_CAPTURE_IMAGE
    expect([info.resolutionH, info.resolutionV]).toEqual([11664, 8750]);
    expect(info.sensorSizeH).toBeCloseTo(43.9, 3);
    // MAVSDK / newer QGC: MAV_CMD_REQUEST_MESSAGE.
    for (const [id, C] of [[259, common.CameraInformation], [260, common.CameraSettings], [261, common.StorageInformation], [262, common.CameraCaptureStatus]] as const) {
      since = gcs.log.length;
      expect((await camCommand(gcs, 512, [id])).result).toBe(0);
      await gcs.next(C as never, () => true, { since });
    }
    const storage = gcs.all(common.StorageInformation).at(-1)!.msg;
    expect(storage.status).toBe(2); // STORAGE_STATUS_READY
    expect(storage.availableCapacity).toBeGreaterThan(0);
    // Unknown message, unknown command.
    expect((await camCommand(gcs, 512, [33])).result).toBe(2); // DENIED
    expect((await camCommand(gcs, 2500, [])).result).toBe(3); // UNSUPPORTED (video)
    // The autopilot still answers for itself.
    expect((await gcs.command(1, 512, [148])).result).toBe(0);
  });

  it('takes photos: single (a resent command is not a second image), too soon, interval, stop; geotag from the true pose; re-sends a missed image', async () => {
    rig = await start();
    const { gcs, world } = rig;
    await gcs.next(minimal.Heartbeat, (_, r) => r.frame.compid === 100);
    let since = gcs.log.length;
    expect((await camCommand(gcs, 2000, [0, 0, 1, 1])).result).toBe(0);
    const img0 = (await gcs.next(common.CameraImageCaptured, () => true, { since })).msg;
    expect(img0.imageIndex).toBe(0);
    expect(img0.captureResult).toBe(1);
    const truth = world.frame.toGeo(world.truePosition('d1'));
    expect(haversine_m({ lat_deg: img0.lat / 1e7, lon_deg: img0.lon / 1e7 }, truth)).toBeLessThan(0.05);
    expect(img0.alt / 1000).toBeCloseTo(truth.alt_m, 1);
    // The same single capture retransmitted (confirmation 1): ACKed again, no new image.
    expect((await camCommand(gcs, 2000, [0, 0, 1, 1], 1)).result).toBe(0);
    // A new one sooner than 1/3 s after the last: TEMPORARILY_REJECTED.
    expect((await camCommand(gcs, 2000, [0, 0, 1, 2])).result).toBe(1);
    // Another sender (the autopilot's camera_trigger, a second GCS) numbers its own captures from 1 too.
    await new Promise((r) => setTimeout(r, 50));
    const other = await TestGcs.open(rig.clock, { sysid: 200, compid: 1 });
    other.connect(rig.sitl.endpoints[0]!.apiLocalPort);
    const s1 = other.log.length;
    other.send(mk(common.CommandLong, { targetSystem: 1, targetComponent: 100, command: 2000, confirmation: 0, _param1: 0, _param2: 0, _param3: 1, _param4: 1 }));
    expect((await other.next(common.CommandAck, (a) => a.command === 2000, { since: s1 })).msg.result).toBe(0);
    expect((await other.next(common.CameraImageCaptured, () => true, { since: s1 })).msg.imageIndex).toBe(1);
    await other.close();
    // Interval below the minimum: DENIED; at 0.5 s × 3: three images 500 ms apart.
    expect((await camCommand(gcs, 2000, [0, 0.1, 3, 0])).result).toBe(2);
    since = gcs.log.length;
    await new Promise((r) => setTimeout(r, 50));
    expect((await camCommand(gcs, 2000, [0, 0.5, 3, 0])).result).toBe(0);
    await gcs.next(common.CameraImageCaptured, (m) => m.imageIndex === 4, { since });
    const burst = gcs.all(common.CameraImageCaptured, since).map((r) => r.msg);
    expect(burst.map((m) => m.imageIndex)).toEqual([2, 3, 4]);
    expect(burst[2]!.timeBootMs - burst[1]!.timeBootMs).toBeGreaterThanOrEqual(500);
    const status = (await (async () => { const s = gcs.log.length; await camCommand(gcs, 527, [0]); return gcs.next(common.CameraCaptureStatus, () => true, { since: s }); })()).msg;
    expect(status.imageCount).toBe(5);
    // MAVSDK's recovery of a missed image: REQUEST_MESSAGE(263, index).
    since = gcs.log.length;
    expect((await camCommand(gcs, 512, [263, 3])).result).toBe(0);
    const again = (await gcs.next(common.CameraImageCaptured, () => true, { since })).msg;
    expect(again.imageIndex).toBe(3);
    expect(again.lat).toBe(burst[1]!.lat);
    expect((await camCommand(gcs, 512, [263, 99])).result).toBe(2); // no such image
    // Failed camera: critical heartbeat, captures FAILED.
    rig.sitl.camera('d1')!.setFailed(true);
    await new Promise((r) => setTimeout(r, 100));
    const s2 = gcs.log.length;
    const hb = await gcs.next(minimal.Heartbeat, (_, r) => r.frame.compid === 100, { since: s2 });
    expect(hb.msg.systemStatus).toBe(5); // MAV_STATE_CRITICAL
    expect((await camCommand(gcs, 2000, [0, 0, 1, 9])).result).toBe(4); // FAILED
  });

  it('no camera component unless asked for (createSitl default), and its quaternion is the body attitude', async () => {
    rig = await start(false);
    const { gcs } = rig;
    await gcs.next(minimal.Heartbeat, (_, r) => r.frame.compid === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(gcs.log.some((r) => r.frame.compid === 100)).toBe(false);
    const att = quaternionToAttitude(eulerToQuaternion(0.1, -0.2, (250 * Math.PI) / 180));
    expect(att.roll).toBeCloseTo(5.7296, 3);
    expect(att.pitch).toBeCloseTo(-11.459, 2);
    expect(att.yaw).toBeCloseTo(250, 6);
  });
});
