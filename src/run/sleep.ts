import type { Clock } from '../clock.ts';

/**
 * Sleep on the injected clock, ending early (resolving `false`) when any signal aborts.
 * Never rejects: callers check their own signal afterwards. Works with clocks whose `sleep`
 * ignores signals (FakeClock) by racing them.
 */
export function sleepOrAbort(clock: Clock, ms: number, ...signals: Array<AbortSignal | undefined>): Promise<boolean> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  if (live.some((s) => s.aborted)) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  const inner = new AbortController();
  return new Promise<boolean>((resolve) => {
    const onAbort = () => {
      cleanup();
      inner.abort();
      resolve(false);
    };
    const cleanup = () => {
      for (const s of live) s.removeEventListener('abort', onAbort);
    };
    for (const s of live) s.addEventListener('abort', onAbort, { once: true });
    clock.sleep(ms, inner.signal).then(
      () => {
        cleanup();
        resolve(true);
      },
      () => {
        cleanup();
        resolve(false);
      },
    );
  });
}
