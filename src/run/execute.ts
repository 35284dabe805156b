/**
 * The executor: takes an approved plan and a run directory and drives every job to a final
 * state within the providers' limits and the budget, resumable from its checkpoint at any instant.
 */
import { cleanedProvider } from './safe-provider.ts';
import { setMaxListeners } from 'node:events';
import type { ProviderLimits } from '../catalog/types.ts';
import type { Clock } from '../clock.ts';
import type { ProbeResult } from '../media/ffmpeg.ts';
import type { Job } from '../plan/types.ts';
import type { ProviderBinding } from './binding.ts';
import { BudgetLedger } from './budget.ts';
import { jobOwnsTask, startCallbackReceiver, type CallbackReceiver } from './callbacks.ts';
import { CheckpointStore, loadCheckpoint, type CheckpointOptions, type OpenReport, type Recovery } from './checkpoint.ts';
import { removePartials, writeErrorOf } from './rundir.ts';
import type { RunDirWriteError } from '../errors.ts';
import type { ProviderRuntime, RunContext } from './context.ts';
import type { EventSink } from './events.ts';
import { dispatch } from './dispatch.ts';
import { gatedFetch } from './gate.ts';
import { effectiveLimits, ProviderLimiter, Semaphore } from './limiter.ts';
import { finish, type RunOutcome } from './outcome.ts';
import { ImageUploads } from './images.ts';
import { acquireRunLock } from './lock.ts';
import { SUBMIT_GAVE_UP } from './submit.ts';
import type { Rng } from './retry.ts';
import type { JobRecord, JobState } from './types.ts';

export type { ProviderBinding } from './binding.ts';

export interface ExecuteOptions {
  /** Exists; the CLI already wrote manifest.yaml there. */
  runDir: string;
  /** The approved plan's jobs, manifest order. */
  jobs: Job[];
  /** Spend never passes this. */
  approvedUsd: number;
  /** budget.max_usd / --max-usd: spend never passes this either. */
  capUsd?: number;
  bind: (providerName: string) => ProviderBinding;
  clock: Clock;
  signal: AbortSignal;
  events: EventSink;
  /** Submit again jobs whose earlier submit could not be reconciled (may pay twice). */
  resubmitUnknown?: boolean;
  /**
   * The provider that held this run's in-flight tasks is gone with its state (the in-process emulator
   * ends with the process that started it): put those jobs back to planned. Never for a real provider.
   */
  abandonInFlight?: boolean;
  /**
   * `shotlist retry`: these jobs, if failed/expired/rejected, go back to planned for a new attempt
   * (their money fields stay: what a failure was charged stays spent). The CLI approved their cost.
   */
  requeue?: ReadonlySet<string>;
  callbacks?: { listen: string; publicUrl: string; secrets: Partial<Record<string, string>> };
  limitsOverride?: Partial<ProviderLimits>;
  /** Jitter source (tests). Default Math.random. */
  rng?: Rng;
  checkpoint?: CheckpointOptions;
  /** Media check of downloaded clips; default ffprobe (benchmarks inject a stub). */
  probe?: (file: string) => Promise<ProbeResult>;
  /** Re-hash every downloaded clip (`resume --verify`); default trusts unchanged size + mtime + inode. */
  verifyClips?: boolean;
  /** Every configured secret (all provider keys, webhook secrets): redacted from provider text. Bound keys are added. */
  secrets?: readonly string[];
  /**
   * Writes that belong to this run but must not happen unless it really starts (the CLI's
   * manifest.yaml and run.json): called once the lock is held, before anything else is written.
   */
  beforeStart?: () => Promise<void>;
  /** Receives request counters and checkpoint bytes at the end (benchmarks). */
  onStats?: (s: RunStats) => void;
}

export interface RunStats {
  statusRequests: number;
  submitRequests: number;
  downloads: number;
  checkpointBytes: number;
}

export type { RunOutcome } from './outcome.ts';

