/** Starting jobs: resumed tasks first (they already hold provider capacity), then new submits as slots free up. */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from '../plan/types.ts';
import { setState, type ProviderRuntime, type RunContext } from './context.ts';
import { verifyExistingClip } from './download.ts';
import { runJob } from './job.ts';
import type { Semaphore } from './limiter.ts';
import type { JobRecord } from './types.ts';

/** Start every job of one provider: resumed tasks first (they already hold provider capacity), then new submits. */
export async function dispatch(
  ctx: RunContext,
  rt: ProviderRuntime,
  jobs: Job[],
  launch: (p: Promise<void>) => void,
  verifySlots: Semaphore,
): Promise<void> {
  // A slot comes back when the task leaves the provider; how long it was there sizes the cap the rate needs.
  const slot = (job: Job, resumed: boolean) => () => {
    rt.limiter.inFlight.release();
    const at = ctx.cp.get(job.id)?.timings.submittedAt;
    if (resumed) rt.limiter.noteHold(undefined);
    else if (at !== undefined) rt.limiter.noteHold(ctx.clock.now() - at);
  };
  const queue: Job[] = [];
  for (const job of jobs) {
    const rec = ctx.cp.get(job.id);
    if (!rec) continue;
    switch (rec.state) {
      case 'submitting':
      case 'submitted':
      case 'running':
        rt.limiter.adoptInFlight();
        launch(runJob(ctx, rt, job, slot(job, true)));
        break;
      case 'succeeded':
        launch(runJob(ctx, rt, job, () => undefined));
        break;
      case 'downloaded':
        launch(reverify(ctx, rt, job, rec, verifySlots));
        break;
      case 'planned':
        queue.push(job);
        break;
      case 'unknown':
        // Reconciled on every run where the provider can be asked; resubmitted only on request.
        if (ctx.resubmitUnknown || rt.provider.reconcile) queue.push(job);
        break;
      default:
        break;
    }
  }
  for (const job of queue) {
    if (!(await rt.limiter.inFlight.acquire(rt.halt))) break;
    launch(runJob(ctx, rt, job, slot(job, false)));
  }
}

/** A downloaded clip is trusted only if it is still there with the recorded size and hash. */
async function reverify(ctx: RunContext, rt: ProviderRuntime, job: Job, rec: JobRecord, slots: Semaphore): Promise<void> {
  if (!rec.clip || !(await slots.acquire(ctx.signal))) return;
  let ok: boolean;
  try {
    ok = await verifyExistingClip(ctx.runDir, rec.clip, { full: ctx.verifyClips });
  } catch {
    ok = false; // unreadable counts as missing
  } finally {
    slots.release();
  }
  if (ok || ctx.signal.aborted) return;
  // Deleted before the state moves back: a file left at the clip's path is then always a verified download.
  await unlink(join(ctx.runDir, rec.clip.path)).catch(() => undefined);
  await setState(ctx, rec, 'succeeded', { clip: undefined }, 'clip missing or changed on disk: downloading again');
  await runJob(ctx, rt, job, () => undefined);
}
