/**
 * MAVLink message classes node-mavlink (mavlink-mappings 1.0.21) lacks: the events interface
 * (EVENT 410, CURRENT_EVENT_SEQUENCE 411, REQUEST_EVENT 412, RESPONSE_EVENT_ERROR 413) and
 * COMPONENT_METADATA 397, declared the way node-mavlink declares its own (static MSG_ID,
 * MAGIC_NUMBER = CRC extra, PAYLOAD_LENGTH, FIELDS in wire order), so the codec's parser,
 * decode plans and node-mavlink's serialiser handle them like any other message.
 *
 * @remarks
 * Field layouts and CRC extras are computed from mavlink/mavlink `common.xml` (sorted by type
 * size, the MAVLink 2 wire order); the same computation reproduces node-mavlink's CRC extras for
 * FILE_TRANSFER_PROTOCOL (84) and COMPONENT_INFORMATION (0). {@link registerEventMessages} adds
 * the classes to the codec's shared {@link REGISTRY}; it runs when this module is first
 * imported, before any parser builds its message table (tables are built lazily, on the first
 * parser or decode), so links opened afterwards accept the frames. (node-mavlink lacks these
 * five messages; should it gain them, this module shrinks to the registration.)
 */
import { MavLinkData, MavLinkPacketField, type MavLinkPacketRegistry } from 'node-mavlink';
import { REGISTRY } from '../codec.js';

/** EVENT (410): one event of a component, by sequence number. */
export class EventMessage extends MavLinkData {
  static override MSG_ID = 410;
  static override MSG_NAME = 'EVENT';
  static override PAYLOAD_LENGTH = 53;
  static override MAGIC_NUMBER = 160;
  static override FIELDS = [
    new MavLinkPacketField('id', 'id', 0, false, 4, 'uint32_t', ''),
    new MavLinkPacketField('event_time_boot_ms', 'eventTimeBootMs', 4, false, 4, 'uint32_t', 'ms'),
    new MavLinkPacketField('sequence', 'sequence', 8, false, 2, 'uint16_t', ''),
    new MavLinkPacketField('destination_component', 'destinationComponent', 10, false, 1, 'uint8_t', ''),
    new MavLinkPacketField('destination_system', 'destinationSystem', 11, false, 1, 'uint8_t', ''),
    new MavLinkPacketField('log_levels', 'logLevels', 12, false, 1, 'uint8_t', ''),
    new MavLinkPacketField('arguments', 'arguments', 13, false, 1, 'uint8_t[]', '', 40),
  ];
  /** Event id: component id in the top 8 bits, the event's sub-id (name hash) below. */
  id = 0;
  /** Time since the sender booted when the event happened, ms. */
  eventTimeBootMs = 0;
  sequence = 0;
  destinationComponent = 0;
  destinationSystem = 0;
  /** Low nibble: external log level (0 emergency … 7 debug, 8 protocol, 9 disabled); high: internal. */
  logLevels = 0;
  /** 40 bytes of little-endian arguments, laid out by the event's metadata. */
  arguments: number[] = new Array<number>(40).fill(0);
}

/** CURRENT_EVENT_SEQUENCE (411): the sender's latest sequence, broadcast periodically. */
export class CurrentEventSequence extends MavLinkData {
  static override MSG_ID = 411;
  static override MSG_NAME = 'CURRENT_EVENT_SEQUENCE';
  static override PAYLOAD_LENGTH = 3;
  static override MAGIC_NUMBER = 106;
  static override FIELDS = [
    new MavLinkPacketField('sequence', 'sequence', 0, false, 2, 'uint16_t', ''),
    new MavLinkPacketField('flags', 'flags', 2, false, 1, 'uint8_t', ''),
  ];
  sequence = 0;
  /** MAV_EVENT_CURRENT_SEQUENCE_FLAGS: 1 = RESET (the sender rebooted). */
  flags = 0;
}

