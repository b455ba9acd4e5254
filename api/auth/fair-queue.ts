/**
 * A small fair scheduler for slow password work (scrypt): at most `concurrency` jobs run at
 * once and at most one per key (user name); waiting jobs are taken round-robin across keys, so
 * a burst of guesses against one account queues behind itself instead of in front of everybody
 * else's login.
 *
 * @remarks
 * scrypt at OWASP's cost takes ~0.3–0.8 s of one core; libuv's pool (4 threads) would otherwise
 * take jobs first come first served, and 20 parallel wrong passwords put a real login behind
 * all of them. Bounding concurrency also bounds memory (128 MiB per scrypt at N=2^17).
 */
export class FairQueue {
  private running = 0;
  private readonly busy = new Set<string>();
  /** Waiting jobs per key, in arrival order; `order` is the round-robin of keys with jobs. */
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly order: string[] = [];

  constructor(private readonly concurrency: number) {}

  /** Runs `job` when a slot is free and it is `key`'s turn. */
  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++;
        this.busy.add(key);
        job()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.busy.delete(key);
            this.next();
          });
      };
      if (this.running < this.concurrency && !this.busy.has(key) && !this.waiting.has(key)) return start();
      let q = this.waiting.get(key);
      if (!q) {
        q = [];
        this.waiting.set(key, q);
        this.order.push(key);
      }
      q.push(start);
    });
  }

  /** Jobs waiting (not running). */
  get pending(): number {
    let n = 0;
    for (const q of this.waiting.values()) n += q.length;
    return n;
  }

  private next(): void {
    while (this.running < this.concurrency) {
      const i = this.order.findIndex((k) => !this.busy.has(k));
      if (i < 0) return;
      const key = this.order.splice(i, 1)[0]!;
      const q = this.waiting.get(key)!;
      const start = q.shift()!;
      if (q.length) this.order.push(key);
      else this.waiting.delete(key);
      start();
    }
  }
}
