/**
 * Following a task at the provider until it ends: polls paced by the provider's hints (or the
 * catalog's render time and a jittered backoff), inside the provider's poll budget; a callback
 * wakes the loop for an immediate status fetch, and polling becomes a slow safety net.
 */
import { setMaxListeners } from 'node:events';
import type { Job } from '../plan/types.ts';
import type { StatusOutcome } from '../providers/types.ts';
import { endReservation, renderKey, setState, wakerKey, type ProviderRuntime, type RunContext } from './context.ts';
import { pollPlan, updateEstimate } from './poll-plan.ts';
import { backoffDelay } from './retry.ts';
import { RetryLater, retrying } from './retrying.ts';
import { sleepOrAbort } from './sleep.ts';
import type { JobRecord } from './types.ts';

/** Give up following a task (it stays resumable) after this many status errors in a row. */
const MAX_STATUS_ERRORS = 12;
/** Consecutive not-found answers before a task is declared lost (creation may take a moment to show). */
const MAX_NOT_FOUND = 3;

/** The first task of a kind, then one in this many, probes early (see pollPlan). */
const PROBE_EVERY = 20;
/** Sleeping tasks re-plan when the estimate for their kind falls below this share of what it was. */
const REPLAN_DROP = 0.7;

const drops = new WeakMap<RunContext, Map<string, AbortController>>();
const followed = new WeakMap<RunContext, Map<string, number>>();

/** How many tasks of `kind` this run has started following before this one. */
function nextOfKind(ctx: RunContext, kind: string): number {
  let byKind = followed.get(ctx);
  if (!byKind) followed.set(ctx, (byKind = new Map()));
  const n = byKind.get(kind) ?? 0;
  byKind.set(kind, n + 1);
  return n;
}

/** Aborted (and replaced) when the render estimate for `kind` falls a long way. */
function estimateDrop(ctx: RunContext, kind: string): AbortController {
  let byKind = drops.get(ctx);
  if (!byKind) drops.set(ctx, (byKind = new Map()));
  let c = byKind.get(kind);
  if (!c) {
    c = new AbortController();
    setMaxListeners(0, c.signal); // every task of the kind waits on it: by design
    byKind.set(kind, c);
  }
  return c;
}

function setEstimate(ctx: RunContext, kind: string, est: number, catalogMs: number): void {
  const before = ctx.renderEstimates.get(kind) ?? catalogMs;
  ctx.renderEstimates.set(kind, est);
  if (est < REPLAN_DROP * before) {
    estimateDrop(ctx, kind).abort();
    drops.get(ctx)?.delete(kind);
  }
}

export async function trackJob(ctx: RunContext, rt: ProviderRuntime, job: Job, start: JobRecord): Promise<JobRecord> {
  let rec = start;
  const task = rec.task;
  if (!task) return setState(ctx, rec, 'unknown', { error: { code: 'no_task', message: 'submitted without a task id' } });
  const catalogMs = Math.max(0, rt.binding.renderSeconds(job) * 1000);
  const kind = renderKey(job);
  const key = wakerKey(rt.name, task.id);
  const createdAt = rec.timings.submittedAt ?? ctx.clock.now();
  // The first task of a kind, then one in twenty, probes early: renders faster than the estimate get noticed.
  const probe = nextOfKind(ctx, kind) % PROBE_EVERY === 0;
  let lastHint: number | undefined;
  const plan = (poll: number, hintMs?: number) =>
    pollPlan({
      poll,
      hintMs,
      elapsedMs: ctx.clock.now() - createdAt,
      estimateMs: ctx.renderEstimates.get(kind),
      catalogMs,
      rng: ctx.rng,
      probe,
    });
  let polls = 0;
  let notFound = 0;
  let lastNotDoneAt: number | undefined;
  /** Sleep before a status request; a callback can cut it short. False when the run is interrupted. */
  const wait = async (ms: number, replan?: AbortSignal): Promise<boolean> => {
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
    await sleepOrAbort(ctx.clock, delayMs, ctx.signal, wake?.signal, replan);
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
          if (f.kind === 'transient')
            ctx.emit({ kind: 'job.retry', at: ctx.clock.now(), job: job.id, attempt: n, delayMs, reason: f.message });
        },
        onInterrupted: () => undefined,
        exhausted: (f) => {
          ctx.messages.push(`job ${job.id}: status keeps failing (${f.message}); left ${rec.state}, resume to continue`);
          return undefined;
        },
      },
    );
  /** The task reached a verdict between the last "not yet" and now: learn how long tasks like it take. */
  const learnVerdictTime = () => {
    // A task from an earlier process says only "no later": the gap between the processes is in its age.
    const notDone = lastNotDoneAt !== undefined && !resumed ? lastNotDoneAt - createdAt : undefined;
    // A real observation replaces the catalog's figure; a bound is weighed against it.
    const learned = ctx.renderEstimates.get(kind);
    const prev = notDone !== undefined ? learned : (learned ?? (catalogMs > 0 ? catalogMs : undefined));
    const est = updateEstimate(prev, ctx.clock.now() - createdAt, notDone);
    if (est !== undefined) setEstimate(ctx, kind, est, catalogMs);
  };
  // First poll: the create answer's hint, else when tasks like this one have been finishing.
  const hint = ctx.pollHints.get(job.id);
  ctx.pollHints.delete(job.id);
  // A task from an earlier process has been rendering all along: look at once.
  const resumed = createdAt < ctx.startedAt;
  let delay = resumed ? 0 : plan(1, hint);
  try {
    for (;;) {
      // A much lower render estimate (a probe found tasks like this one done early) re-plans the wait.
      const faster = estimateDrop(ctx, kind).signal;
      if (!(await wait(delay, faster))) return rec;
      if (faster.aborted) {
        delay = plan(Math.max(2, polls + 1), lastHint);
        if (delay > 50) continue;
      }
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
          lastHint = out.pollAfterMs;
          delay = plan(polls + 1, out.pollAfterMs);
          continue;
        case 'succeeded': {
          learnVerdictTime();
          return setState(ctx, rec, 'succeeded', {
            ...endReservation(ctx, rec, true),
            outputs: out.outputs,
            expiresAt: out.expiresAt,
            progress: 100,
            timings: { ...rec.timings, completedAt: ctx.clock.now() },
          });
        }
        case 'failed': {
          // A failure is a verdict too: polling waits for verdicts, so tasks like this one learn from it
          // (a batch whose tasks all fail must not wait out the catalog's render time for each).
          learnVerdictTime();
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
