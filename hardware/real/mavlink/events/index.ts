/**
 * The MAVLink events interface with its component metadata: PX4's reasons, in PX4's words.
 * See README.md beside this file.
 */
export { createEventsClient, type EventSeverity, type EventsClient, type EventsClientOptions, type OperatorEvent } from './events-client.js';
export {
  COMP_METADATA_TYPE, fetchEventsMetadata, fetchMetadataFile, requestGeneralMetadataUri,
  type ComponentMetadataErrorCode, type EventsMetadataSource, type FetchMetadataOptions,
} from './component-metadata.js';
export {
  ComponentMetadata, CurrentEventSequence, EVENT_MESSAGES, EVENTS_MSG_ID, EventMessage, RequestEvent, ResponseEventError, registerEventMessages,
} from './event-messages.js';
export { decodeArguments, displayValue, formatMessage, type EventArg } from './event-format.js';
export { EventReceiver, type EventReceiverOptions, type EventReceiverStats, type ReceivedEvent } from './event-receiver.js';
export { EventsMetadata, parseEventsMetadata, px4EventId, type EventDef, type EventInfo, type EventsMetadataJson } from './events-metadata.js';
export { HealthReportAssembler, checksForModeGroup, type HealthCheck, type HealthReport } from './health-report.js';
export { decompressXz, isXz } from './xz.js';
