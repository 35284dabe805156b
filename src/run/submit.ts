/**
 * Getting a task id for a job, without ever paying twice: the intent (`submitting`, with its
 * idempotency key) is durable before the create request leaves, the task id the moment it
 * arrives; an answer that may or may not have created a task is reconciled, never blindly retried.
 */
import type { Job } from '../plan/types.ts';
import { emitBudget, endReservation, halted, setState, type ProviderRuntime, type RunContext } from './context.ts';
import { backoffDelay, MAX_THROTTLED_ATTEMPTS, MAX_TRANSIENT_ATTEMPTS } from './retry.ts';
import { formatUsd } from '../money.ts';
import { RetryLater, retrying, type NeverRetry } from './retrying.ts';
import { withUploadedImage } from './images.ts';
import { createScope, inCreateScope } from '../providers/create-scope.ts';
import type { JobRecord } from './types.ts';

/** Give back a reservation for a job that goes back to (or stays) `planned`. */
async function unreserve(ctx: RunContext, rec: JobRecord, detail: string): Promise<JobRecord> {
  if (rec.reservedUsd === 0) return rec.state === 'planned' ? rec : setState(ctx, rec, 'planned', {}, detail);
  ctx.ledger.release(rec.reservedUsd);
  emitBudget(ctx);
  // Written only when the checkpoint may hold the reservation (the job was submitting before).
  const persisted = ctx.cp.get(rec.id);
  if (rec.state === 'planned' && persisted?.reservedUsd === 0 && persisted.state === 'planned') return { ...rec, reservedUsd: 0 };
  return setState(ctx, rec, 'planned', { reservedUsd: 0 }, detail);
}

/**
 * planned (or unknown, when resubmitting) → submitted | rejected | failed | submitting (ambiguous:
 * reconcile next) | planned (stopped, interrupted or over budget).
 * With `replay`, re-sends the recorded idempotency key (idempotent providers reconciling).
 */
