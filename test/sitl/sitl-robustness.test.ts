import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { common, minimal } from 'node-mavlink';
import { MavlinkEncoder } from '../../hardware/real/mavlink/codec.js';
import { startSitl, type SitlHarness } from './support/sitl-harness.js';
import { TestGcs, mk } from './support/test-gcs.js';

let h: SitlHarness;
let noise: TestGcs;
beforeAll(async () => {
  h = await startSitl({ speed: 20 });
  noise = await TestGcs.open(h.clock, { sysid: 66 });
  noise.connect(h.sitl.endpoints[0]!.gcsLocalPort);
});
afterAll(async () => {
  await noise.close();
  await h.close();
});

/** A valid frame cut short, or with a flipped byte (bad CRC). */
function damaged(): fc.Arbitrary<Buffer> {
  const enc = new MavlinkEncoder(66, 1);
  const frame = enc.encode(mk(common.CommandLong, { targetSystem: 1, targetComponent: 1, command: 400, _param1: 1 }));
  return fc.oneof(
    fc.integer({ min: 1, max: frame.length - 1 }).map((n) => frame.subarray(0, n)),
    fc.tuple(fc.integer({ min: 1, max: frame.length - 1 }), fc.integer({ min: 1, max: 255 }))
      .map(([i, x]) => { const b = Buffer.from(frame); b[i] = b[i]! ^ x; return b; }),
  );
}

describe('SITL robustness', () => {
  it('keeps serving a well-formed client while random bytes, damaged frames and foreign messages arrive', async () => {
    const foreign = new MavlinkEncoder(66, 1).encode(mk(common.CommandLong, { targetSystem: 99, targetComponent: 1, command: 400, _param1: 1 }));
    const datagrams = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 600 }).map((a) => Buffer.from(a)),
      damaged(),
      fc.constant(foreign),
      // garbage, then a start byte announcing a long frame that never completes
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.concat([Buffer.from(a), Buffer.from([0xfd, 0xff, 0, 0, 0, 66, 1, 76, 0, 0])])),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(datagrams, { minLength: 1, maxLength: 25 }), async (batch) => {
        for (const d of batch) noise.sendRaw(d);
        // The well-formed client still gets answers right after the noise.
        const ack = await h.gcs.command(1, 512, [242]);
        expect(ack.result).toBe(0);
        const since = h.gcs.log.length;
        h.gcs.send(mk(common.ParamRequestRead, { targetSystem: 1, targetComponent: 1, paramId: 'MPC_XY_CRUISE', paramIndex: -1 }));
        expect((await h.gcs.next(common.ParamValue, () => true, { since })).msg.paramValue).toBe(5);
      }),
      { numRuns: 40, seed: 20240601 },
    );
    const st = h.sitl.stats().vehicles[0]!.gcs;
    expect(st.handlerErrors).toBe(0);
    expect(st.rxGarbageBytes + st.rxBadCrc).toBeGreaterThan(0);
    expect(st.rxForeign).toBeGreaterThan(0);
    // The noise source never became the vehicle's reply address for long: the well-formed
    // client keeps receiving heartbeats after it talks again.
    h.gcs.heartbeat();
    await h.gcs.next(minimal.Heartbeat);
    // Commands from the noise never armed the vehicle.
    expect(h.world.telemetry('d1').armed).toBe(false);
  });
});
