/**
 * Storage: the embedded SQLite store, its repositories, the batched event-log sink and the
 * telemetry recorder, the blob store (filesystem or S3), its sensor sink and the capture index.
 */
export { openStore, dataDir, type Store, type StoreOptions } from './store.js';
export { migrate, schemaVersion, MIGRATIONS, type Migration } from './migrations.js';
export type { StoreErrorCode, StoreResult } from './errors.js';
export { ROLES, type Role, type UserRecord, type PublicUser } from './users.repository.js';
export type { MissionRecord, MissionFields, Waypoint, MissionParameters } from './missions.repository.js';
export type { RunRecord, RunSummary } from './runs.repository.js';
export type { StoredEntry, TelemetryRow } from './event-log.repository.js';
export type { VehicleSeen } from './vehicles.repository.js';
export { SavedMissionSchema, type SavedMission } from './mission-state.repository.js';
export { persistMissionState, restoreMissionState } from './mission-state.sink.js';
export { LocalBlobStore, type BlobMeta, type BlobErrorCode, type BlobStore, type LocalBlobStoreOptions } from './blob-store.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export { BlobConfigSchema, blobConfigFromEnv, parseBlobConfig, createBlobStore, type BlobConfig } from './blob-config.js';
export { createBlobSink } from './blob.sink.js';
export { announcedBlobReader, type AnnouncedBlobReader } from './blob-reader.js';
export { CapturesRepository, CaptureQuerySchema, type CaptureRecord, type CaptureQuery, type CaptureContext } from './captures.repository.js';
export { BatchWriter, type BatchWriterOptions } from './batch-writer.js';
export { createEventLogSink, attachEventLogSink, type EventLogSink, type EventLogSinkOptions } from './event-log.sink.js';
export { recordTelemetry, type TelemetryRecorder, type TelemetryRecorderOptions } from './telemetry.recorder.js';
export { storeScenarioRun } from './run-recorder.js';
