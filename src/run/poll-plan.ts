/**
 * When to ask about a task next, as a pure function: every status request spent before a task can be
 * done is wasted poll budget, and every one spent long after delays the run. Polls aim just after the
 * expected completion (the catalog's render time for the job, then the times learned in this run); a
 * provider's poll-after hint is a floor, never a schedule. A task later than expected is asked again
 * in proportion to how long it has already taken, so a render ten times slower than expected costs a
 * handful of polls, not hundreds.
 */
import type { Rng } from './retry.ts';

const MAX_POLL_DELAY_MS = 10 * 60_000;
/** A task later than expected is asked again after this share of its age. */
const OVERDUE_SHARE = 0.25;
const MIN_GAP_MS = 250;

export interface PollPlanInput {
  /** Number of the status request about to be scheduled (1-based). */
  poll: number;
  /** The provider's poll-after hint from its last answer, if any. */
  hintMs?: number;
  /** Time since the task was created. */
  elapsedMs: number;
  /** Render time learned from tasks of the same kind finished in this run. */
  estimateMs?: number;
  /** The catalog's typical render time for this job. */
  catalogMs: number;
  rng?: Rng;
  /**
   * This task probes early (a few tasks do): at 2 s, 4 s, 8 s … while nothing is learned, else once at
   * half the estimate; renders faster than expected are noticed that way, since a task found done at
   * its first look only says "no later than now".
   */
  probe?: boolean;
}

/** Before anything is learned, a probing task looks at 2 s, 4 s, 8 s … (catalog times can be far off). */
export const FIRST_PROBE_MS = 2_000;

/** When a probing task looks: doubling from 2 s while nothing is learned, else once at half the estimate. */
function probeTime(poll: number, elapsedMs: number, estimateMs: number | undefined): number | undefined {
  if (estimateMs === undefined) {
    let at = FIRST_PROBE_MS;
    while (at <= elapsedMs) at *= 2;
    return at;
  }
  return poll <= 1 ? estimateMs / 2 : undefined;
}

export function pollPlan(i: PollPlanInput): number {
  const rng = i.rng ?? Math.random;
  const expected = i.estimateMs ?? i.catalogMs;
  let aim: number;
  const probeAt = i.probe ? probeTime(i.poll, i.elapsedMs, i.estimateMs) : undefined;
  if (probeAt !== undefined && probeAt < expected && i.elapsedMs < probeAt) {
    aim = probeAt - i.elapsedMs;
  } else {
    // Just after the expected completion, with a little spread so a wave of tasks is not asked at once.
    const due = expected * (1.03 + 0.04 * rng()) + 25;
    aim = i.elapsedMs < due ? due - i.elapsedMs : Math.max(MIN_GAP_MS, OVERDUE_SHARE * i.elapsedMs * (0.9 + 0.2 * rng()));
  }
  const hint = i.hintMs !== undefined && Number.isFinite(i.hintMs) && i.hintMs >= 0 ? i.hintMs : 0;
  return Math.round(Math.min(MAX_POLL_DELAY_MS, Math.max(aim, hint, 50)));
}

/**
 * Fold one finished task into the render-time estimate. `notDoneAtMs` is the age at which it was last
 * seen unfinished: with it the completion is bracketed (a real observation, EWMA: recent tasks weigh
 * more); without it, done at the first look says only "no later than `doneAtMs`", which lowers the
 * estimate when it is below it (at once when far below) and says nothing otherwise.
 */
export function updateEstimate(prev: number | undefined, doneAtMs: number, notDoneAtMs?: number): number | undefined {
  if (notDoneAtMs !== undefined) {
    const observed = (notDoneAtMs + doneAtMs) / 2;
    return prev === undefined ? observed : prev * 0.7 + observed * 0.3;
  }
  if (prev === undefined || doneAtMs >= prev) return prev;
  return doneAtMs < 0.7 * prev ? doneAtMs : prev * 0.7 + doneAtMs * 0.3;
}
