/**
 * A clock that runs `scale` times faster than the wall clock, for benchmarks whose renders would take
 * minutes: the emulator (in its own process) and the client share the epoch and the scale, so a 120 s
 * render takes 12 s of real time at scale 10 and every schedule (polls, Retry-After) shrinks alike.
 */
import type { Clock } from '../src/clock.ts';

export function scaledClock(scale: number, epoch: number): Clock {
  return {
    now: () => epoch + (Date.now() - epoch) * scale,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        const timer = setTimeout(
          () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          Math.max(0, ms / scale),
        );
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
