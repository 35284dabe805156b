/**
 * Following a task at the provider until it ends: polls paced by the provider's hints (or the
 * catalog's render time and a jittered backoff), inside the provider's poll budget; a callback
 * wakes the loop for an immediate status fetch, and polling becomes a slow safety net.
 */
import type { Job } from '../plan/types.ts';
import type { StatusOutcome } from '../providers/types.ts';
import { endReservation, renderKey, setState, wakerKey, type ProviderRuntime, type RunContext } from './context.ts';
import { backoffDelay, pollPlan, updateEstimate } from './retry.ts';
import { RetryLater, retrying } from './retrying.ts';
import { sleepOrAbort } from './sleep.ts';
import type { JobRecord } from './types.ts';

/** Give up following a task (it stays resumable) after this many status errors in a row. */
const MAX_STATUS_ERRORS = 12;
/** Consecutive not-found answers before a task is declared lost (creation may take a moment to show). */
const MAX_NOT_FOUND = 3;

export async function trackJob(ctx: RunContext, rt: ProviderRuntime, job: Job, start: JobRecord): Promise<JobRecord> {
  let rec = start;
  const task = rec.task;
  if (!task) return setState(ctx, rec, 'unknown', { error: { code: 'no_task', message: 'submitted without a task id' } });
  const catalogMs = Math.max(0, rt.binding.renderSeconds(job) * 1000);
  const kind = renderKey(job);
  const key = wakerKey(rt.name, task.id);
  const createdAt = rec.timings.submittedAt ?? ctx.clock.now();
  const plan = (poll: number, hintMs?: number) =>
    pollPlan({ poll, hintMs, elapsedMs: ctx.clock.now() - createdAt, estimateMs: ctx.renderEstimates.get(kind), catalogMs, rng: ctx.rng });
  let polls = 0;
  let notFound = 0;
  let lastNotDoneAt: number | undefined;
  /** Sleep before a status request; a callback can cut it short. False when the run is interrupted. */
  const wait = async (ms: number): Promise<boolean> => {
    const delayMs = ctx.callbackMode ? Math.max(ms, 3 * ms, 5_000) : ms;
    // A callback can cut the wait short (callback mode only: a controller per task is not free).
    let wake: AbortController | undefined;
    if (ctx.callbackMode) {
      const w = new AbortController();
      wake = w;
      ctx.wakers.set(key, () => w.abort());
    }
    // Only an interrupt stops following a task: a provider that stopped taking work (quota) has
    // still created, and billed, this one, and its result may expire if it is not fetched now.
    await sleepOrAbort(ctx.clock, delayMs, ctx.signal, wake?.signal);
    return !ctx.signal.aborted;
  };
  /** One status answer that moves the task on; status errors, throttles and early not-founds are retried. */
  const poll = () =>
    retrying<StatusOutcome | undefined>(
      async () => {
        if (!(await rt.limiter.acquirePoll(ctx.signal))) return undefined;
        ctx.stats.statusRequests++;
        polls++;
        const out = await rt.provider.status(rt.env, task, job);
        if (ctx.signal.aborted && (out.kind === 'transient' || out.kind === 'throttled')) return undefined;
        switch (out.kind) {
          case 'throttled':
            rt.limiter.pause('poll', out.retryAfterMs);
            ctx.emit({ kind: 'provider.throttled', at: ctx.clock.now(), provider: rt.provider.name, waitMs: out.retryAfterMs });
            throw new RetryLater(out.message, 'throttled', out.retryAfterMs, false);
          case 'transient':
            throw new RetryLater(out.message, 'transient', out.retryAfterMs);
          case 'not_found':
            // Creation may take a moment to show: only a few not-founds in a row mean the task is lost.
            if (++notFound >= MAX_NOT_FOUND) return out;
            throw new RetryLater(out.message, 'not_found', undefined, false);
          default:
            return out;
        }
      },
      {
        clock: ctx.clock,
        retries: MAX_STATUS_ERRORS,
        wait,
        delayMs: (f, n) =>
          f.kind === 'throttled'
            ? (f.hintMs ?? 0)
            : f.kind === 'transient'
              ? backoffDelay(n, f.hintMs, { rng: ctx.rng, baseMs: 1000 })
              : backoffDelay(notFound, undefined, { rng: ctx.rng, baseMs: 1000 }),
        onRetry: (f, n, delayMs) => {
          if (f.kind === 'transient') ctx.emit({ kind: 'job.retry', at: ctx.clock.now(), job: job.id, attempt: n, delayMs, reason: f.message });
        },
        onInterrupted: () => undefined,
        exhausted: (f) => {
          ctx.messages.push(`job ${job.id}: status keeps failing (${f.message}); left ${rec.state}, resume to continue`);
          return undefined;
        },
      },
    );
  // First poll: the create answer's hint, else when tasks like this one have been finishing.
  const hint = ctx.pollHints.get(job.id);
  ctx.pollHints.delete(job.id);
  let delay = plan(1, hint);
  try {
    for (;;) {
      if (!(await wait(delay))) return rec;
      const out = await poll();
      if (!out) return rec; // interrupted, or out of status retries: resumable as it is
      switch (out.kind) {
        case 'queued':
        case 'running':
          notFound = 0;
          lastNotDoneAt = ctx.clock.now();
          if (out.kind === 'running') {
            const progress = out.progress;
            if (rec.state === 'submitted') rec = await setState(ctx, rec, 'running', progress !== undefined ? { progress } : {});
            if (progress !== undefined && progress !== rec.progress) {
              rec = { ...rec, progress }; // progress is shown, not checkpointed: it is re-read on resume
              ctx.emit({ kind: 'job.progress', at: ctx.clock.now(), job: job.id, progress });
            }
          }
          delay = plan(polls + 1, out.pollAfterMs);
          continue;
        case 'succeeded': {
          if (createdAt >= ctx.startedAt) {
            // It finished somewhere between the last "not yet" and now.
            // Done at the first look says only "no later than now": nudge the estimate down a little
            // so that polls keep probing for the real time instead of drifting later and later.
            const observed =
              lastNotDoneAt !== undefined ? (lastNotDoneAt + ctx.clock.now()) / 2 - createdAt : 0.9 * (ctx.clock.now() - createdAt);
            ctx.renderEstimates.set(kind, updateEstimate(ctx.renderEstimates.get(kind), observed));
          }
          return setState(ctx, rec, 'succeeded', {
            ...endReservation(ctx, rec, true),
            outputs: out.outputs,
            expiresAt: out.expiresAt,
            progress: 100,
            timings: { ...rec.timings, completedAt: ctx.clock.now() },
          });
        }
        case 'failed': {
          return setState(ctx, rec, 'failed', {
            ...endReservation(ctx, rec, out.charged || rt.binding.chargesFailures),
            error: { code: out.code, message: out.message },
            timings: { ...rec.timings, completedAt: ctx.clock.now() },
          });
        }
        case 'not_found':
          return setState(ctx, rec, 'failed', {
            ...endReservation(ctx, rec, rt.binding.chargesFailures),
            error: { code: 'task_not_found', message: out.message },
          });
        case 'quota_exhausted':
          ctx.stopProvider(rt, out.message);
          return rec;
        default:
          return rec;
      }
    }
  } finally {
    ctx.wakers.delete(key);
  }
}
