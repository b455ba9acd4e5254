/**
 * The discovery datagram of Gazebo transport (Ignition Transport 8–11, wire version 10), pure
 * encode/decode: `<uint16 body length, little-endian><ignition.msgs.Discovery protobuf>`.
 *
 * @remarks
 * Read from gz-transport `include/ignition/transport/Discovery.hh` (ign-transport11):
 * `SendMulticast` writes the body size (not counting the 2 length bytes) with a host-order
 * `memcpy` (little-endian on every platform Gazebo ships on); `RecvDiscoveryUpdate` drops a
 * datagram whose length field plus 2 differs from the bytes received, then parses the body and
 * drops other wire versions. `Publisher::FillDiscovery` (src/Publisher.cc) fills `pub`.
 */
import { z } from 'zod';
import { fail, ok, type Result } from '../../../core/result.js';
import type { GzMessages } from './gz-messages.js';

/** Wire version of transport 8–13 (`kWireVersion`); +100 with IGN_TRANSPORT_TOPIC_STATISTICS=1. */
export const GZ_WIRE_VERSION = 10;
/** `msgs_per_sec` of an unthrottled publisher (`kUnthrottled`, uint64 max). */
export const GZ_UNTHROTTLED = 2n ** 64n - 1n;
/** Largest datagram the C++ side reads (`kMaxRcvStr`). */
export const GZ_MAX_DATAGRAM = 65535;

export const DISCOVERY_TYPES = ['UNINITIALIZED', 'ADVERTISE', 'SUBSCRIBE', 'UNADVERTISE', 'HEARTBEAT', 'BYE', 'NEW_CONNECTION', 'END_CONNECTION'] as const;
export type DiscoveryType = (typeof DISCOVERY_TYPES)[number];
export type GzScope = 'PROCESS' | 'HOST' | 'ALL';

/** A message publisher as announced (ADVERTISE/UNADVERTISE) or a subscriber's registration (NEW/END_CONNECTION). */
export interface MsgPublisherInfo {
  readonly ctrl: string;
  readonly msgType: string;
  readonly throttled: boolean;
  /** uint64; Gazebo sends 2^64 − 1 (`kUnthrottled`) for an unthrottled publisher. */
  readonly msgsPerSec: bigint;
}

/** A service responder as announced on the service discovery port. */
export interface SrvPublisherInfo {
  readonly socketId: string;
  readonly requestType: string;
  readonly responseType: string;
}

export interface DiscoveryPublisher {
  /** Fully qualified topic, `@/partition@/topic`. */
  readonly topic: string;
  /** ZeroMQ endpoint: the PUB socket (messages) or the replier ROUTER (services), `tcp://ip:port`. */
  readonly address: string;
  readonly processUuid: string;
  readonly nodeUuid: string;
  readonly scope: GzScope;
  readonly msg?: MsgPublisherInfo;
  readonly srv?: SrvPublisherInfo;
}

export interface DiscoveryPacket {
  readonly version: number;
  readonly processUuid: string;
  readonly type: DiscoveryType;
  readonly flags?: { readonly relay: boolean; readonly noRelay: boolean };
  readonly sub?: { readonly topic: string };
  readonly pub?: DiscoveryPublisher;
}

export type DiscoveryErrorCode = 'GZ.DISCOVERY_SHORT' | 'GZ.DISCOVERY_LENGTH' | 'GZ.DISCOVERY_DECODE' | 'GZ.DISCOVERY_INVALID' | 'GZ.DISCOVERY_TOO_LARGE';

const TYPE = 'ignition.msgs.Discovery';

const PublisherSchema = z.object({
  topic: z.string(),
  address: z.string(),
  process_uuid: z.string(),
  node_uuid: z.string(),
  scope: z.enum(['PROCESS', 'HOST', 'ALL']),
  msg_pub: z.object({ ctrl: z.string(), msg_type: z.string(), throttled: z.boolean(), msgs_per_sec: z.string().regex(/^\d+$/) }).nullish(),
  srv_pub: z.object({ socket_id: z.string(), request_type: z.string(), response_type: z.string() }).nullish(),
});

const DecodedSchema = z.object({
  version: z.number().int().nonnegative(),
  process_uuid: z.string(),
  type: z.enum(DISCOVERY_TYPES),
  flags: z.object({ relay: z.boolean(), no_relay: z.boolean() }).nullish(),
  sub: z.object({ topic: z.string() }).nullish(),
  pub: PublisherSchema.nullish(),
});

