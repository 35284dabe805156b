/**
 * `shotlist status <run-dir> [--json]`: works during a run (reads without taking the lock) and after.
 * Live or stopped comes from the lock (a live pid on this host); the ETA covers the unfinished jobs,
 * from observed render times when the run has any.
 */
import { loadCatalog } from '../catalog/index.ts';
import { UsageError } from '../errors.ts';
import { estimateEta, formatDuration } from '../plan/eta.ts';
import { readRunState } from '../run/index.ts';
import type { CliIO } from './io.ts';
import { requireRunDir } from './paths.ts';
import { recoveryText } from './progress.ts';
import { readRunMeta } from './run-meta.ts';
import { buildStatus, observedRenderSeconds, readLock, renderStatusText, unfinishedJobs, type RunStateView } from './summary.ts';
import type { StatusJson } from './status-shape.ts';

export async function statusOf(runDir: string, state: RunStateView): Promise<StatusJson> {
  const [lock, meta] = await Promise.all([readLock(runDir), readRunMeta(runDir).catch(() => undefined)]);
  const left = unfinishedJobs(state);
  let eta: number | null = null;
  if (left.length > 0) {
    const catalog = await loadCatalog({ extraFiles: meta?.catalogFiles ?? [] }).catch(() => undefined);
    if (catalog) eta = estimateEta(left, catalog, meta?.providers ?? {}, observedRenderSeconds(state)).seconds;
  }
  return buildStatus(runDir, state, lock, eta);
}

export async function statusCommand(dir: string, flags: { json?: boolean }, io: CliIO): Promise<number> {
  const runDir = requireRunDir(io.cwd, dir);
  const state = await readRunState(runDir);
  if (!state) throw new UsageError(`${dir} has no checkpoint (not a shotlist run directory, or nothing was approved yet)`);
  if (state.recovered || state.damagedEntries > 0) {
    io.err(`note: ${recoveryText({ from: state.recovered?.from, reason: state.recovered?.reason, damagedEntries: state.damagedEntries })}`);
  }
  const status = await statusOf(runDir, state);
  io.out(flags.json ? JSON.stringify(status) : renderStatusText(status, formatDuration));
  return 0;
}