export async function executeRun(opts: ExecuteOptions): Promise<RunOutcome> {
  const lock = await acquireRunLock(opts.runDir, () => opts.clock.now());
  // A run directory that refuses writes (disk full, read-only) stops the whole run cleanly.
  const failed = new AbortController();
  let fatal: RunDirWriteError | undefined;
  const fail = (e: RunDirWriteError): void => {
    fatal ??= e;
    failed.abort(e);
  };
  const inner: ExecuteOptions = { ...opts, signal: AbortSignal.any([opts.signal, failed.signal]) };
  try {
    await opts.beforeStart?.();
    // Leftovers of writes a crash interrupted: never renamed into place, removed now (we hold the lock).
    const removed = await removePartials(opts.runDir);
    const { store, resumed, report } = await CheckpointStore.open(
      opts.runDir,
      { jobs: opts.jobs, approvedUsd: opts.approvedUsd, capUsd: opts.capUsd },
      opts.checkpoint,
    );
    let stats: RunContext['stats'] | undefined;
    let out: RunOutcome;
    try {
      announceRecovery(opts, report, removed.length);
      const unsent = await settleUnsent(store, lock.pageCacheIntact);
      if (unsent > 0) {
        opts.events({
          kind: 'warning',
          at: opts.clock.now(),
          message: `${unsent} create(s) were recorded but provably never sent (the process was stopped first): planned again, nothing held`,
        });
      }
      out = await runWithStore(inner, store, resumed, (s) => (stats = s), fail);
    } catch (e) {
      const w = writeErrorOf(e);
      if (!w) throw e;
      fail(w);
      out = { kind: 'interrupted', counts: {}, spentUsd: 0, messages: [] };
    } finally {
      // The final compaction; when the disk refused writes it may fail too: what the journal holds stays.
      await store.close().catch((e: unknown) => {
        const w = writeErrorOf(e);
        if (!w) throw e;
        fail(w);
      });
      // After the final compaction, so the benchmark counts every byte the run wrote.
      if (stats) opts.onStats?.({ ...stats, checkpointBytes: store.bytesWritten });
    }
    if (fatal) throw fatal;
    return out;
  } finally {
    await lock.release();
  }
}

/**
 * `submitting` intents without a sending mark, when the previous owner was killed in this boot (or
 * exited): the mark is written before any byte of the create goes out and the page cache kept every
 * completed write, so these creates never left. Back to `planned`, their reservation released. After a
 * machine crash (another boot id) the mark may have been lost with the cache: they stay to be reconciled.
 */
async function settleUnsent(cp: CheckpointStore, pageCacheIntact: boolean): Promise<number> {
  if (!pageCacheIntact) return 0;
  let n = 0;
  for (const rec of Array.from(cp.allRecords())) {
    if (rec.state !== 'submitting' || rec.sendMarks !== true || rec.timings.sendingAt !== undefined) continue;
    await cp.put({ ...rec, state: 'planned', reservedUsd: 0, timings: { ...rec.timings, submittingAt: undefined } });
    n++;
  }
  return n;
}

/** Tell the user when the state was rebuilt, entries were damaged or partial files were removed. */
function announceRecovery(opts: ExecuteOptions, report: OpenReport, partialsRemoved: number): void {
  if (!report.recovered && report.damagedEntries === 0 && partialsRemoved === 0) return;
  opts.events({
    kind: 'checkpoint.recovered',
    at: opts.clock.now(),
    ...(report.recovered ? { from: report.recovered.from, reason: report.recovered.reason } : {}),
    damagedEntries: report.damagedEntries,
    partialsRemoved,
  });
}