/** REQUEST_EVENT (412): asks for events first..last (inclusive, may wrap) to be resent. */
export class RequestEvent extends MavLinkData {
  static override MSG_ID = 412;
  static override MSG_NAME = 'REQUEST_EVENT';
  static override PAYLOAD_LENGTH = 6;
  static override MAGIC_NUMBER = 33;
  static override FIELDS = [
    new MavLinkPacketField('first_sequence', 'firstSequence', 0, false, 2, 'uint16_t', ''),
    new MavLinkPacketField('last_sequence', 'lastSequence', 2, false, 2, 'uint16_t', ''),
    new MavLinkPacketField('target_system', 'targetSystem', 4, false, 1, 'uint8_t', ''),
    new MavLinkPacketField('target_component', 'targetComponent', 5, false, 1, 'uint8_t', ''),
  ];
  firstSequence = 0;
  lastSequence = 0;
  targetSystem = 0;
  targetComponent = 0;
}

/** RESPONSE_EVENT_ERROR (413): a requested event is no longer available. */
export class ResponseEventError extends MavLinkData {
  static override MSG_ID = 413;
  static override MSG_NAME = 'RESPONSE_EVENT_ERROR';
  static override PAYLOAD_LENGTH = 7;
  static override MAGIC_NUMBER = 77;
  static override FIELDS = [
    new MavLinkPacketField('sequence', 'sequence', 0, false, 2, 'uint16_t', ''),
    new MavLinkPacketField('sequence_oldest_available', 'sequenceOldestAvailable', 2, false, 2, 'uint16_t', ''),
    new MavLinkPacketField('target_system', 'targetSystem', 4, false, 1, 'uint8_t', ''),
    new MavLinkPacketField('target_component', 'targetComponent', 5, false, 1, 'uint8_t', ''),
    new MavLinkPacketField('reason', 'reason', 6, false, 1, 'uint8_t', ''),
  ];
  sequence = 0;
  /** Oldest sequence still available after the requested one. */
  sequenceOldestAvailable = 0;
  targetSystem = 0;
  targetComponent = 0;
  /** MAV_EVENT_ERROR_REASON: 0 = UNAVAILABLE. */
  reason = 0;
}

/** COMPONENT_METADATA (397): the MAVLink-FTP URI and CRC of the general metadata file. */
export class ComponentMetadata extends MavLinkData {
  static override MSG_ID = 397;
  static override MSG_NAME = 'COMPONENT_METADATA';
  static override PAYLOAD_LENGTH = 108;
  static override MAGIC_NUMBER = 182;
  static override FIELDS = [
    new MavLinkPacketField('time_boot_ms', 'timeBootMs', 0, false, 4, 'uint32_t', 'ms'),
    new MavLinkPacketField('file_crc', 'fileCrc', 4, false, 4, 'uint32_t', ''),
    new MavLinkPacketField('uri', 'uri', 8, false, 1, 'char[]', '', 100),
  ];
  timeBootMs = 0;
  fileCrc = 0;
  uri = '';
}

/** The message ids above. */
export const EVENTS_MSG_ID = {
  COMPONENT_INFORMATION: 395, COMPONENT_METADATA: 397, EVENT: 410, CURRENT_EVENT_SEQUENCE: 411,
  REQUEST_EVENT: 412, RESPONSE_EVENT_ERROR: 413, FILE_TRANSFER_PROTOCOL: 110,
} as const;

/** The classes above by message id. */
export const EVENT_MESSAGES: MavLinkPacketRegistry = {
  [EventMessage.MSG_ID]: EventMessage,
  [CurrentEventSequence.MSG_ID]: CurrentEventSequence,
  [RequestEvent.MSG_ID]: RequestEvent,
  [ResponseEventError.MSG_ID]: ResponseEventError,
  [ComponentMetadata.MSG_ID]: ComponentMetadata,
} as unknown as MavLinkPacketRegistry;

/**
 * Adds the classes to `registry` (default: the codec's shared one). Idempotent. Must run
 * before the first parser over that registry is built (this module calls it on import).
 */
export function registerEventMessages(registry: MavLinkPacketRegistry = REGISTRY): void {
  const r = registry as unknown as Record<number, unknown>;
  for (const [id, clazz] of Object.entries(EVENT_MESSAGES)) if (r[Number(id)] === undefined) r[Number(id)] = clazz;
}

registerEventMessages();
