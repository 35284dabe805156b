/** Time enters logic only through this interface, so tests run on a fake clock without real sleeps. */
export interface Clock {
  now(): number; // epoch milliseconds
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A manual clock for tests: `sleep` resolves when `advance` moves time past its deadline. */
export class FakeClock implements Clock {
  private t: number;
  private waiters: Array<{ at: number; resolve: () => void }> = [];
  constructor(start = Date.UTC(2026, 10, 21)) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ at: this.t + Math.max(0, ms), resolve });
    });
  }
  /** Move time forward, waking every sleeper whose deadline has passed, in deadline order. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      this.waiters.sort((a, b) => a.at - b.at);
      const next = this.waiters[0];
      if (!next || next.at > target) break;
      this.waiters.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
      await new Promise((r) => setImmediate(r));
    }
    this.t = target;
  }
  get pending(): number {
    return this.waiters.length;
  }
}
