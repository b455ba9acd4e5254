/**
 * The sensor statechart (camera or LiDAR): what the twin believes about one sensor carried by a
 * vehicle, and what it asks of it.
 *
 * @remarks
 * Pure (STYLE §1): no port, socket, file or timer. The runtime binds the named actors
 * (`connect`, `capture`, `configure`, `startStreaming`, `stopStreaming`) to the sensor port with
 * `machine.provide(...)`, maps the port's events to `PORT.*` events, and reads `after` delays
 * from the clock given to `createActor`.
 *
 * ```
 * offline ─START→ initializing ─connected→ online.ready ⇄ online.capturing | configuring (camera)
 *                     ▲    │ failed / timeout         ⇄ online.startingStream → streaming → stoppingStream (LiDAR)
 *                     │    ▼
 *                     └── error ◄── link lost · health failed · sensor_failure · stream stopped
 * ```
 * `error` retries the connection after an exponential backoff (`retryBase_ms · 2^(n-1)`, capped
 * at `retryMax_ms`, n = consecutive failures, reset by a good connection). A LiDAR streams
 * whenever it is ready and streaming is wanted (`autoStream`, `STREAM.START`), so a recovered
 * LiDAR resumes streaming by itself. Requests (`CAPTURE`, `CONFIGURE`, `STREAM.*`) always get a
 * `*.result` with the request's `cid`: done, or refused with a dotted code (`SENSOR.BUSY`,
 * `SENSOR.NO_LINK`, `SENSOR.UNSUPPORTED`) without leaving the current state.
 */
import { assign, emit, fromPromise, setup } from 'xstate';

export type SensorMachineKind = 'camera' | 'lidar';
export type SensorHealthState = 'ok' | 'degraded' | 'failed' | 'offline';

export interface SensorRequestResult {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  /** Capture: the image index the camera gave it. */
  readonly index?: number;
}

export interface SensorInput {
  readonly vehicleId: string;
  readonly sensorId: string;
  readonly kind: SensorMachineKind;
  /** First retry delay after a failure, ms (default 1 000). */
  readonly retryBase_ms?: number;
  /** Longest retry delay, ms (default 30 000). */
  readonly retryMax_ms?: number;
  /** How long a connection attempt may take, ms (default 15 000). */
  readonly connectTimeout_ms?: number;
  /** LiDAR: stream as soon as the sensor is ready (default true). */
  readonly autoStream?: boolean;
}

export interface SensorContext {
  readonly vehicleId: string;
  readonly sensorId: string;
  readonly kind: SensorMachineKind;
  readonly retryBase_ms: number;
  readonly retryMax_ms: number;
  readonly connectTimeout_ms: number;
  /** Consecutive failed connections (or losses) since the last good connection. */
  failures: number;
  /** LiDAR: whether streaming is wanted (kept across errors, so recovery resumes it). */
  wantStream: boolean;
  /** Last health the port reported. */
  health: SensorHealthState;
  healthMessage?: string;
  /** Why the sensor is (or last was) in error. */
  lastError?: { code: string; message: string };
  /** Captures (camera) or scans (LiDAR) the port reported, and captures lost. */
  count: number;
  lost: number;
  model?: string;
  /** Correlation id of the request in flight (one at a time: the states refuse a second). */
  requestCid?: string;
  /** Settings of the CONFIGURE in flight. */
  settings?: Readonly<Record<string, number | string | boolean>>;
}

export type SensorMachineEvent =
  | { type: 'START' }
  | { type: 'STOP' }
  | { type: 'PORT.LINK'; up: boolean }
  | { type: 'PORT.HEALTH'; state: SensorHealthState; message?: string }
  | { type: 'PORT.STREAMING'; on: boolean }
  | { type: 'PORT.CAPTURE'; index: number }
  | { type: 'PORT.SCAN'; frame_id: number }
  | { type: 'PORT.CAPTURE_LOST'; index: number; reason: string }
  /** The port accepted an injected sensor_failure. */
  | { type: 'FAULT.FAILURE'; reason: string }
  | { type: 'CAPTURE'; cid?: string }
  | { type: 'CONFIGURE'; settings: Readonly<Record<string, number | string | boolean>>; cid?: string }
  | { type: 'STREAM.START'; cid?: string }
  | { type: 'STREAM.STOP'; cid?: string };

