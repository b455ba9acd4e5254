/**
 * Reassembles rosbridge `fragment` ops sent by a client into the message they carry.
 *
 * @remarks
 * Pure and bounded: at most `maxMessages` partial messages per client and `maxBytes` of data
 * each, so a client cannot park memory here; fragments may come in any order and duplicates are
 * ignored. The joined text still goes through the parser (size, JSON, zod) like any frame.
 */
import type { FragmentRequest } from '../protocol.js';

export type AssembleResult =
  | { readonly state: 'partial' }
  | { readonly state: 'complete'; readonly text: string }
  | { readonly state: 'error'; readonly code: 'BRIDGE.INVALID_FIELDS' | 'BRIDGE.LIMIT' | 'BRIDGE.TOO_LARGE'; readonly message: string };

interface Partial {
  readonly parts: (string | undefined)[];
  received: number;
  bytes: number;
}

export class FragmentAssembler {
  private readonly partials = new Map<string, Partial>();

  constructor(
    private readonly maxBytes: number,
    private readonly maxMessages = 4,
  ) {}

  add(op: FragmentRequest): AssembleResult {
    if (op.num >= op.total) return { state: 'error', code: 'BRIDGE.INVALID_FIELDS', message: `fragment ${op.num} of ${op.total}` };
    let entry = this.partials.get(op.id);
    if (!entry) {
      if (this.partials.size >= this.maxMessages)
        return { state: 'error', code: 'BRIDGE.LIMIT', message: `at most ${this.maxMessages} fragmented messages in flight` };
      entry = { parts: new Array<string | undefined>(op.total).fill(undefined), received: 0, bytes: 0 };
      this.partials.set(op.id, entry);
    }
    if (entry.parts.length !== op.total) {
      this.partials.delete(op.id);
      return { state: 'error', code: 'BRIDGE.INVALID_FIELDS', message: `fragment total changed from ${entry.parts.length} to ${op.total}` };
    }
    if (entry.parts[op.num] !== undefined) return { state: 'partial' };
    entry.bytes += op.data.length;
    if (entry.bytes > this.maxBytes) {
      this.partials.delete(op.id);
      return { state: 'error', code: 'BRIDGE.TOO_LARGE', message: `fragmented message exceeds ${this.maxBytes} bytes` };
    }
    entry.parts[op.num] = op.data;
    entry.received++;
    if (entry.received < op.total) return { state: 'partial' };
    this.partials.delete(op.id);
    return { state: 'complete', text: entry.parts.join('') };
  }

  clear(): void {
    this.partials.clear();
  }
}