/** Encodes one datagram. Only a body over 65533 bytes fails (`GZ.DISCOVERY_TOO_LARGE`). */
export function encodeDiscovery(msgs: GzMessages, p: DiscoveryPacket): Result<Buffer, DiscoveryErrorCode> {
  const obj: Record<string, unknown> = { version: p.version, process_uuid: p.processUuid, type: p.type };
  if (p.flags) obj.flags = { relay: p.flags.relay, no_relay: p.flags.noRelay };
  if (p.sub) obj.sub = { topic: p.sub.topic };
  if (p.pub) {
    const pub: Record<string, unknown> = {
      topic: p.pub.topic,
      address: p.pub.address,
      process_uuid: p.pub.processUuid,
      node_uuid: p.pub.nodeUuid,
      scope: p.pub.scope,
    };
    if (p.pub.msg) pub.msg_pub = { ctrl: p.pub.msg.ctrl, msg_type: p.pub.msg.msgType, throttled: p.pub.msg.throttled, msgs_per_sec: p.pub.msg.msgsPerSec.toString() };
    if (p.pub.srv) pub.srv_pub = { socket_id: p.pub.srv.socketId, request_type: p.pub.srv.requestType, response_type: p.pub.srv.responseType };
    obj.pub = pub;
  }
  const body = msgs.encode(TYPE, obj);
  if (!body.ok) return fail('GZ.DISCOVERY_INVALID', body.error.message, { cause: body.error });
  if (body.value.length + 2 > GZ_MAX_DATAGRAM) return fail('GZ.DISCOVERY_TOO_LARGE', `discovery body of ${body.value.length} bytes exceeds ${GZ_MAX_DATAGRAM - 2}`);
  const out = Buffer.allocUnsafe(body.value.length + 2);
  out.writeUInt16LE(body.value.length, 0);
  out.set(body.value, 2);
  return ok(out);
}

/**
 * Decodes one datagram. Any malformed input is a failure value with the reason; nothing throws.
 * The wire version is returned, not checked: the caller drops other versions (as Gazebo does).
 */
export function decodeDiscovery(msgs: GzMessages, datagram: Uint8Array): Result<DiscoveryPacket, DiscoveryErrorCode> {
  if (datagram.length < 2) return fail('GZ.DISCOVERY_SHORT', `datagram of ${datagram.length} bytes has no length field`);
  const len = datagram[0]! | (datagram[1]! << 8);
  if (len + 2 !== datagram.length) {
    return fail('GZ.DISCOVERY_LENGTH', `length field says ${len} body bytes, datagram carries ${datagram.length - 2}`, { context: { len, received: datagram.length } });
  }
  const decoded = msgs.decode(TYPE, datagram.subarray(2), { longs: 'string' });
  if (!decoded.ok) return fail('GZ.DISCOVERY_DECODE', decoded.error.message, { cause: decoded.error.cause });
  const parsed = DecodedSchema.safeParse(decoded.value);
  if (!parsed.success) return fail('GZ.DISCOVERY_INVALID', `discovery message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const d = parsed.data;
  const needsPub = d.type === 'ADVERTISE' || d.type === 'UNADVERTISE' || d.type === 'NEW_CONNECTION' || d.type === 'END_CONNECTION';
  if (needsPub && !d.pub) return fail('GZ.DISCOVERY_INVALID', `${d.type} without publisher information`);
  if (d.type === 'SUBSCRIBE' && !d.sub) return fail('GZ.DISCOVERY_INVALID', 'SUBSCRIBE without subscriber information');
  const packet: DiscoveryPacket = {
    version: d.version,
    processUuid: d.process_uuid,
    type: d.type,
    ...(d.flags ? { flags: { relay: d.flags.relay, noRelay: d.flags.no_relay } } : {}),
    ...(d.sub ? { sub: { topic: d.sub.topic } } : {}),
    ...(d.pub
      ? {
          pub: {
            topic: d.pub.topic,
            address: d.pub.address,
            processUuid: d.pub.process_uuid,
            nodeUuid: d.pub.node_uuid,
            scope: d.pub.scope,
            ...(d.pub.msg_pub ? { msg: { ctrl: d.pub.msg_pub.ctrl, msgType: d.pub.msg_pub.msg_type, throttled: d.pub.msg_pub.throttled, msgsPerSec: BigInt(d.pub.msg_pub.msgs_per_sec) } } : {}),
            ...(d.pub.srv_pub ? { srv: { socketId: d.pub.srv_pub.socket_id, requestType: d.pub.srv_pub.request_type, responseType: d.pub.srv_pub.response_type } } : {}),
          },
        }
      : {}),
  };
  return ok(packet);
}
