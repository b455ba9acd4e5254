/**
 * Which image indices of a MAVLink camera we have heard, which are missing and how often each
 * was asked for again (MAVSDK's camera plugin does the same bookkeeping). Pure: no I/O, no clock.
 *
 * @remarks
 * A gap opens when an index arrives above the highest heard, or when CAMERA_CAPTURE_STATUS
 * counts more images than we heard; at most {@link MAX_RECOVERY_BATCH} indices below the new
 * highest are tracked (a camera that restarts at a high index must not flood the link). An index
 * asked for {@link MAX_RECOVERY_ATTEMPTS} times without answer is given up (lost).
 */
export const MAX_RECOVERY_ATTEMPTS = 3;
export const MAX_RECOVERY_BATCH = 32;

export type NextRecovery =
  | { readonly kind: 'request'; readonly index: number }
  | { readonly kind: 'lost'; readonly index: number };

export class ImageLedger {
  private readonly seen = new Set<number>();
  /** Missing index → requests sent so far (insertion order = oldest first). */
  private readonly missing = new Map<number, number>();
  private highest = -1;
  /** Images that arrived after having been asked for. */
  recovered = 0;

  /** Notes an arriving index; false when it was already heard (a duplicate: ignore it). */
  arrive(index: number): boolean {
    const asked = this.missing.get(index) ?? 0;
    this.missing.delete(index);
    if (this.seen.has(index)) return false;
    this.seen.add(index);
    // Only an image we asked for counts as recovered (a late one may just have been in flight).
    if (asked > 0) this.recovered++;
    if (index > this.highest) {
      this.gapUpTo(index);
      this.highest = index;
    }
    return true;
  }

  /** The camera says it took `count` images (indices 0…count-1). */
  counted(count: number): void {
    if (count - 1 > this.highest) this.gapUpTo(count);
  }

  /** The next recovery step: request an index, or give one up; undefined when nothing is missing. */
  next(): NextRecovery | undefined {
    const first = this.missing.entries().next();
    if (first.done) return undefined;
    const [index, attempts] = first.value;
    if (attempts >= MAX_RECOVERY_ATTEMPTS) {
      this.missing.delete(index);
      this.seen.add(index);
      return { kind: 'lost', index };
    }
    // Re-inserted at the end: indices are asked for in turn.
    this.missing.delete(index);
    this.missing.set(index, attempts + 1);
    return { kind: 'request', index };
  }

  get missingCount(): number {
    return this.missing.size;
  }

  /** Marks indices below `end` (and above the highest heard, ≤ the batch) missing. */
  private gapUpTo(end: number): void {
    for (let k = Math.max(this.highest + 1, end - MAX_RECOVERY_BATCH); k < end; k++) {
      if (!this.seen.has(k) && !this.missing.has(k)) this.missing.set(k, 0);
    }
  }
}