export async function submitJob(ctx: RunContext, rt: ProviderRuntime, job: Job, start: JobRecord, replay = false): Promise<JobRecord> {
  let rec = start;
  const fresh = rec.state === 'unknown' || !rec.idempotencyKey;
  const key = replay && rec.idempotencyKey ? rec.idempotencyKey : fresh ? `${job.id}-${rec.attempts + 1}` : rec.idempotencyKey!;
  if (rec.state === 'unknown' && rec.reservedUsd > 0) {
    // The unreconciled attempt may exist and be billed: its reservation stays on the books (held),
    // and the new attempt must find room of its own within the budget.
    rec = await setState(ctx, rec, 'unknown', { heldUsd: (rec.heldUsd ?? 0) + rec.reservedUsd, reservedUsd: 0 });
  }
  let reserved = rec.reservedUsd;
  const price = job.cost.usd ?? 0;
  const overBudget = (): JobRecord => {
    ctx.emit({
      kind: 'warning',
      at: ctx.clock.now(),
      message: `job ${job.id} not submitted: ${formatUsd(price)} would pass the budget (${formatUsd(ctx.ledger.roomUsd)} left)`,
    });
    return rec;
  };
  // Refused before anything is written; the reservation itself is taken with the intent.
  if (reserved === 0 && price > 0 && !ctx.ledger.fits(price)) return overBudget();
  let throttled = 0;
  const attempt = async (neverRetry: NeverRetry<JobRecord>): Promise<JobRecord> => {
    if (halted(ctx, rt)) {
      // A resubmit of an unknown job that never left: its new reservation was never recorded.
      if (rec.state === 'unknown' && rec.reservedUsd === 0 && reserved > 0) {
        ctx.ledger.release(reserved);
        emitBudget(ctx);
      }
      // submitting (replay) and unknown keep their reservation: a task may exist and be billed.
      if (rec.state !== 'planned') return rec;
      return unreserve(ctx, { ...rec, reservedUsd: reserved }, 'not submitted');
    }
    // A local reference image goes up first (once per file per run): its URL is part of the intent below.
    const prep = await ctx.images.prepare(rt.provider, rt.name, rt.env, job, ctx.clock.now());
    if (prep.kind === 'rejected') {
      throw neverRetry(
        await setState(ctx, rec, 'rejected', {
          ...endReservation(ctx, { ...rec, reservedUsd: reserved }, false),
          error: { code: 'image_upload', message: prep.message },
        }),
      );
    }
    if (prep.kind === 'transient') throw new RetryLater(prep.message, 'transient');
    const image = prep.kind === 'ready' ? prep.image : rec.image;
    // Reserved and recorded in one step (the intent carries it), so the live view and `status` —
    // one from the ledger, one from the checkpoint — agree on what is reserved. The submit turn is
    // taken later, at the wire (see gate.ts), so nothing written here can bunch the creates.
    let reservedNow = false;
    if (reserved === 0 && price > 0) {
      const r = ctx.ledger.reserve(price);
      if (!r.ok) return overBudget();
      reserved = r.usd;
      reservedNow = true;
    }
    if (rec.state !== 'submitting') {
      rec = await setState(ctx, rec, 'submitting', {
        attempts: rec.attempts + 1,
        idempotencyKey: key,
        reservedUsd: reserved,
        image,
        timings: { ...rec.timings, submittingAt: ctx.clock.now(), sendingAt: undefined },
        sendMarks: true,
      });
    }
    if (reservedNow) emitBudget(ctx);
    // The sending mark: written (not fsync'd: the page cache survives a process kill) by whoever puts
    // the create on a socket, before its bytes go (the transport, once connected; see create-scope.ts).
    // Without it, an intent found after a process kill in the same boot provably never left (`settleUnsent`).
    const scope = createScope(
      () => rt.limiter.acquireSubmit(rt.halt),
      async () => {
        rec = { ...rec, image, timings: { ...rec.timings, sendingAt: ctx.clock.now() } };
        await ctx.cp.put(rec, { sync: false });
        // A throttle that arrived while the mark was being written: its wait passes before these bytes go.
        await rt.limiter.waitPause('submit', ctx.signal);
      },
    );
    const out = await inCreateScope(scope, () =>
      rt.provider.submit(rt.env, withUploadedImage(job, image), { idempotencyKey: key, callbackUrl: rt.callbackUrl }),
    );
    if (scope.reached) ctx.stats.submitRequests++;
    else if (out.kind === 'transient' || out.kind === 'ambiguous') {
      // Never reached a socket (refused, unreachable, interrupted while waiting for its turn): no task
      // can exist, so the job is simply sent again later, however the adapter classified the failure.
      if (!replay) rec = await setState(ctx, rec, 'planned', {}, 'not sent');
      if (halted(ctx, rt)) throw AGAIN;
      throw new RetryLater(out.message, 'transient', out.kind === 'transient' ? out.retryAfterMs : undefined);
    }
    switch (out.kind) {
      case 'accepted': {
        const r = await setState(ctx, rec, 'submitted', {
          task: out.task,
          error: undefined,
          timings: { ...rec.timings, submittedAt: ctx.clock.now() },
        });
        if (out.pollAfterMs !== undefined) ctx.pollHints.set(r.id, out.pollAfterMs);
        return r;
      }
      case 'rejected':
        throw neverRetry(
          await setState(ctx, rec, 'rejected', {
            ...endReservation(ctx, { ...rec, reservedUsd: reserved }, false),
            error: { code: out.code, message: out.message },
          }),
        );
      case 'quota_exhausted':
        ctx.stopProvider(rt, out.message);
        throw neverRetry(await unreserve(ctx, { ...rec, reservedUsd: reserved }, 'provider quota exhausted'));
      case 'throttled': {
        // The limiter's pause does the waiting (at the wire, for every worker): no delay of our own.
        rt.limiter.pause('submit', out.retryAfterMs);
        ctx.emit({ kind: 'provider.throttled', at: ctx.clock.now(), provider: rt.provider.name, waitMs: out.retryAfterMs });
        if (++throttled > MAX_THROTTLED_ATTEMPTS) {
          // Replaying: a task may exist, so its reservation stays with the intent for the next resume.
          throw neverRetry(replay ? stillSubmitting(ctx, rec, out.message) : await giveUp(ctx, rec, reserved, 'throttled', out.message));
        }
        if (!replay) rec = await setState(ctx, rec, 'planned', {}, 'throttled');
        throw new RetryLater(out.message, 'throttled', 0, false);
      }
      case 'transient':
      case 'ambiguous': {
        // An aborted request, or an answer that may have created a task: the intent stays
        // `submitting` and is reconciled (now, or on resume) — never blindly sent again.
        const mayHaveCreated = out.kind === 'ambiguous' || (out.httpStatus === undefined && ctx.signal.aborted);
        if (mayHaveCreated && !replay) throw neverRetry(rec);
        throw new RetryLater(out.message, 'transient', out.kind === 'transient' ? out.retryAfterMs : undefined);
      }
    }
  };
  return retrying(attempt, {
    clock: ctx.clock,
    retries: MAX_TRANSIENT_ATTEMPTS,
    signals: [rt.halt],
    delayMs: (f, n) => (f.counts ? backoffDelay(n, f.hintMs, { rng: ctx.rng }) : 0),
    onRetry: async (f, n, delayMs) => {
      if (!f.counts) return;
      ctx.emit({ kind: 'job.retry', at: ctx.clock.now(), job: job.id, attempt: n, delayMs, reason: f.message });
      if (!replay) rec = await setState(ctx, rec, 'planned', {}, 'retry');
    },
    // Replaying the same key stays safe on a later resume: leave the intent to be replayed then,
    // rather than `unknown`, whose only way out is a fresh key (a possible second charge).
    exhausted: (f) => (replay ? stillSubmitting(ctx, rec, f.message) : giveUp(ctx, rec, reserved, 'transient', f.message)),
  });
}