export type SensorEmitted =
  | { type: 'capture.result'; cid?: string; result: SensorRequestResult }
  | { type: 'configure.result'; cid?: string; result: SensorRequestResult }
  | { type: 'stream.result'; cid?: string; on: boolean; result: SensorRequestResult }
  | { type: 'sensor.error'; code: string; message: string; retryIn_ms: number; failures: number };

/** Input of every sensor side-effect actor. */
export interface SensorOpInput {
  readonly vehicleId: string;
  readonly sensorId: string;
  readonly settings?: Readonly<Record<string, number | string | boolean>>;
}

/** The code and text of a rejected actor (the runtime throws errors carrying `code`). */
export function sensorErrorOf(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : 'SENSOR.FAILED';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return { code, message };
}

/** The backoff before retry number `failures` (≥ 1), ms. */
export const retryDelay_ms = (c: Pick<SensorContext, 'retryBase_ms' | 'retryMax_ms' | 'failures'>): number =>
  Math.min(c.retryBase_ms * 2 ** Math.max(0, c.failures - 1), c.retryMax_ms);

/** The leaf state name, as reported on `/<vehicle>/<sensor>/health` (`ready`, `streaming`, `error` …). */
export function sensorStateName(value: unknown): string {
  let v = value;
  while (v && typeof v === 'object') v = Object.values(v as Record<string, unknown>)[0];
  return String(v);
}

/** Codes after which the sensor is taken to be gone (not merely refusing one request). */
const LOSS_CODES = new Set(['SENSOR.NO_LINK', 'SENSOR.FAILED', 'SENSOR.TIMEOUT', 'SENSOR.DISPOSED']);

const refused = (code: string, message: string): SensorRequestResult => ({ ok: false, code, message });

