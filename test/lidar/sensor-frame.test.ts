/**
 * Sensor → body → NED → WGS84 conventions (core/sensors/sensor-frame.ts).
 */
import { describe, expect, it } from 'vitest';
import { LocalFrame, haversine_m } from '../../core/geo.js';
import { SensorFrameTransform, bodyToNed, apply3, sensorToBody } from '../../core/sensors/sensor-frame.js';
import { ORIGIN } from './lidar-fixtures.js';

const close = (a: number[], b: number[], digits = 9) => a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, digits));

describe('sensor frame transforms', () => {
  it('Ouster FLU with a zero mount: x forward, y left, z up in body FRD', () => {
    const m = sensorToBody();
    close(apply3(m, 1, 0, 0), [1, 0, 0]);
    close(apply3(m, 0, 1, 0), [0, -1, 0]); // left = −right
    close(apply3(m, 0, 0, 1), [0, 0, -1]); // up = −down
  });

  it('vehicle yaw 90° (facing east): body forward is east', () => {
    close(apply3(bodyToNed({ roll: 0, pitch: 0, yaw: 90 }), 1, 0, 0), [0, 1, 0]);
    // Pitch up 10°: forward points up (negative down).
    const p = apply3(bodyToNed({ roll: 0, pitch: 10, yaw: 0 }), 1, 0, 0);
    expect(p[2]).toBeCloseTo(-Math.sin((10 * Math.PI) / 180), 9);
  });

  it('a mount pitched −90° turns the sensor x axis down (nadir)', () => {
    close(apply3(sensorToBody({ roll: 0, pitch: -90, yaw: 0 }), 1, 0, 0), [0, 0, 1]);
  });

  it('points to local NED and WGS84 from a pose', () => {
    const frame = new LocalFrame(ORIGIN);
    const pose = { position: frame.toGeo({ north_m: 100, east_m: 50, down_m: -30 }), attitude_deg: { roll: 0, pitch: 0, yaw: 90 } };
    const t = new SensorFrameTransform(pose, undefined, frame);
    // 10 m ahead of a vehicle facing east, 30 m down: ground point 10 m east of it.
    close(t.toNed(10, 0, -30), [100, 60, 0], 5);
    const g = t.toGeo(10, 0, -30);
    expect(g.alt_m).toBeCloseTo(ORIGIN.alt_m, 6);
    expect(haversine_m(g, frame.toGeo({ north_m: 100, east_m: 60, down_m: 0 }))).toBeLessThan(1e-3);
    const many = t.pointsToNed(new Float32Array([10, 0, -30, 1, 0, 5, 0, 9]));
    close([...many], [100, 60, 0, 105, 50, -30], 5); // y = 5 m left of a vehicle facing east: 5 m north
  });
});
