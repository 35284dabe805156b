/**
 * One job's life from whatever state the checkpoint holds: each phase moves it forward or leaves
 * it where it is (stopped, interrupted, out of retries), in which case the run moves on and a
 * later resume picks it up from the same place.
 */
import type { Job } from '../plan/types.ts';
import { halted, setState, type ProviderRuntime, type RunContext } from './context.ts';
import { adoptFinishedClip, downloadClip, writeSidecar } from './download.ts';
import { backoffDelay, MAX_TRANSIENT_ATTEMPTS } from './retry.ts';
import { RetryLater, retrying } from './retrying.ts';
import { writeErrorOf } from './rundir.ts';
import { reconcileJob, submitJob } from './submit.ts';
import { trackJob } from './track.ts';
import type { ClipInfo, JobRecord } from './types.ts';

const MAX_INVALID_DOWNLOADS = 2;
/** Downloads are free to retry and the result URL may expire soon: more patience than for submits. */
const MAX_DOWNLOAD_ATTEMPTS = 2 * MAX_TRANSIENT_ATTEMPTS;

/**
 * Drive a job as far as it can go. `releaseSlot` gives back its in-flight slot; it is called as
 * soon as the task is no longer running at the provider (downloads do not hold it).
 */
export async function runJob(ctx: RunContext, rt: ProviderRuntime, job: Job, releaseSlot: () => void): Promise<void> {
  let released = false;
  const release = () => {
    if (!released) {
      released = true;
      releaseSlot();
    }
  };
  let rec = ctx.cp.get(job.id);
  let resubmitted = false;
  let reconciled = false;
  try {
    while (rec && !ctx.signal.aborted) {
      const before = rec.state;
      switch (rec.state) {
        case 'planned':
          if (halted(ctx, rt)) return;
          rec = await submitJob(ctx, rt, job, rec);
          break;
        case 'unknown':
          if (halted(ctx, rt)) return;
          // Ask the provider first wherever it can be asked (a list, a history): found → followed, absent → planned.
          if (rt.provider.reconcile && !(rt.provider.idempotentSubmit && rec.idempotencyKey) && !reconciled) {
            reconciled = true;
            rec = await reconcileJob(ctx, rt, job, rec);
            if (rec.state !== 'unknown') continue;
          }
          if (!ctx.resubmitUnknown || resubmitted) return;
          resubmitted = true;
          rec = await submitJob(ctx, rt, job, rec);
          if (rec.state === 'unknown') return;
          continue;
        case 'submitting':
          rec = await reconcileJob(ctx, rt, job, rec);
          break;
        case 'submitted':
        case 'running':
          rec = await trackJob(ctx, rt, job, rec);
          break;
        case 'succeeded':
          release();
          rec = await downloadJob(ctx, rt, job, rec);
          break;
        default:
          return; // downloaded, rejected, failed, expired
      }
      if (rec.state === before) return; // no progress possible now: leave it for resume
    }
  } catch (e) {
    const write = writeErrorOf(e);
    if (write) ctx.fail(write);
    else ctx.messages.push(`job ${job.id}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    release();
  }
}

/** succeeded → downloaded | expired | failed (not the clip we asked for) | succeeded (retry on resume). */
async function downloadJob(ctx: RunContext, rt: ProviderRuntime, job: Job, start: JobRecord): Promise<JobRecord> {
  let rec = start;
  const task = rec.task;
  if (!task) return setState(ctx, rec, 'failed', { error: { code: 'no_task', message: 'succeeded without a task id' } });
  if (!(await rt.limiter.downloads.acquire(ctx.signal))) return rec;
  try {
    const adopted = rec.clip ? undefined : await adoptFinishedClip(ctx.runDir, job, ctx.probe);
    if (adopted) return await recordDownloaded(ctx, rt, job, rec, adopted, 'clip already in place (downloaded before a restart)');
    let invalid = 0;
    let refreshed = false;
    return await retrying<JobRecord>(
      async (neverRetry) => {
        if (ctx.signal.aborted) return rec;
        ctx.stats.downloads++;
        const out = await downloadClip({
          runDir: ctx.runDir,
          job,
          task,
          outputs: rec.outputs ?? [],
          provider: rt.provider,
          env: rt.env,
          signal: ctx.signal,
          probe: ctx.probe,
        });
        switch (out.kind) {
          case 'ok':
            return await recordDownloaded(ctx, rt, job, rec, out.clip);
          case 'transient':
            throw new RetryLater(out.message, 'transient', out.retryAfterMs);
          case 'expired': {
            // Result URLs can be re-issued (and OpenAI's content endpoint re-fetches while the video
            // exists): ask once for a fresh status before declaring the clip lost.
            if (!refreshed) {
              refreshed = true;
              const fresh = await freshOutputs(ctx, rt, job, rec);
              if (fresh) {
                rec = { ...rec, outputs: fresh };
                throw new RetryLater(out.message, 'refreshed', 0, false);
              }
            }
            throw neverRetry(await setState(ctx, rec, 'expired', { error: { code: `http_${out.httpStatus}`, message: out.message } }));
          }
          case 'too_large':
            throw neverRetry(await setState(ctx, rec, 'failed', { error: { code: 'download_too_large', message: out.message } }));
          case 'invalid':
            if (++invalid > MAX_INVALID_DOWNLOADS) {
              throw neverRetry(await setState(ctx, rec, 'failed', { error: { code: 'invalid_clip', message: out.message } }));
            }
            ctx.emit({ kind: 'job.retry', at: ctx.clock.now(), job: job.id, attempt: invalid, delayMs: 0, reason: out.message });
            throw new RetryLater(out.message, 'invalid', 0, false);
        }
      },
      {
        clock: ctx.clock,
        retries: MAX_DOWNLOAD_ATTEMPTS,
        signals: [ctx.signal],
        delayMs: (f, n) => (f.kind === 'transient' ? backoffDelay(n, f.hintMs, { rng: ctx.rng, capMs: 10_000 }) : 0),
        onRetry: (f, n, delayMs) => {
          if (f.kind === 'transient')
            ctx.emit({ kind: 'job.retry', at: ctx.clock.now(), job: job.id, attempt: n, delayMs, reason: f.message });
        },
        exhausted: (f) => {
          ctx.messages.push(`job ${job.id}: download keeps failing (${f.message}); resume to retry`);
          return rec;
        },
      },
    );
  } finally {
    rt.limiter.downloads.release();
  }
}

async function recordDownloaded(
  ctx: RunContext,
  rt: ProviderRuntime,
  job: Job,
  rec: JobRecord,
  clip: ClipInfo,
  detail?: string,
): Promise<JobRecord> {
  const done: JobRecord = {
    ...rec,
    state: 'downloaded',
    clip,
    error: undefined,
    timings: { ...rec.timings, downloadedAt: ctx.clock.now() },
  };
  await writeSidecar(ctx.runDir, job, done, rt.provider);
  return setState(ctx, rec, 'downloaded', done, detail);
}

async function freshOutputs(ctx: RunContext, rt: ProviderRuntime, job: Job, rec: JobRecord): Promise<string[] | undefined> {
  if (!rec.task || !(await rt.limiter.acquirePoll(ctx.signal))) return undefined;
  ctx.stats.statusRequests++;
  const out = await rt.provider.status(rt.env, rec.task, job);
  // Still succeeded: one more try, with re-issued URLs if the provider gave new ones.
  return out.kind === 'succeeded' && out.outputs.length > 0 ? out.outputs : undefined;
}
