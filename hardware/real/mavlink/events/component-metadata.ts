/**
 * The component metadata protocol (https://mavlink.io/en/services/component_metadata.html), as
 * QGroundControl runs it (`ComponentInformationManager`, `CompInfoGeneral`): ask the autopilot
 * for COMPONENT_METADATA (MAV_CMD_REQUEST_MESSAGE 397; COMPONENT_INFORMATION 395 for older
 * firmware), download the general metadata file from its `mftp://` URI, find the
 * COMP_METADATA_TYPE_EVENTS (4) entry, download that file over MAVLink FTP, decompress it when
 * it is .xz, and parse it.
 *
 * @remarks
 * Only `mftp://` URIs are fetched: http(s) fallbacks would need the internet from the field
 * (not assumed). Every file is bounded (`maxFileBytes` compressed and decompressed). Failures
 * are results with METADATA.* / FTP.* codes.
 */
import { z } from 'zod';
import { fail, ok, type Result } from '../../../../core/result.js';
import type { CommandProtocol } from '../command-protocol.js';
import type { MavSession } from '../session.js';
import type { FtpClient } from '../ftp/ftp-client.js';
import { mavCrc32 } from '../ftp/ftp-payload.js';
import { ComponentMetadata, EVENTS_MSG_ID } from './event-messages.js';
import { parseEventsMetadata, type EventsMetadata } from './events-metadata.js';
import { decompressXz, isXz } from './xz.js';

/** COMP_METADATA_TYPE. */
export const COMP_METADATA_TYPE = { GENERAL: 0, PARAMETER: 1, COMMANDS: 2, PERIPHERALS: 3, EVENTS: 4, ACTUATORS: 5 } as const;

const MAV_CMD_REQUEST_MESSAGE = 512;

const GeneralMetadataSchema = z.object({
  version: z.literal(1),
  metadataTypes: z.array(z.object({
    type: z.number().int(),
    uri: z.string(),
    fileCrc: z.number().int().nonnegative().optional(),
    uriFallback: z.string().optional(),
    translationUri: z.string().optional(),
  })),
});
export type GeneralMetadata = z.infer<typeof GeneralMetadataSchema>;

export type ComponentMetadataErrorCode = 'METADATA.NOT_SUPPORTED' | 'METADATA.TIMEOUT' | 'METADATA.INVALID' | 'METADATA.XZ' | 'METADATA.TOO_LARGE' | 'METADATA.CRC_MISMATCH' | 'FTP.NAK' | 'FTP.TIMEOUT' | 'FTP.TOO_LARGE' | 'FTP.BAD_REPLY' | 'FTP.NO_LINK' | 'FTP.ABORTED' | 'FTP.BAD_PATH';

export interface FetchMetadataOptions {
  readonly session: MavSession;
  readonly commands: CommandProtocol;
  readonly ftp: FtpClient;
  /** Wait for COMPONENT_METADATA after the request is accepted, ms of autopilot time (default 3000). */
  readonly timeoutMs?: number;
  /** Largest metadata file, compressed or not (default 4 MiB). */
  readonly maxFileBytes?: number;
  readonly signal?: AbortSignal;
}

export interface EventsMetadataSource {
  readonly generalUri: string;
  readonly eventsUri: string;
  readonly metadata: EventsMetadata;
  /** Whether the file's CRC matched the general metadata's `fileCrc` (undefined: none given). */
  readonly crcOk: boolean | undefined;
}

