/** Turns ffmpeg's stderr statistics (`time=00:00:01.23`) into throttled `post.progress` events. */
import type { EventSink } from '../run/events.ts';

const TIME_RE = /time=\s*(-?\d+):(\d{2}):(\d{2}(?:\.\d+)?)/g;

/** The last `time=` value in a stderr chunk, in seconds, or undefined. */
export function lastProgressTime(chunk: string): number | undefined {
  let last: number | undefined;
  for (const m of chunk.matchAll(TIME_RE)) {
    const t = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    if (Number.isFinite(t) && t >= 0) last = t;
  }
  return last;
}

/**
 * An `onStderr` handler that emits `post.progress` as a fraction of `totalS`, at most every
 * `minIntervalMs` and only when the fraction moved, so a long encode does not flood the sink.
 */
export function progressReporter(opts: {
  events: EventSink;
  now: () => number;
  step: string;
  output: string;
  totalS: number;
  minIntervalMs?: number;
}): (chunk: string) => void {
  const minInterval = opts.minIntervalMs ?? 250;
  let lastAt = -Infinity;
  let lastFraction = -1;
  return (chunk) => {
    const t = lastProgressTime(chunk);
    if (t === undefined || opts.totalS <= 0) return;
    const fraction = Math.min(1, t / opts.totalS);
    const at = opts.now();
    if (fraction <= lastFraction || at - lastAt < minInterval) return;
    lastAt = at;
    lastFraction = fraction;
    opts.events({ kind: 'post.progress', at, step: opts.step, output: opts.output, fraction });
  };
}
