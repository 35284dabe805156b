/** What every phase of a job's life needs, built once per run by `executeRun`. */
import type { Clock } from '../clock.ts';
import type { RunDirWriteError } from '../errors.ts';
import type { ProbeResult } from '../media/ffmpeg.ts';
import type { Job } from '../plan/types.ts';
import type { Provider, ProviderEnv } from '../providers/types.ts';
import { addUsd, type BudgetLedger } from './budget.ts';
import type { CheckpointStore } from './checkpoint.ts';
import type { EventSink } from './events.ts';
import type { ProviderBinding } from './binding.ts';
import type { ImageUploads } from './images.ts';
import type { ProviderLimiter } from './limiter.ts';
import type { Rng } from './retry.ts';
import type { JobRecord, JobState } from './types.ts';

/** One provider as the run sees it: adapter, env (with the run's abort signal), limiter, stop switch. */
export interface ProviderRuntime {
  name: string;
  provider: Provider;
  binding: ProviderBinding;
  env: ProviderEnv;
  limiter: ProviderLimiter;
  /** Aborted when the provider stops taking work (quota exhausted): wakes its waiting workers. */
  stop: AbortController;
  /** Aborted when the run is interrupted or this provider stopped (built once: signals are not free). */
  halt: AbortSignal;
  stopReason?: string;
  /** Where callbacks for this provider should be sent, in callback mode. */
  callbackUrl?: string;
}

export interface RunContext {
  runDir: string;
  cp: CheckpointStore;
  ledger: BudgetLedger;
  clock: Clock;
  signal: AbortSignal;
  emit: EventSink;
  rng: Rng;
  resubmitUnknown: boolean;
  callbackMode: boolean;
  /** Wake a task's poll loop now (a callback arrived). Keyed by `${provider}\u0000${taskId}`. */
  wakers: Map<string, () => void>;
  messages: string[];
  /** Poll-after hints from create answers, consumed by each task's first poll. */
  pollHints: Map<string, number>;
  /** Render times learned this run, per kind of task (see `renderKey`). */
  renderEstimates: Map<string, number>;
  /** When this run started: tasks submitted before it (resumed) do not teach render times. */
  startedAt: number;
  stopProvider(rt: ProviderRuntime, reason: string): void;
  /** Re-hash downloaded clips on resume even when size, mtime and inode are unchanged. */
  verifyClips: boolean;
  /** The run directory refused a write: stop everything cleanly (the CLI exits 4). */
  fail(e: RunDirWriteError): void;
  probe?: (file: string) => Promise<ProbeResult>;
  /** Local reference images uploaded this run (once per file and provider). */
  images: ImageUploads;
  /** Counters for benchmarks and tests. */
  stats: { statusRequests: number; submitRequests: number; downloads: number };
}

export const renderKey = (job: Job): string => `${job.provider}|${job.wireModel}|${job.seconds}|${job.resolution}`;

export const wakerKey = (provider: string, taskId: string): string => `${provider}\u0000${taskId}`;

/** Make a state change durable, then announce it. Everything after this call may assume it survived. */
export async function setState(
  ctx: RunContext,
  rec: JobRecord,
  to: JobState,
  patch: Partial<JobRecord> = {},
  detail?: string,
): Promise<JobRecord> {
  const next: JobRecord = { ...rec, ...patch, state: to };
  await ctx.cp.put(next);
  if (rec.state !== to) ctx.emit({ kind: 'job.state', at: ctx.clock.now(), job: rec.id, from: rec.state, to, detail });
  return next;
}

/**
 * A job's reservation ends: settled when the provider charged it, released when not. Returns the
 * record's new money fields. The only way a reservation ends after its submit (track and submit).
 */
export function endReservation(ctx: RunContext, rec: JobRecord, charged: boolean): { spentUsd: number; reservedUsd: 0 } {
  const spent = ctx.ledger.end(rec.reservedUsd, charged);
  emitBudget(ctx);
  return { spentUsd: addUsd(rec.spentUsd, spent), reservedUsd: 0 };
}

export function emitBudget(ctx: RunContext): void {
  ctx.emit({
    kind: 'budget',
    at: ctx.clock.now(),
    reservedUsd: ctx.ledger.reservedUsd,
    spentUsd: ctx.ledger.spentUsd,
    approvedUsd: ctx.ledger.approvedUsd,
  });
}

/** Stopping work for this provider or for the whole run. */
export const halted = (ctx: RunContext, rt: ProviderRuntime): boolean => ctx.signal.aborted || rt.stop.signal.aborted;

export type JobPhase = (ctx: RunContext, rt: ProviderRuntime, job: Job, rec: JobRecord) => Promise<JobRecord>;
