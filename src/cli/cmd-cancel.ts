/**
 * `shotlist cancel <run-dir>`: ask each provider to stop every task of the run that is still in flight
 * (submitted or running), record what happened in the checkpoint, and say what could not be stopped.
 * It takes the run lock, so it never races a running `run`/`resume` over the same checkpoint.
 */
import { loadCatalog } from '../catalog/index.ts';
import { systemClock } from '../clock.ts';
import { UsageError } from '../errors.ts';
import type { Job } from '../plan/types.ts';
import type { CancelOutcome } from '../providers/types.ts';
import { acquireRunLock, CheckpointStore, readRunState, type JobRecord, type ProviderBinding } from '../run/index.ts';
import { makeBinder, missingKeys } from './bindings.ts';
import { formatUsd } from './format.ts';
import type { CliIO } from './io.ts';
import { requireRunDir } from './paths.ts';
import { readRunMeta } from './run-meta.ts';

/** What happened to one in-flight job. */
export type CancelResult =
  | { job: string; provider: string; kind: 'cancelled'; charged: boolean; spentUsd: number }
  | { job: string; provider: string; kind: 'already_done' | 'not_cancelled'; reason: string };

const IN_FLIGHT = new Set(['submitted', 'running']);

/**
 * Cancel every in-flight task recorded in an open checkpoint. A cancelled job ends `failed` with
 * error code `cancelled` (so resume never resubmits it); its cost is settled by the provider's rule:
 * charged → the reserved amount is spent, not charged → released.
 */
export async function cancelInFlight(
  store: CheckpointStore,
  bind: (provider: string) => ProviderBinding,
  now: () => number,
): Promise<CancelResult[]> {
  const jobs = new Map<string, Job>([...store.allDroppedJobs(), ...store.allJobs()].map((j) => [j.id, j]));
  const results: CancelResult[] = [];
  for (const rec of store.allRecords()) {
    const job = jobs.get(rec.id);
    if (!job || !IN_FLIGHT.has(rec.state) || !rec.task) continue;
    const { provider, env } = bind(job.provider);
    let out: CancelOutcome;
    if (!provider.cancel) out = { kind: 'unsupported', message: `${job.provider} offers no way to cancel a task` };
    else {
      try {
        out = await provider.cancel(env, rec.task);
      } catch (e) {
        out = { kind: 'failed', message: (e as Error).message };
      }
    }
    const base = { job: rec.id, provider: job.provider };
    if (out.kind === 'cancelled') {
      const cost = rec.reservedUsd > 0 ? rec.reservedUsd : (job.cost.usd ?? 0);
      const spentUsd = out.charged ? cost : 0;
      const next: JobRecord = {
        ...rec,
        state: 'failed',
        reservedUsd: 0,
        spentUsd: rec.spentUsd + spentUsd,
        error: { code: 'cancelled', message: `cancelled by shotlist cancel (${out.charged ? 'billed' : 'not billed'} by ${job.provider})` },
        timings: { ...rec.timings, completedAt: now() },
      };
      await store.put(next);
      results.push({ ...base, kind: 'cancelled', charged: out.charged, spentUsd });
    } else if (out.kind === 'already_done') {
      results.push({ ...base, kind: 'already_done', reason: 'already finished: resume to download it' });
    } else {
      results.push({ ...base, kind: 'not_cancelled', reason: out.message });
    }
  }
  return results;
}

export async function cancelCommand(dir: string, io: CliIO): Promise<number> {
  const runDir = requireRunDir(io.cwd, dir);
  const [meta, state] = await Promise.all([readRunMeta(runDir), readRunState(runDir)]);
  if (!meta || !state) throw new UsageError(`${runDir} is not a shotlist run directory (no run.json / checkpoint.json)`);
  if (meta.emulated) {
    io.out('emulated run: its tasks ended with the emulator that ran them; nothing to cancel');
    return 0;
  }
  const inFlight = state.jobs.filter((j) => IN_FLIGHT.has(state.records[j.id]?.state ?? ''));
  const catalog = await loadCatalog({ extraFiles: meta.catalogFiles });
  const missing = missingKeys(
    inFlight.map((j) => j.provider),
    io.env,
    false,
    { catalog, settings: meta.providers },
  );
  if (missing.length > 0) throw new UsageError(`missing API key in the environment: ${missing.join(', ')}`);
  const lock = await acquireRunLock(runDir);
  try {
    const signal = new AbortController().signal;
    const bind = makeBinder({ catalog, settings: meta.providers, env: io.env, runDir, clock: systemClock, signal });
    const { store } = await CheckpointStore.open(runDir, { jobs: state.jobs, approvedUsd: state.approvedUsd, capUsd: state.capUsd });
    let results: CancelResult[];
    try {
      results = await cancelInFlight(store, bind, () => systemClock.now());
    } finally {
      await store.close();
    }
    return report(results, io);
  } finally {
    await lock.release();
  }
}

/** Exit 0 when nothing is left paying; 1 when a task could not be stopped (it keeps running at the provider). */
function report(results: CancelResult[], io: CliIO): number {
  if (results.length === 0) {
    io.out('nothing in flight: no task to cancel');
    return 0;
  }
  for (const r of results) {
    if (r.kind === 'cancelled')
      io.out(`cancelled ${r.job} (${r.provider}): ${r.charged ? `billed ${formatUsd(r.spentUsd)}` : 'not billed'}`);
    else if (r.kind === 'already_done') io.out(`${r.job} (${r.provider}): ${r.reason}`);
    else io.err(`could not cancel ${r.job} (${r.provider}): ${r.reason}; it keeps running and may be billed`);
  }
  const stuck = results.filter((r) => r.kind === 'not_cancelled').length;
  const cancelled = results.filter((r) => r.kind === 'cancelled').length;
  io.out(`cancel: ${cancelled} cancelled, ${results.length - cancelled - stuck} already finished, ${stuck} could not be cancelled`);
  return stuck > 0 ? 1 : 0;
}
