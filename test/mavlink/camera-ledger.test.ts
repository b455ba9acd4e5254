/**
 * The image-index bookkeeping behind missed-image recovery (hardware/real/mavlink/camera/image-ledger.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageLedger, MAX_RECOVERY_ATTEMPTS, MAX_RECOVERY_BATCH } from '../../hardware/real/mavlink/camera/image-ledger.js';

describe('ImageLedger', () => {
  it('a gap is asked for in turn, recovered when it comes, given up after the attempts', () => {
    const l = new ImageLedger();
    expect(l.arrive(0)).toBe(true);
    expect(l.arrive(3)).toBe(true);
    expect(l.next()).toEqual({ kind: 'request', index: 1 });
    expect(l.next()).toEqual({ kind: 'request', index: 2 });
    expect(l.arrive(1)).toBe(true);
    expect(l.recovered).toBe(1);
    expect(l.arrive(1)).toBe(false); // duplicate
    for (let k = 1; k < MAX_RECOVERY_ATTEMPTS; k++) expect(l.next()).toEqual({ kind: 'request', index: 2 });
    expect(l.next()).toEqual({ kind: 'lost', index: 2 });
    expect(l.next()).toBeUndefined();
    expect(l.arrive(2)).toBe(false); // given up: a very late copy is not a new image
  });

  it('an image count ahead of what we heard opens a gap; an image merely in flight is not "recovered"', () => {
    const l = new ImageLedger();
    l.arrive(0);
    l.counted(3);
    expect(l.missingCount).toBe(2);
    l.arrive(1);
    l.arrive(2);
    expect(l.recovered).toBe(0);
    expect(l.next()).toBeUndefined();
  });

  it('never tracks more than the batch below a jump, and every index ends heard or lost (property)', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 60 }), (indices) => {
      const l = new ImageLedger();
      const heard = new Set<number>();
      for (const i of indices) if (l.arrive(i)) heard.add(i);
      expect(l.missingCount).toBeLessThanOrEqual(MAX_RECOVERY_BATCH * indices.length);
      const lost = new Set<number>();
      let steps = 0;
      for (let s = l.next(); s; s = l.next()) {
        if (s.kind === 'lost') lost.add(s.index);
        expect(heard.has(s.index)).toBe(false);
        expect(++steps).toBeLessThan(100_000);
      }
      for (const i of lost) expect(heard.has(i)).toBe(false);
    }));
  });
});
