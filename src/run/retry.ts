/**
 * Retry and poll schedules as pure functions of (attempt, hint) → delay in ms. Nothing here sleeps:
 * the executor sleeps on its injected clock, and tests read the schedules directly.
 */

/** Random source in [0, 1). Injected so schedules are reproducible in tests. */
export type Rng = () => number;

export interface BackoffOptions {
  /** First retry's ceiling before jitter. Default 500 ms. */
  baseMs?: number;
  /** No delay exceeds this (unless the server asked for longer). Default 30 s. */
  capMs?: number;
  rng?: Rng;
}

/** Transient failures are retried at most this many times per phase (submit, download). */
export const MAX_TRANSIENT_ATTEMPTS = 6;
/** 429s are the server pacing us, not failures; still bounded so a misbehaving server cannot spin us forever. */
export const MAX_THROTTLED_ATTEMPTS = 40;

/**
 * Exponential backoff with full jitter (AWS style): uniform in [0, min(cap, base·2^(attempt-1))].
 * A server hint (Retry-After) is a floor: we never come back earlier than the server asked.
 * `attempt` is 1-based (the delay before retry number `attempt`).
 */
export function backoffDelay(attempt: number, hintMs?: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const cap = opts.capMs ?? 30_000;
  const rng = opts.rng ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(rng() * ceiling);
  return hintMs !== undefined && hintMs > 0 ? Math.max(hintMs, jittered) : jittered;
}

/** The schedule of delays for attempts 1..n, for tests and docs. */
export function backoffSchedule(n: number, opts: BackoffOptions = {}): number[] {
  return Array.from({ length: n }, (_, i) => backoffDelay(i + 1, undefined, opts));
}
