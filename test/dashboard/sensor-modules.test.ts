/**
 * The page's sensor module (public/js/sensors.js) in Node: sensors found from the bridge's topic
 * list, health from DiagnosticStatus, images as data: URLs, capture markers from GET /captures
 * pages placed in the map frame; arbitrary input never throws and never produces a marker or an
 * image from junk.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LocalFrame } from '../../core/geo.js';
import { DEFAULT_HOME } from '../../actors/scenario/scenario.runner.js';

const load = async <T>(name: string): Promise<T> => (await import(new URL(`../../dashboard/public/js/${name}`, import.meta.url).href)) as T;

interface Sensor {
  key: string;
  vehicle: string;
  id: string;
  kind: 'camera' | 'lidar';
  health: { state: string; message: string; machine: string; count: number; lost: number } | null;
  image: { url: string; stamp_ms: number | null } | null;
  markers: { id: number; lat_deg: number; lon_deg: number }[];
  cursor: string | null;
}
interface State {
  list: Map<string, Sensor>;
  selected: string | null;
}
interface SensorsModule {
  createSensors(): State;
  discoverSensors(state: State, topics: unknown): Sensor[];
  sensorTopic(state: State, topic: unknown): { sensor: Sensor; kind: string } | null;
  applySensorStatus(sensor: Sensor, msg: unknown): boolean;
  applyImage(sensor: Sensor, msg: unknown): boolean;
  imageUrl(msg: unknown): string | null;
  addCaptures(sensor: Sensor, page: unknown): number;
  markerPoints(state: State, origin: unknown): { vehicle: string; sensor: string; x: number; y: number }[];
}

const m = await load<SensorsModule>('sensors.js');

const TOPICS = [
  '/drone1/pose',
  '/drone1/cam/status',
  '/drone1/cam/image_raw/compressed',
  '/drone1/cam/camera_info',
  '/drone1/ouster/status',
  '/drone1/ouster/points',
  '/drone1/other/status', // neither images nor points: not a sensor we show
  '/mission/status',
];

describe('dashboard sensors module', () => {
  it('finds cameras and LiDARs in the topic list, selects the first camera, routes their topics', () => {
    const s = m.createSensors();
    const added = m.discoverSensors(s, TOPICS);
    expect(added.map((x) => [x.key, x.kind])).toEqual([
      ['drone1/cam', 'camera'],
      ['drone1/ouster', 'lidar'],
    ]);
    expect(s.selected).toBe('drone1/cam');
    expect(m.discoverSensors(s, TOPICS)).toEqual([]);
    expect(m.sensorTopic(s, '/drone1/cam/image_raw/compressed')?.kind).toBe('image_raw/compressed');
    expect(m.sensorTopic(s, '/drone1/pose')).toBeNull();
    expect(m.sensorTopic(s, '/drone9/cam/status')).toBeNull();
  });

  it('health, images and markers from the bridge and API shapes', () => {
    const s = m.createSensors();
    m.discoverSensors(s, TOPICS);
    const cam = s.list.get('drone1/cam')!;
    expect(m.applySensorStatus(cam, { level: 2, name: 'drone1/cam', message: 'SENSOR.FAILED', values: [{ key: 'count', value: '4' }, { key: 'lost', value: '1' }, { key: 'machine_state', value: 'error' }] })).toBe(true);
    expect(cam.health).toEqual({ state: 'failed', message: 'SENSOR.FAILED', machine: 'error', count: 4, lost: 1 });
    expect(m.applyImage(cam, { header: { stamp: { sec: 12, nanosec: 5e8 } }, format: 'jpeg', data: 'AAEC' })).toBe(true);
    expect(cam.image).toMatchObject({ url: 'data:image/jpeg;base64,AAEC', stamp_ms: 12_500 });
    expect(m.imageUrl({ format: 'svg+xml"><script>', data: 'AAEC' })).toBe('data:image/jpeg;base64,AAEC');
    expect(m.imageUrl({ format: 'jpeg', data: '<script>' })).toBeNull();

    const frame = new LocalFrame(DEFAULT_HOME);
    const p = frame.toGeo({ north_m: 30, east_m: -10, down_m: 0 });
    const page = { items: [{ id: 7, index: 0, pose: { position: { lat_deg: p.lat_deg, lon_deg: p.lon_deg, alt_m: 500 } } }], end_cursor: 'bzox' };
    expect(m.addCaptures(cam, page)).toBe(1);
    expect(m.addCaptures(cam, page)).toBe(0);
    expect(cam.cursor).toBe('bzox');
    expect(m.markerPoints(s, null)).toEqual([]);
    const [pt] = m.markerPoints(s, { lat_deg: DEFAULT_HOME.lat_deg, lon_deg: DEFAULT_HOME.lon_deg });
    expect(pt!.x).toBeCloseTo(-10, 3);
    expect(pt!.y).toBeCloseTo(30, 3);
  });

  it('fast-check: arbitrary topics, messages and pages never throw and add nothing invalid', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom(...TOPICS)), { maxLength: 12 }), fc.anything(), fc.anything(), (topics, msg, page) => {
        const s = m.createSensors();
        m.discoverSensors(s, topics);
        m.discoverSensors(s, msg);
        for (const sensor of s.list.values()) {
          m.applySensorStatus(sensor, msg);
          m.applyImage(sensor, msg);
          m.addCaptures(sensor, page);
          for (const mk of sensor.markers) expect(Number.isFinite(mk.lat_deg) && Number.isFinite(mk.lon_deg)).toBe(true);
          if (sensor.image) expect(sensor.image.url.startsWith('data:image/')).toBe(true);
        }
        for (const pt of m.markerPoints(s, { lat_deg: 47, lon_deg: 8 })) expect(Number.isFinite(pt.x)).toBe(true);
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});