async function runWithStore(
  opts: ExecuteOptions,
  cp: CheckpointStore,
  resumed: boolean,
  shareStats: (s: RunContext['stats']) => void,
  fail: (e: RunDirWriteError) => void,
): Promise<RunOutcome> {
  const { clock, events: emit } = opts;
  setMaxListeners(0, opts.signal);
  if (opts.abandonInFlight) await abandonInFlight(cp);
  if (opts.requeue) await requeue(cp, opts.requeue);
  const ledger = BudgetLedger.fromRecords(opts.approvedUsd, opts.capUsd, cp.allRecords());
  const runtimes = new Map<string, ProviderRuntime>();
  const limiters = new Map<string, ProviderLimiter>();
  const ctx: RunContext = {
    runDir: opts.runDir,
    cp,
    ledger,
    clock,
    signal: opts.signal,
    emit,
    rng: opts.rng ?? Math.random,
    resubmitUnknown: opts.resubmitUnknown ?? false,
    callbackMode: opts.callbacks !== undefined,
    wakers: new Map(),
    messages: [],
    pollHints: new Map(),
    renderEstimates: new Map(),
    startedAt: clock.now(),
    probe: opts.probe,
    stats: { statusRequests: 0, submitRequests: 0, downloads: 0 },
    images: new ImageUploads(cp.allRecords()),
    verifyClips: opts.verifyClips ?? false,
    fail,
    stopProvider(rt, reason) {
      if (rt.stop.signal.aborted) return;
      rt.stopReason = reason;
      rt.stop.abort();
      emit({ kind: 'provider.stopped', at: clock.now(), provider: rt.provider.name, reason });
    },
  };
  shareStats(ctx.stats);
  const publicBase = opts.callbacks?.publicUrl.replace(/\/+$/, '');
  const secrets: string[] = [...(opts.secrets ?? []), ...Object.values(opts.callbacks?.secrets ?? {}).filter((v): v is string => !!v)];
  const runtime = (name: string): ProviderRuntime => {
    const hit = runtimes.get(name);
    if (hit) return hit;
    const binding = opts.bind(name);
    if (binding.env.apiKey) secrets.push(binding.env.apiKey);
    const limits = effectiveLimits(binding.limits, opts.limitsOverride);
    // One limiter per provider + key: two names sharing an account share its limits.
    const lkey = `${binding.provider.name}\u0000${binding.env.apiKey}`;
    const learn = binding.learnLimits === true && opts.limitsOverride === undefined;
    const firstJob = opts.jobs.find((j) => j.provider === name);
    const holdMs = firstJob ? binding.renderSeconds(firstJob) * 1000 : undefined;
    const limiter = limiters.get(lkey) ?? new ProviderLimiter(clock, limits, { learn, holdMs });
    limiters.set(lkey, limiter);
    const signal = binding.env.signal ? AbortSignal.any([binding.env.signal, opts.signal]) : opts.signal;
    const stop = new AbortController();
    const halt = AbortSignal.any([opts.signal, stop.signal]);
    // Thousands of tasks wait on these at once: that is by design, not a leak.
    setMaxListeners(0, stop.signal, halt, signal);
    const rt: ProviderRuntime = {
      name,
      halt,
      provider: cleanedProvider(binding.provider, secrets),
      binding,
      env: { ...binding.env, signal, fetch: gatedFetch(binding.env.fetch, limiter, binding.env.baseUrl, () => clock.now()) },
      limiter,
      stop,
      callbackUrl: publicBase ? `${publicBase}/callbacks/${name}` : undefined,
    };
    runtimes.set(name, rt);
    return rt;
  };
  const byProvider = new Map<string, Job[]>();
  for (const job of [...opts.jobs, ...paidButDropped(cp)]) {
    const list = byProvider.get(job.provider) ?? [];
    list.push(job);
    byProvider.set(job.provider, list);
  }
  for (const name of byProvider.keys()) runtime(name);
  const byJob = new Map([...byProvider.values()].flat().map((j) => [j.id, j]));

  const startCounts: Partial<Record<JobState, number>> = {};
  for (const job of opts.jobs) {
    const st = cp.get(job.id)?.state ?? 'planned';
    startCounts[st] = (startCounts[st] ?? 0) + 1;
  }
  emit({
    kind: 'run.started',
    at: clock.now(),
    jobs: opts.jobs.length,
    approvedUsd: opts.approvedUsd,
    resumed,
    counts: startCounts,
    spentUsd: ledger.spentUsd,
  });
  let receiver: CallbackReceiver | undefined;
  if (opts.callbacks) {
    receiver = await startCallbackReceiver({
      listen: opts.callbacks.listen,
      providers: new Map([...runtimes].map(([n, rt]) => [n, rt.provider])),
      secrets: opts.callbacks.secrets,
      now: () => clock.now(),
      onTask: (provider, taskId) => {
        const wake = ctx.wakers.get(`${provider}\u0000${taskId}`);
        wake?.();
        return wake !== undefined;
      },
      ownsTask: jobOwnsTask(
        (id) => cp.get(id),
        (id) => byJob.get(id)?.provider,
      ),
    });
  }
  const running = new Set<Promise<void>>();
  const launch = (p: Promise<void>): void => {
    running.add(p);
    void p.finally(() => running.delete(p));
  };
  const verifySlots = new Semaphore(4);
  try {
    let pass = byProvider;
    for (;;) {
      await Promise.all([...pass].map(([name, jobs]) => dispatch(ctx, runtime(name), jobs, launch, verifySlots)));
      while (running.size > 0) await Promise.all(running);
      // Jobs the budget refused earlier may fit now that free failures released their reservations:
      // another pass, for as long as passes make progress (each one submits or it is the last).
      const next = budgetRefused(ctx, byProvider, runtimes);
      const waiting = [...next.values()].reduce((n, l) => n + l.length, 0);
      const before = [...pass.values()].reduce((n, l) => n + l.length, 0); // later passes hold only planned jobs
      if (waiting === 0 || (pass !== byProvider && waiting >= before) || !fitsOne(ctx, next)) break;
      pass = next;
    }
  } finally {
    await receiver?.close();
    if (receiver) emit({ kind: 'callbacks.summary', at: clock.now(), ...receiver.stats });
  }
  return finish(opts, ctx, runtimes);
}