/** Asks the autopilot where its general metadata is: the `mftp://` URI and its CRC. */
export async function requestGeneralMetadataUri(o: FetchMetadataOptions): Promise<Result<{ uri: string; crc: number }, ComponentMetadataErrorCode>> {
  const s = o.session;
  for (const msgid of [EVENTS_MSG_ID.COMPONENT_METADATA, EVENTS_MSG_ID.COMPONENT_INFORMATION]) {
    let got: { uri: string; crc: number } | undefined;
    let wake: (() => void) | undefined;
    const off = s.on(msgid, (m) => {
      got = m instanceof ComponentMetadata
        ? { uri: m.uri, crc: m.fileCrc }
        : { uri: String((m as unknown as { generalMetadataUri: string }).generalMetadataUri), crc: Number((m as unknown as { generalMetadataFileCrc: number }).generalMetadataFileCrc) };
      wake?.();
    });
    try {
      const r = await o.commands.send({ command: MAV_CMD_REQUEST_MESSAGE, params: [msgid, 0, 0, 0, 0, 0, 0] }, o.signal);
      if (!r.ok) {
        if (r.error.code === 'VEHICLE.TIMEOUT' || r.error.code === 'VEHICLE.NO_LINK') return fail('METADATA.TIMEOUT', `REQUEST_MESSAGE ${msgid}: ${r.error.message}`);
        continue; // DENIED/UNSUPPORTED: try the older message
      }
      if (!got) {
        await new Promise<void>((resolve) => {
          const cancel = s.after(s.ms(o.timeoutMs ?? 3000), () => resolve());
          wake = () => {
            cancel();
            resolve();
          };
        });
      }
      if (got && got.uri) return ok(got);
    } finally {
      off();
    }
  }
  return fail('METADATA.NOT_SUPPORTED', 'the autopilot answers neither COMPONENT_METADATA nor COMPONENT_INFORMATION');
}

/** Downloads one metadata file (mftp:// only) and decompresses it when it is .xz. */
export async function fetchMetadataFile(o: FetchMetadataOptions, uri: string, crc?: number): Promise<Result<{ text: string; crcOk: boolean | undefined }, ComponentMetadataErrorCode>> {
  if (!/^mftp:\/\//i.test(uri)) return fail('METADATA.NOT_SUPPORTED', `only mftp:// metadata is fetched (got ${uri.slice(0, 80)})`);
  const max = o.maxFileBytes ?? 4 * 1024 * 1024;
  const file = await o.ftp.download(uri, o.signal);
  if (!file.ok) return file;
  let crcOk = crc === undefined ? undefined : mavCrc32(file.value) === crc >>> 0;
  let bytes = file.value;
  if (isXz(bytes)) {
    const d = await decompressXz(bytes, max);
    if (!d.ok) return d;
    bytes = d.value;
    // PX4 announces the general file's CRC over its uncompressed JSON, the others' over the .xz.
    if (crcOk === false) crcOk = mavCrc32(bytes) === crc! >>> 0;
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return ok({ text, crcOk });
}

/** The whole chain: COMPONENT_METADATA → general metadata → events metadata. */
export async function fetchEventsMetadata(o: FetchMetadataOptions): Promise<Result<EventsMetadataSource, ComponentMetadataErrorCode>> {
  const where = await requestGeneralMetadataUri(o);
  if (!where.ok) return where;
  const general = await fetchMetadataFile(o, where.value.uri, where.value.crc || undefined);
  if (!general.ok) return general;
  let json: unknown;
  try {
    json = JSON.parse(general.value.text);
  } catch {
    return fail('METADATA.INVALID', 'general metadata is not JSON');
  }
  const g = GeneralMetadataSchema.safeParse(json);
  if (!g.success) return fail('METADATA.INVALID', `general metadata rejected: ${g.error.issues[0]?.path.join('.')}: ${g.error.issues[0]?.message}`);
  const entry = g.data.metadataTypes.find((t) => t.type === COMP_METADATA_TYPE.EVENTS);
  if (!entry) return fail('METADATA.NOT_SUPPORTED', 'the general metadata lists no events metadata');
  const uri = /^mftp:/i.test(entry.uri) ? entry.uri : entry.uriFallback && /^mftp:/i.test(entry.uriFallback) ? entry.uriFallback : entry.uri;
  const file = await fetchMetadataFile(o, uri, entry.fileCrc);
  if (!file.ok) return file;
  const meta = parseEventsMetadata(file.value.text);
  if (!meta.ok) return meta;
  return ok({ generalUri: where.value.uri, eventsUri: uri, metadata: meta.value, crcOk: file.value.crcOk });
}