/** Go round again at once: the next attempt re-checks whether to stop (halted, paused, interrupted). */
const AGAIN = new RetryLater('again', 'again', 0, false);

/** Marks a job that went back to `planned` because its creates kept failing (not because of the budget). */
export const SUBMIT_GAVE_UP = 'submit_gave_up';

/**
 * The create kept failing in a way that proves no task was made (5xx, 429): nothing was bought and
 * nothing can be lost, so the job goes back to `planned` (reservation released) for a later resume
 * rather than to a terminal `failed` that no resume would ever pick up again.
 */
async function giveUp(ctx: RunContext, rec: JobRecord, reserved: number, why: string, message: string): Promise<JobRecord> {
  return setState(
    ctx,
    rec,
    'planned',
    { ...endReservation(ctx, { ...rec, reservedUsd: reserved }, false), error: { code: SUBMIT_GAVE_UP, message: `${why}: ${message}` } },
    `not submitted: ${why}`,
  );
}

/**
 * submitting (crashed between intent and answer, or an ambiguous answer) → submitted | planned
 * (provably absent: submit again) | unknown.
 */
export async function reconcileJob(ctx: RunContext, rt: ProviderRuntime, job: Job, rec: JobRecord): Promise<JobRecord> {
  if (rt.provider.idempotentSubmit && rec.idempotencyKey) return submitJob(ctx, rt, job, rec, true);
  const reconcile = rt.provider.reconcile;
  if (reconcile) {
    return retrying(
      async () => {
        if (!(await rt.limiter.acquirePoll(ctx.signal))) return rec;
        // Compared against what was sent: the image URL recorded with the intent, even if it expired since.
        const out = await reconcile(rt.env, withUploadedImage(job, rec.image), rec.timings.submittingAt ?? ctx.clock.now(), {
          excludeTaskIds: ownedByOthers(ctx, job.id),
        });
        if (ctx.signal.aborted && out.kind !== 'found') return rec;
        switch (out.kind) {
          case 'found':
            // Another take of the same request may have claimed this task while our list was in flight:
            // look again with it excluded (the check and the claim below are one synchronous step).
            if (ownedByOthers(ctx, job.id).includes(out.task.id)) throw new RetryLater(`task ${out.task.id} is another job's`, 'claimed');
            return setState(
              ctx,
              rec,
              'submitted',
              { task: out.task, timings: { ...rec.timings, submittedAt: ctx.clock.now() } },
              'reconciled',
            );
          case 'absent':
            return setState(ctx, rec, 'planned', {}, 'reconciled: no task was created');
          case 'unknown':
            // The provider could not be asked (list failed): that proves nothing either way. Ask again,
            // and in the end leave the intent for the next resume to reconcile, never `unknown`.
            throw new RetryLater(out.message, 'unknown');
        }
      },
      {
        clock: ctx.clock,
        retries: MAX_TRANSIENT_ATTEMPTS,
        signals: [rt.halt],
        // A claimed task is looked for again at once; a failed list backs off.
        delayMs: (f, n) => (f.kind === 'claimed' ? 0 : backoffDelay(n, undefined, { rng: ctx.rng })),
        onRetry: (f, n, delayMs) => {
          if (f.kind === 'unknown')
            ctx.emit({ kind: 'job.retry', at: ctx.clock.now(), job: job.id, attempt: n, delayMs, reason: f.message });
        },
        onInterrupted: () => rec,
        exhausted: (f) => stillSubmitting(ctx, rec, f.message),
      },
    );
  }
  return setState(ctx, rec, 'unknown', {
    error: {
      code: 'ambiguous_submit',
      message: `${rt.provider.name} cannot be asked whether the create arrived; resubmit explicitly (--resubmit-unknown) if you accept a possible second charge`,
    },
  });
}

/** Task ids other jobs already own (another take of the same prompt): never to be claimed by this one. */
function ownedByOthers(ctx: RunContext, jobId: string): string[] {
  const owned: string[] = [];
  for (const r of ctx.cp.allRecords()) if (r.task && r.id !== jobId) owned.push(r.task.id);
  return owned;
}

/** The create could not be reconciled now: stay `submitting` (reservation kept) for the next resume. */
function stillSubmitting(ctx: RunContext, rec: JobRecord, message: string): JobRecord {
  ctx.messages.push(`job ${rec.id}: could not yet tell whether its create arrived (${message}); resume to reconcile it`);
  return rec;
}
