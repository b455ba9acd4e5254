/**
 * The discovery datagram codec: real datagrams captured from Gazebo's CLI, byte-exact re-encoding,
 * and malformed input (fast-check) that must come back as clear failures, never exceptions.
 */
import dgram from 'node:dgram';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDiscovery, encodeDiscovery, GZ_UNTHROTTLED, GZ_WIRE_VERSION, type DiscoveryPacket } from '../../hardware/sim/gazebo/discovery-codec.js';
import { GZ_DISCOVERY_GROUP, GZ_MSG_DISCOVERY_PORT } from '../../hardware/sim/gazebo/discovery.js';
import { gzMessages } from '../../hardware/sim/gazebo/gz-messages.js';
import { gzInterfaces } from '../../hardware/sim/gazebo/net-interfaces.js';
import { gzCliAvailable, runCli, uniquePartition } from './support/gz-cli.js';

const msgs = gzMessages();

const advertise: DiscoveryPacket = {
  version: GZ_WIRE_VERSION,
  processUuid: 'proc-1',
  type: 'ADVERTISE',
  pub: {
    topic: '@/p@/model/uav-1/pose',
    address: 'tcp://192.0.2.2:40001',
    processUuid: 'proc-1',
    nodeUuid: 'node-1',
    scope: 'ALL',
    msg: { ctrl: 'unused', msgType: 'ignition.msgs.Pose', throttled: false, msgsPerSec: GZ_UNTHROTTLED },
  },
};

describe('discovery datagram codec', () => {
  it('frames the protobuf body with its length as a little-endian uint16 and decodes it back', () => {
    const enc = encodeDiscovery(msgs, advertise);
    if (!enc.ok) throw new Error(enc.error.message);
    expect(enc.value.readUInt16LE(0)).toBe(enc.value.length - 2);
    // Field 2 (version, varint) = 10 comes first in the body: protobuf field order.
    expect([...enc.value.subarray(2, 4)]).toEqual([0x10, GZ_WIRE_VERSION]);
    const dec = decodeDiscovery(msgs, enc.value);
    expect(dec).toEqual({ ok: true, value: advertise });
  });

  it.skipIf(!gzCliAvailable())('decodes the datagrams Gazebo\'s CLI sends, and re-encodes them byte for byte', async () => {
    const partition = uniquePartition('capture');
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    const captured: Buffer[] = [];
    sock.on('message', (b) => captured.push(b));
    await new Promise<void>((r) => sock.bind(GZ_MSG_DISCOVERY_PORT, () => r()));
    for (const i of gzInterfaces()) sock.addMembership(GZ_DISCOVERY_GROUP, i);
    const p = runCli('topic', ['-t', '/owt/captured', '-m', 'ignition.msgs.StringMsg', '-p', 'data: "x"'], partition);
    await p.done;
    await new Promise((r) => setTimeout(r, 100));
    sock.close();
    const mine = captured.map((b) => ({ b, d: decodeDiscovery(msgs, b) })).filter((x) => x.d.ok && (x.d.value.pub?.topic.includes(partition) ?? false));
    expect(mine.length).toBeGreaterThan(0);
    const adv = mine.find((x) => x.d.ok && x.d.value.type === 'ADVERTISE')!;
    if (!adv.d.ok) throw new Error('unreachable');
    const pkt = adv.d.value;
    expect(pkt.version).toBe(GZ_WIRE_VERSION);
    expect(pkt.pub).toMatchObject({ topic: `@/${partition}@/owt/captured`, scope: 'ALL', msg: { ctrl: 'unused', msgType: 'ignition.msgs.StringMsg', throttled: false, msgsPerSec: GZ_UNTHROTTLED } });
    expect(pkt.pub!.address).toMatch(/^tcp:\/\/[\d.]+:\d+$/);
    const re = encodeDiscovery(msgs, pkt);
    if (!re.ok) throw new Error(re.error.message);
    expect(re.value.equals(adv.b)).toBe(true);
    // Its heartbeats too (no body). It exits without a BYE (NodeShared is never destroyed): peers
    // forget it after the 3 s silence interval.
    const types = new Set(captured.map((b) => decodeDiscovery(msgs, b)).flatMap((d) => (d.ok && d.value.processUuid === pkt.processUuid ? [d.value.type] : [])));
    expect(types.has('HEARTBEAT')).toBe(true);
  });

  it('reports why a datagram is refused', () => {
    const code = (b: Uint8Array) => {
      const r = decodeDiscovery(msgs, b);
      return r.ok ? 'ok' : r.error.code;
    };
    expect(code(new Uint8Array([]))).toBe('GZ.DISCOVERY_SHORT');
    expect(code(new Uint8Array([5]))).toBe('GZ.DISCOVERY_SHORT');
    const good = encodeDiscovery(msgs, advertise);
    if (!good.ok) throw new Error('encode');
    expect(code(good.value.subarray(0, good.value.length - 3))).toBe('GZ.DISCOVERY_LENGTH');
    // Length consistent, body truncated inside a string: a protobuf decode error.
    const body = good.value.subarray(2, 20);
    const framed = Buffer.concat([Buffer.from([body.length, 0]), body]);
    expect(code(framed)).toBe('GZ.DISCOVERY_DECODE');
    // ADVERTISE without publisher, SUBSCRIBE without topic, unknown enum values.
    const bare = (type: DiscoveryPacket['type']) => encodeDiscovery(msgs, { version: 10, processUuid: 'p', type });
    for (const t of ['ADVERTISE', 'SUBSCRIBE', 'NEW_CONNECTION'] as const) {
      const b = bare(t);
      if (!b.ok) throw new Error('encode');
      expect(code(b.value)).toBe('GZ.DISCOVERY_INVALID');
    }
    const unknownType = Buffer.from([4, 0, 0x10, 10, 0x20, 42]);
    expect(code(unknownType)).toBe('GZ.DISCOVERY_INVALID');
  });

  it('never throws on arbitrary bytes (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = decodeDiscovery(msgs, bytes);
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) expect(r.error.code).toMatch(/^GZ\.DISCOVERY_/);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on a valid datagram with bytes flipped, cut or appended (fast-check)', () => {
    const base = encodeDiscovery(msgs, advertise);
    if (!base.ok) throw new Error('encode');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.value.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(base.value.length),
        fc.uint8Array({ maxLength: 8 }),
        fc.boolean(),
        (flips, cut, tail, fixLength) => {
          const b = Buffer.from(base.value);
          for (const [i, v] of flips) b[i] = v;
          let out = Buffer.concat([b.subarray(0, cut), Buffer.from(tail)]);
          if (fixLength && out.length >= 2) out.writeUInt16LE(out.length - 2, 0);
          const r = decodeDiscovery(msgs, out);
          if (r.ok) expect(DISCOVERY_TYPES_SET.has(r.value.type)).toBe(true);
          else expect(r.error.message.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

const DISCOVERY_TYPES_SET = new Set(['UNINITIALIZED', 'ADVERTISE', 'SUBSCRIBE', 'UNADVERTISE', 'HEARTBEAT', 'BYE', 'NEW_CONNECTION', 'END_CONNECTION']);
