/**
 * The executor: takes an approved plan and a run directory and drives every job to a final
 * state within the providers' limits and the budget, resumable from its checkpoint at any instant.
 */
import { setMaxListeners } from 'node:events';
import type { ProviderLimits } from '../catalog/types.ts';
import type { Clock } from '../clock.ts';
import type { ProbeResult } from '../media/ffmpeg.ts';
import type { Job } from '../plan/types.ts';
import type { ProviderBinding } from './binding.ts';
import { BudgetLedger } from './budget.ts';
import { startCallbackReceiver, type CallbackReceiver } from './callbacks.ts';
import { CheckpointStore, loadCheckpoint, type CheckpointOptions } from './checkpoint.ts';
import { setState, type ProviderRuntime, type RunContext } from './context.ts';
import { verifyExistingClip } from './download.ts';
import type { EventSink } from './events.ts';
import { gatedFetch } from './gate.ts';
import { runJob } from './job.ts';
import { Semaphore, effectiveLimits, ProviderLimiter } from './limiter.ts';
import { acquireRunLock } from './lock.ts';
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
  callbacks?: { listen: string; publicUrl: string; secrets: Partial<Record<string, string>> };
  limitsOverride?: Partial<ProviderLimits>;
  /** Jitter source (tests). Default Math.random. */
  rng?: Rng;
  checkpoint?: CheckpointOptions;
  /** Media check of downloaded clips; default ffprobe (benchmarks inject a stub). */
  probe?: (file: string) => Promise<ProbeResult>;
  /** Receives request counters and checkpoint bytes at the end (benchmarks). */
  onStats?: (s: RunStats) => void;
}

export interface RunStats {
  statusRequests: number;
  submitRequests: number;
  downloads: number;
  checkpointBytes: number;
}

export type RunOutcome = {
  kind: 'completed' | 'completed_with_failures' | 'interrupted' | 'provider_stopped';
  counts: Partial<Record<JobState, number>>;
  spentUsd: number;
  messages: string[];
};

export async function executeRun(opts: ExecuteOptions): Promise<RunOutcome> {
  const lock = await acquireRunLock(opts.runDir, () => opts.clock.now());
  try {
    const { store, resumed } = await CheckpointStore.open(
      opts.runDir,
      { jobs: opts.jobs, approvedUsd: opts.approvedUsd, capUsd: opts.capUsd },
      opts.checkpoint,
    );
    let stats: RunContext['stats'] | undefined;
    try {
      const out = await runWithStore(opts, store, resumed, (s) => (stats = s));
      return out;
    } finally {
      await store.close();
      // After the final compaction, so the benchmark counts every byte the run wrote.
      if (stats) opts.onStats?.({ ...stats, checkpointBytes: store.bytesWritten });
    }
  } finally {
    await lock.release();
  }
}

async function runWithStore(
  opts: ExecuteOptions,
  cp: CheckpointStore,
  resumed: boolean,
  shareStats: (s: RunContext['stats']) => void,
): Promise<RunOutcome> {
  const { clock, events: emit } = opts;
  setMaxListeners(0, opts.signal);
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
    stopProvider(rt, reason) {
      if (rt.stop.signal.aborted) return;
      rt.stopReason = reason;
      rt.stop.abort();
      emit({ kind: 'provider.stopped', at: clock.now(), provider: rt.provider.name, reason });
    },
  };
  shareStats(ctx.stats);
  const publicBase = opts.callbacks?.publicUrl.replace(/\/+$/, '');
  const runtime = (name: string): ProviderRuntime => {
    const hit = runtimes.get(name);
    if (hit) return hit;
    const binding = opts.bind(name);
    const limits = effectiveLimits(binding.limits, opts.limitsOverride);
    // One limiter per provider + key: two names sharing an account share its limits.
    const lkey = `${binding.provider.name}\u0000${binding.env.apiKey}`;
    const limiter = limiters.get(lkey) ?? new ProviderLimiter(clock, limits);
    limiters.set(lkey, limiter);
    const signal = binding.env.signal ? AbortSignal.any([binding.env.signal, opts.signal]) : opts.signal;
    const stop = new AbortController();
    const halt = AbortSignal.any([opts.signal, stop.signal]);
    // Thousands of tasks wait on these at once: that is by design, not a leak.
    setMaxListeners(0, stop.signal, halt, signal);
    const rt: ProviderRuntime = {
      name,
      halt,
      provider: binding.provider,
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
  for (const job of opts.jobs) {
    const list = byProvider.get(job.provider) ?? [];
    list.push(job);
    byProvider.set(job.provider, list);
  }
  for (const name of byProvider.keys()) runtime(name);

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
    });
  }
  const running = new Set<Promise<void>>();
  const launch = (p: Promise<void>): void => {
    running.add(p);
    void p.finally(() => running.delete(p));
  };
  const verifySlots = new Semaphore(4);
  try {
    await Promise.all([...byProvider].map(([name, jobs]) => dispatch(ctx, runtime(name), jobs, launch, verifySlots)));
    while (running.size > 0) await Promise.all([...running]);
  } finally {
    await receiver?.close();
  }
  return finish(opts, ctx, runtimes);
}