/** Planned jobs of providers still taking work that were held back by the budget (not by failing creates). */
function budgetRefused(ctx: RunContext, byProvider: Map<string, Job[]>, runtimes: Map<string, ProviderRuntime>): Map<string, Job[]> {
  const out = new Map<string, Job[]>();
  if (ctx.signal.aborted) return out;
  for (const [name, jobs] of byProvider) {
    if (runtimes.get(name)?.stopReason) continue;
    const left = jobs.filter((j) => {
      const rec = ctx.cp.get(j.id);
      return rec?.state === 'planned' && rec.error?.code !== SUBMIT_GAVE_UP;
    });
    if (left.length > 0) out.set(name, left);
  }
  return out;
}

/** Is there room in the budget for at least one of these jobs? */
function fitsOne(ctx: RunContext, jobs: Map<string, Job[]>): boolean {
  for (const list of jobs.values()) for (const j of list) if (ctx.ledger.fits(j.cost.usd)) return true;
  return false;
}

/** Task ids the provider already has (and may bill): followed to the end even if no longer planned. */
const HAS_TASK: ReadonlySet<JobState> = new Set(['submitted', 'running', 'succeeded']);

/**
 * Jobs an edited manifest dropped while their task was in flight: the clip is paid for, so it is still
 * polled and downloaded. Never submitted again (a `submitting` intent without a task id is left alone).
 */
function paidButDropped(cp: CheckpointStore): Job[] {
  return cp.allDroppedJobs().filter((job) => HAS_TASK.has(cp.get(job.id)?.state ?? 'planned'));
}

const IN_FLIGHT: ReadonlySet<JobState> = new Set(['submitting', 'submitted', 'running', 'succeeded', 'unknown']);

const RETRYABLE: ReadonlySet<JobState> = new Set(['failed', 'expired', 'rejected']);

async function requeue(cp: CheckpointStore, ids: ReadonlySet<string>): Promise<void> {
  for (const id of ids) {
    const rec = cp.get(id);
    if (!rec || !RETRYABLE.has(rec.state)) continue;
    const {
      task: _task,
      outputs: _outputs,
      expiresAt: _expiresAt,
      progress: _progress,
      error: _error,
      idempotencyKey: _key,
      ...rest
    } = rec;
    await cp.put({ ...rest, state: 'planned', reservedUsd: 0 });
  }
}

async function abandonInFlight(cp: CheckpointStore): Promise<void> {
  const stale = [...cp.allRecords()].filter((r) => IN_FLIGHT.has(r.state));
  for (const rec of stale) {
    const { task: _task, outputs: _outputs, expiresAt: _expiresAt, progress: _progress, ...rest } = rec;
    await cp.put({ ...rest, state: 'planned', reservedUsd: 0, heldUsd: undefined });
  }
}

/** The run directory's state as of now, read without the lock (for `status` and `resume`). */
export async function readRunState(runDir: string): Promise<
  | {
      jobs: Job[];
      records: Record<string, JobRecord>;
      approvedUsd: number;
      capUsd?: number;
      spentUsd: number;
      /** Set when checkpoint.json could not be used and the state was rebuilt. */
      recovered?: Recovery;
      damagedEntries: number;
    }
  | undefined
> {
  const cp = await loadCheckpoint(runDir);
  if (!cp) return undefined;
  return {
    jobs: cp.jobs,
    records: cp.records,
    approvedUsd: cp.approvedUsd,
    capUsd: cp.capUsd,
    spentUsd: cp.spentUsd,
    ...(cp.recovered ? { recovered: cp.recovered } : {}),
    damagedEntries: cp.damagedEntries,
  };
}