export const sensorMachine = setup({
  types: {
    context: {} as SensorContext,
    events: {} as SensorMachineEvent,
    input: {} as SensorInput,
    emitted: {} as SensorEmitted,
  },
  actors: {
    // Placeholders: the runtime provides the port-bound implementations.
    connect: fromPromiseStub<{ model: string }>(),
    capture: fromPromiseStub<{ index: number }>(),
    configure: fromPromiseStub<void>(),
    startStreaming: fromPromiseStub<void>(),
    stopStreaming: fromPromiseStub<void>(),
  },
  delays: {
    retry: ({ context }) => retryDelay_ms(context),
    connectTimeout: ({ context }) => context.connectTimeout_ms,
  },
  guards: {
    isCamera: ({ context }) => context.kind === 'camera',
    isLidar: ({ context }) => context.kind === 'lidar',
    streamWanted: ({ context }) => context.kind === 'lidar' && context.wantStream,
  },
  actions: {
    fail: assign(({ context }, p: { code: string; message: string }) => ({ lastError: p, failures: context.failures + 1 })),
    announceError: emit(({ context }) => ({
      type: 'sensor.error' as const,
      code: context.lastError?.code ?? 'SENSOR.FAILED',
      message: context.lastError?.message ?? '',
      retryIn_ms: retryDelay_ms(context),
      failures: context.failures,
    })),
  },
}).createMachine({
  id: 'sensor',
  context: ({ input }) => ({
    vehicleId: input.vehicleId,
    sensorId: input.sensorId,
    kind: input.kind,
    retryBase_ms: input.retryBase_ms ?? 1_000,
    retryMax_ms: input.retryMax_ms ?? 30_000,
    connectTimeout_ms: input.connectTimeout_ms ?? 15_000,
    failures: 0,
    wantStream: input.kind === 'lidar' && (input.autoStream ?? true),
    health: 'offline',
    count: 0,
    lost: 0,
  }),
  initial: 'offline',
  on: {
    STOP: '.offline',
    'PORT.HEALTH': { actions: assign({ health: ({ event }) => event.state, healthMessage: ({ event }) => event.message }) },
    'PORT.CAPTURE': { actions: assign({ count: ({ context }) => context.count + 1 }) },
    'PORT.SCAN': { actions: assign({ count: ({ context }) => context.count + 1 }) },
    'PORT.CAPTURE_LOST': { actions: assign({ lost: ({ context }) => context.lost + 1 }) },
    // Requests the current state does not take: refused, nothing changes.
    CAPTURE: { actions: emit(({ event, context }) => ({ type: 'capture.result' as const, cid: event.cid, result: refused('SENSOR.NO_LINK', `${context.sensorId} is not ready`) })) },
    CONFIGURE: { actions: emit(({ event, context }) => ({ type: 'configure.result' as const, cid: event.cid, result: refused('SENSOR.NO_LINK', `${context.sensorId} is not ready`) })) },
    'STREAM.START': [
      { guard: 'isLidar', actions: [assign({ wantStream: true }), emit(({ event }) => ({ type: 'stream.result' as const, cid: event.cid, on: true, result: { ok: true, message: 'streams once the sensor is ready' } }))] },
      { actions: emit(({ event }) => ({ type: 'stream.result' as const, cid: event.cid, on: true, result: refused('SENSOR.UNSUPPORTED', 'only a LiDAR streams') })) },
    ],
    'STREAM.STOP': [
      { guard: 'isLidar', actions: [assign({ wantStream: false }), emit(({ event }) => ({ type: 'stream.result' as const, cid: event.cid, on: false, result: { ok: true } }))] },
      { actions: emit(({ event }) => ({ type: 'stream.result' as const, cid: event.cid, on: false, result: refused('SENSOR.UNSUPPORTED', 'only a LiDAR streams') })) },
    ],
  },
  states: {
    offline: {
      entry: assign({ failures: 0 }),
      on: { START: 'initializing' },
    },
    initializing: {
      invoke: {
        src: 'connect',
        input: ({ context }) => ({ vehicleId: context.vehicleId, sensorId: context.sensorId }),
        onDone: { target: 'online', actions: assign({ failures: 0, model: ({ event }) => event.output.model }) },
        onError: { target: 'error', actions: { type: 'fail', params: ({ event }) => sensorErrorOf(event.error) } },
      },
      after: {
        connectTimeout: { target: 'error', actions: { type: 'fail', params: ({ context }) => ({ code: 'SENSOR.TIMEOUT', message: `no answer within ${context.connectTimeout_ms} ms` }) } },
      },
      on: {
        'FAULT.FAILURE': { target: 'error', actions: { type: 'fail', params: ({ event }) => ({ code: 'SENSOR.FAILED', message: event.reason }) } },
      },
    },
    online: {
      initial: 'ready',
      on: {
        'PORT.LINK': {
          guard: ({ event }) => !event.up,
          target: 'error',
          actions: { type: 'fail', params: () => ({ code: 'SENSOR.NO_LINK', message: 'link lost' }) },
        },
        'PORT.HEALTH': [
          {
            guard: ({ event }) => event.state === 'failed' || event.state === 'offline',
            target: 'error',
            actions: [
              assign({ health: ({ event }) => event.state, healthMessage: ({ event }) => event.message }),
              { type: 'fail', params: ({ event }) => ({ code: 'SENSOR.FAILED', message: `health ${event.state}${event.message ? `: ${event.message}` : ''}` }) },
            ],
          },
          { actions: assign({ health: ({ event }) => event.state, healthMessage: ({ event }) => event.message }) },
        ],
        'FAULT.FAILURE': { target: 'error', actions: { type: 'fail', params: ({ event }) => ({ code: 'SENSOR.FAILED', message: event.reason }) } },
        CAPTURE: { actions: emit(({ event, context }) => ({ type: 'capture.result' as const, cid: event.cid, result: refused(context.kind === 'camera' ? 'SENSOR.BUSY' : 'SENSOR.UNSUPPORTED', context.kind === 'camera' ? 'a request is in progress' : 'a LiDAR does not take captures') })) },
        CONFIGURE: { actions: emit(({ event }) => ({ type: 'configure.result' as const, cid: event.cid, result: refused('SENSOR.BUSY', 'a request is in progress') })) },
      },
      states: {
        ready: {
          always: { guard: 'streamWanted', target: 'startingStream' },
          on: {
            CAPTURE: { guard: 'isCamera', target: 'capturing', actions: assign({ requestCid: ({ event }) => event.cid }) },
            CONFIGURE: { target: 'configuring', actions: assign({ requestCid: ({ event }) => event.cid, settings: ({ event }) => event.settings }) },
          },
        },
        capturing: {
          invoke: {
            src: 'capture',
            input: ({ context }) => ({ vehicleId: context.vehicleId, sensorId: context.sensorId }),
            onDone: {
              target: 'ready',
              actions: emit(({ context, event }) => ({ type: 'capture.result' as const, cid: context.requestCid, result: { ok: true, index: event.output.index } })),
            },
            onError: [
              {
                guard: ({ event }) => LOSS_CODES.has(sensorErrorOf(event.error).code),
                target: '#sensor.error',
                actions: [
                  emit(({ context, event }) => ({ type: 'capture.result' as const, cid: context.requestCid, result: { ok: false, ...sensorErrorOf(event.error) } })),
                  { type: 'fail', params: ({ event }) => sensorErrorOf(event.error) },
                ],
              },
              { target: 'ready', actions: emit(({ context, event }) => ({ type: 'capture.result' as const, cid: context.requestCid, result: { ok: false, ...sensorErrorOf(event.error) } })) },
            ],
          },
        },
        configuring: {
          invoke: {
            src: 'configure',
            input: ({ context }) => ({
              vehicleId: context.vehicleId,
              sensorId: context.sensorId,
              settings: context.settings ?? {},
            }),
            onDone: { target: 'ready', actions: emit(({ context, event }) => ({ type: 'configure.result' as const, cid: context.requestCid, result: { ok: true } })) },
            onError: { target: 'ready', actions: emit(({ context, event }) => ({ type: 'configure.result' as const, cid: context.requestCid, result: { ok: false, ...sensorErrorOf(event.error) } })) },
          },
        },
        startingStream: {
          invoke: {
            src: 'startStreaming',
            input: ({ context }) => ({ vehicleId: context.vehicleId, sensorId: context.sensorId }),
            onDone: 'streaming',
            onError: { target: '#sensor.error', actions: { type: 'fail', params: ({ event }) => sensorErrorOf(event.error) } },
          },
          on: { 'PORT.STREAMING': { guard: ({ event }) => event.on, target: 'streaming' } },
        },
        streaming: {
          on: {
            'STREAM.STOP': { target: 'stoppingStream', actions: [assign({ wantStream: false }), emit(({ event }) => ({ type: 'stream.result' as const, cid: event.cid, on: false, result: { ok: true } }))] },
            'STREAM.START': { actions: emit(({ event }) => ({ type: 'stream.result' as const, cid: event.cid, on: true, result: { ok: true, message: 'already streaming' } })) },
            // The sensor stopped by itself: treat it as lost, reconnect and stream again.
            'PORT.STREAMING': {
              guard: ({ event }) => !event.on,
              target: '#sensor.error',
              actions: { type: 'fail', params: () => ({ code: 'SENSOR.FAILED', message: 'streaming stopped unexpectedly' }) },
            },
            CONFIGURE: { target: 'configuring', actions: assign({ requestCid: ({ event }) => event.cid, settings: ({ event }) => event.settings }) },
          },
        },
        stoppingStream: {
          invoke: {
            src: 'stopStreaming',
            input: ({ context }) => ({ vehicleId: context.vehicleId, sensorId: context.sensorId }),
            onDone: 'ready',
            onError: 'ready',
          },
          on: { 'PORT.STREAMING': {} },
        },
      },
    },
    error: {
      entry: 'announceError',
      after: { retry: 'initializing' },
      on: {
        'FAULT.FAILURE': { actions: assign({ lastError: ({ event }) => ({ code: 'SENSOR.FAILED', message: event.reason }) }) },
      },
    },
  },
});

function fromPromiseStub<T>() {
  return fromPromise<T, SensorOpInput>(async () => {
    throw Object.assign(new Error('sensor actor not provided'), { code: 'SENSOR.UNSUPPORTED' });
  });
}

export type SensorMachine = typeof sensorMachine;