/** Start every job of one provider: resumed tasks first (they already hold provider capacity), then new submits. */
async function dispatch(
  ctx: RunContext,
  rt: ProviderRuntime,
  jobs: Job[],
  launch: (p: Promise<void>) => void,
  verifySlots: Semaphore,
): Promise<void> {
  const slot = () => rt.limiter.inFlight.release();
  const queue: Job[] = [];
  for (const job of jobs) {
    const rec = ctx.cp.get(job.id);
    if (!rec) continue;
    switch (rec.state) {
      case 'submitting':
      case 'submitted':
      case 'running':
        rt.limiter.inFlight.forceAcquire();
        launch(runJob(ctx, rt, job, slot));
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
        if (ctx.resubmitUnknown) queue.push(job);
        break;
      default:
        break;
    }
  }
  for (const job of queue) {
    if (!(await rt.limiter.inFlight.acquire(rt.halt))) break;
    launch(runJob(ctx, rt, job, slot));
  }
}

/** A downloaded clip is trusted only if it is still there with the recorded size and hash. */
async function reverify(ctx: RunContext, rt: ProviderRuntime, job: Job, rec: JobRecord, slots: Semaphore): Promise<void> {
  if (!rec.clip || !(await slots.acquire(ctx.signal))) return;
  let ok: boolean;
  try {
    ok = await verifyExistingClip(ctx.runDir, rec.clip);
  } catch {
    ok = false; // unreadable counts as missing
  } finally {
    slots.release();
  }
  if (ok || ctx.signal.aborted) return;
  await setState(ctx, rec, 'succeeded', { clip: undefined }, 'clip missing or changed on disk: downloading again');
  await runJob(ctx, rt, job, () => undefined);
}

function finish(opts: ExecuteOptions, ctx: RunContext, runtimes: Map<string, ProviderRuntime>): RunOutcome {
  const counts: Partial<Record<JobState, number>> = {};
  const plannedBy = new Map<string, number>();
  for (const job of opts.jobs) {
    const state = ctx.cp.get(job.id)?.state ?? 'planned';
    counts[state] = (counts[state] ?? 0) + 1;
    if (state === 'planned') plannedBy.set(job.provider, (plannedBy.get(job.provider) ?? 0) + 1);
  }
  const messages = [...ctx.messages];
  let stopped = false;
  for (const rt of runtimes.values()) {
    if (!rt.stopReason) continue;
    stopped = true;
    messages.push(
      `${rt.name} stopped taking work (${rt.stopReason}); ${plannedBy.get(rt.name) ?? 0} job(s) left planned: add credit, then resume`,
    );
  }
  if (!opts.signal.aborted) {
    const overBudget = [...plannedBy].filter(([p]) => !runtimes.get(p)?.stopReason).reduce((n, [, c]) => n + c, 0);
    if (overBudget > 0) messages.push(`${overBudget} job(s) not submitted: they would pass the budget ($${ctx.ledger.limitUsd.toFixed(2)})`);
  }
  if (counts.unknown) {
    messages.push(`${counts.unknown} job(s) unknown: a submit may or may not have created a task; resume with --resubmit-unknown to submit them again`);
  }
  const spentUsd = ctx.ledger.spentUsd;
  opts.events({ kind: 'run.finished', at: ctx.clock.now(), counts, spentUsd });
  const kind = opts.signal.aborted
    ? 'interrupted'
    : stopped
      ? 'provider_stopped'
      : (counts.downloaded ?? 0) === opts.jobs.length
        ? 'completed'
        : 'completed_with_failures';
  return { kind, counts, spentUsd, messages };
}

/** The run directory's state as of now, read without the lock (for `status` and `resume`). */
export async function readRunState(
  runDir: string,
): Promise<{ jobs: Job[]; records: Record<string, JobRecord>; approvedUsd: number; capUsd?: number; spentUsd: number } | undefined> {
  const cp = await loadCheckpoint(runDir);
  if (!cp) return undefined;
  return { jobs: cp.jobs, records: cp.records, approvedUsd: cp.approvedUsd, capUsd: cp.capUsd, spentUsd: cp.spentUsd };
}
