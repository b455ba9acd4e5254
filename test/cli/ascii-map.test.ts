import { describe, expect, it } from 'vitest';
import { renderMap } from '../../cli/ascii-map.js';

describe('ascii map', () => {
  it('puts north up and east right, draws the fence, paths, homes and vehicles', () => {
    const fence = [
      { north_m: 0, east_m: 0 },
      { north_m: 100, east_m: 0 },
      { north_m: 100, east_m: 200 },
      { north_m: 0, east_m: 200 },
    ];
    const out = renderMap({
      width: 41,
      height: 13,
      fence,
      vehicles: [
        { glyph: 'A', position: { north_m: 90, east_m: 190 }, trail: [], path: [], home: { north_m: 10, east_m: 10 } },
      ],
    });
    const rows = out.split('\n');
    expect(rows).toHaveLength(14);
    const rowOf = (ch: string) => rows.findIndex((r) => r.includes(ch));
    const colOf = (ch: string) => rows[rowOf(ch)]!.indexOf(ch);
    expect(rowOf('A')).toBeLessThan(rowOf('H')); // A is north of home
    expect(colOf('A')).toBeGreaterThan(colOf('H')); // and east of it
    expect(rows.filter((r) => r.includes('#')).length).toBeGreaterThan(3);
    expect(rows.at(-1)).toMatch(/^N↑ {2}1 column ≈ [\d.]+ m/);
  });

  it('draws nothing when there is nothing to draw', () => {
    expect(renderMap({ width: 40, height: 10, vehicles: [] })).toBe('');
  });
});
