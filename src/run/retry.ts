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

/** Before anything is known about a model's real render time, the first poll comes no later than this. */
export const FIRST_PROBE_MS = 2_000;
const MAX_POLL_DELAY_MS = 10 * 60_000;

export interface PollPlanInput {
  /** Number of the status request about to be scheduled (1-based). */
  poll: number;
  /** The provider's poll-after hint from its last answer, if any. */
  hintMs?: number;
  /** Time since the task was created. */
  elapsedMs: number;
  /** Render time learned from tasks of the same kind finished in this run. */
  estimateMs?: number;
  /** The catalog's typical render time. */
  catalogMs: number;
  rng?: Rng;
  /** Longest gap between polls without a hint. Default 30 s. */
  capMs?: number;
}

/**
 * Delay before the next status request. Polling before a task can be done only burns the poll
 * budget, so once this run has seen tasks of the same kind finish, polls aim just after the
 * expected completion; a provider hint is a floor (never earlier than asked). Before any task has
 * finished, the first poll probes early (catalog render times are rough and can be minutes off),
 * then backs off from a quarter of the expected render time with jitter.
 */
export function pollPlan(i: PollPlanInput): number {
  const rng = i.rng ?? Math.random;
  const remaining = i.estimateMs !== undefined ? i.estimateMs * (1 + 0.1 * rng()) - i.elapsedMs : undefined;
  if (i.hintMs !== undefined && Number.isFinite(i.hintMs) && i.hintMs >= 0) {
    return Math.round(Math.min(MAX_POLL_DELAY_MS, Math.max(i.hintMs, 50, remaining ?? 0)));
  }
  if (remaining !== undefined && remaining > 0) return Math.round(Math.min(MAX_POLL_DELAY_MS, remaining));
  if (i.poll <= 1 && i.estimateMs === undefined) return Math.round(Math.max(0, Math.min(i.catalogMs, FIRST_PROBE_MS) - i.elapsedMs));
  const base = Math.max(500, (i.estimateMs ?? i.catalogMs) / 4);
  const step = base * 1.5 ** Math.max(0, i.poll - 2);
  return Math.round(Math.min(i.capMs ?? 30_000, step) * (0.8 + 0.4 * rng()));
}

/** Fold one observed render time into the running estimate (EWMA: recent tasks weigh more). */
export function updateEstimate(prev: number | undefined, observedMs: number): number {
  return prev === undefined ? observedMs : prev * 0.7 + observedMs * 0.3;
}
