import type { Clock } from '../clock.ts';

/**
 * Sleep on the injected clock, ending early (resolving `false`) when any signal aborts.
 * Never rejects: callers check their own signal afterwards. Works with clocks whose `sleep`
 * ignores signals (FakeClock) by also listening itself. Thousands of these are pending at once
 * in a large run, so it allocates no AbortController of its own when given one signal.
 */
export function sleepOrAbort(clock: Clock, ms: number, ...signals: Array<AbortSignal | undefined>): Promise<boolean> {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  if (live.some((s) => s.aborted)) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  const signal = live.length === 0 ? undefined : live.length === 1 ? live[0] : AbortSignal.any(live);
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const finish = (value: boolean) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => finish(false);
    signal?.addEventListener('abort', onAbort, { once: true });
    clock.sleep(ms, signal).then(
      () => finish(true),
      () => finish(false),
    );
  });
}
