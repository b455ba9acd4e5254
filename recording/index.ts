/**
 * Recording and replay: the twin's bus, event log, images and point clouds into an MCAP file
 * Foxglove opens (`McapRecorder`), and back onto a bus for the bridge (`readRecording`,
 * `createReplayTwin`, `replayMessages`).
 */
export { McapRecorder, type BlobSource, type McapRecorderOptions, type RecordingErrorCode, type RecordingSummary } from './mcap-recorder.js';
export { readRecording, parseRecording, type Recording, type RecordedMessage, type RecordingReadErrorCode } from './mcap-reader.js';
export { createReplayTwin, type ReplayTwin } from './replay-twin.js';
export { replayMessages, ReplayClock, type ReplayOptions, type ReplayOutcome } from './replayer.js';
export { RecordingBlobBuffer, type RecordingBlobBufferOptions } from './blob-buffer.js';
export { SyncMcapWriter, type SyncMcapWriterOptions } from './mcap-sync-writer.js';
export { BUS_TOPIC_KEY, FOXGLOVE, TWIN } from './foxglove-schemas.js';
export type { ChunkCompression } from './mcap-file.js';
