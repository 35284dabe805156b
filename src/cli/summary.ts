/**
 * Where a run stands, from its checkpoint (+ lock): the one summary behind `status`, `status --json`,
 * `run --json` and the end-of-run lines. Pure apart from `readLock`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addUsd } from '../money.ts';
import type { Job } from '../plan/types.ts';
import { isLockLive, LOCK_FILE } from '../run/lock.ts';
import type { JobRecord, JobState } from '../run/types.ts';
import { TERMINAL_STATES } from '../run/types.ts';
import type { StatusJson } from './status-shape.ts';

export interface RunStateView {
  jobs: Job[];
  records: Record<string, JobRecord>;
  approvedUsd: number;
  capUsd?: number;
  spentUsd: number;
}

export interface LockView {
  pid: number;
  startedAt: number;
  live: boolean;
}

const FAILED: ReadonlySet<JobState> = new Set(['failed', 'rejected', 'expired', 'unknown']);
const CHARGED: ReadonlySet<JobState> = new Set(['succeeded', 'downloaded']);
/** Job ids listed per failure reason. */
const FIRST_IDS = 5;

/** The lock file as left by the last process; `live` says whether that process still runs (this host). */
export async function readLock(runDir: string): Promise<LockView | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(runDir, LOCK_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || !('pid' in raw) || typeof raw.pid !== 'number') return undefined;
  const startedAt = 'startedAt' in raw && typeof raw.startedAt === 'number' ? raw.startedAt : 0;
  const procStart = 'procStart' in raw && typeof raw.procStart === 'string' ? raw.procStart : undefined;
  return { pid: raw.pid, startedAt, live: isLockLive({ ...raw, pid: raw.pid, startedAt, procStart }) };
}

/** Median render seconds seen per provider (submitted → completed), for the ETA. */
export function observedRenderSeconds(state: RunStateView): Record<string, number> {
  const per = new Map<string, number[]>();
  for (const job of state.jobs) {
    const t = state.records[job.id]?.timings;
    if (t?.submittedAt === undefined || t.completedAt === undefined) continue;
    const list = per.get(job.provider) ?? [];
    list.push((t.completedAt - t.submittedAt) / 1000);
    per.set(job.provider, list);
  }
  const out: Record<string, number> = {};
  for (const [p, list] of per) out[p] = list.sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  return out;
}

/** Jobs not yet in a final state: what an ETA (or a resumed run) is about. */
export function unfinishedJobs(state: RunStateView): Job[] {
  return state.jobs.filter((j) => !TERMINAL_STATES.includes(state.records[j.id]?.state ?? 'planned'));
}

export type FailureGroup = StatusJson['failures'][number];

/** Failed/rejected/expired/unknown jobs grouped by reason, largest group first, with the first few ids. */
export function failuresByReason(state: RunStateView): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const job of state.jobs) {
    const rec = state.records[job.id];
    if (!rec || !FAILED.has(rec.state)) continue;
    const reason = rec.error?.code ?? rec.state;
    const g = groups.get(reason) ?? { reason, count: 0, jobs: [], message: rec.error?.message ?? '' };
    g.count++;
    if (g.jobs.length < FIRST_IDS) g.jobs.push(job.id);
    groups.set(reason, g);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

export function buildStatus(runDir: string, state: RunStateView, lock: LockView | undefined, etaSeconds: number | null): StatusJson {
  const counts: Record<string, number> = {};
  const byProvider: Record<string, Record<string, number>> = {};
  const reserved: number[] = [];
  let unpriced = 0;
  let unpricedCharged = 0;
  let finished = true;
  for (const job of state.jobs) {
    const rec = state.records[job.id];
    const st = rec?.state ?? 'planned';
    counts[st] = (counts[st] ?? 0) + 1;
    const p = (byProvider[job.provider] ??= {});
    p[st] = (p[st] ?? 0) + 1;
    reserved.push(rec?.reservedUsd ?? 0, rec?.heldUsd ?? 0);
    if (job.cost.usd === null) {
      unpriced++;
      if (CHARGED.has(st)) unpricedCharged++;
    }
    if (!TERMINAL_STATES.includes(st)) finished = false;
  }
  const running = lock?.live ?? false;
  return {
    run_dir: runDir,
    state: running ? 'running' : finished ? 'finished' : 'stopped',
    running,
    lock: lock ? { pid: lock.pid, started_at: new Date(lock.startedAt).toISOString(), live: lock.live } : null,
    jobs: state.jobs.length,
    counts,
    by_provider: byProvider,
    spent_usd: state.spentUsd,
    reserved_usd: addUsd(...reserved),
    approved_usd: state.approvedUsd,
    cap_usd: state.capUsd ?? null,
    unpriced: { jobs: unpriced, charged: unpricedCharged },
    failures: failuresByReason(state),
    eta_seconds: finished ? null : etaSeconds,
  };
}

const ORDER: JobState[] = [
  'planned',
  'submitting',
  'submitted',
  'running',
  'succeeded',
  'downloaded',
  'rejected',
  'failed',
  'expired',
  'unknown',
];

function countsText(counts: Record<string, number>): string {
  return ORDER.filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${s} ${counts[s]}`)
    .join(' · ');
}

/** Failures by reason, the first few ids of each: for `status` and the end-of-run summary. */
export function renderFailures(failures: readonly FailureGroup[], indent = '  '): string[] {
  return failures.map((f) => {
    const more = f.count > f.jobs.length ? `, … ${f.count - f.jobs.length} more` : '';
    return `${indent}${f.reason}${f.message ? `: ${f.message}` : ''} (×${f.count}: ${f.jobs.join(', ')}${more})`;
  });
}

export function renderStatusText(s: StatusJson, formatDuration: (seconds: number) => string): string {
  const done = TERMINAL_STATES.reduce((n, st) => n + (s.counts[st] ?? 0), 0);
  const head =
    s.state === 'running'
      ? `running (pid ${s.lock?.pid}, since ${s.lock?.started_at})`
      : s.state === 'finished'
        ? 'finished'
        : `stopped: no process is running it${s.lock ? ` (stale lock of pid ${s.lock.pid})` : ''}; continue with: shotlist resume ${s.run_dir}`;
  const lines = [head, `${done}/${s.jobs} jobs finished`];
  lines.push(...ORDER.filter((st) => (s.counts[st] ?? 0) > 0).map((st) => `  ${st.padEnd(11)} ${s.counts[st]}`));
  const providers = Object.entries(s.by_provider);
  if (providers.length > 1) for (const [p, c] of providers) lines.push(`  ${p}: ${countsText(c)}`);
  const unpriced = s.unpriced.charged > 0 ? ` + ${s.unpriced.charged} unpriced` : '';
  lines.push(
    `spent $${s.spent_usd.toFixed(2)}${unpriced}${s.reserved_usd > 0 ? ` (+ $${s.reserved_usd.toFixed(2)} reserved)` : ''} of $${s.approved_usd.toFixed(2)} approved${
      s.cap_usd !== null ? `, cap $${s.cap_usd.toFixed(2)}` : ''
    }`,
  );
  if (s.unpriced.jobs > 0) lines.push(`  ${s.unpriced.jobs} unpriced job(s): not bounded by the cap, not in the dollar totals`);
  if (s.failures.length > 0) {
    lines.push('failures by reason:');
    lines.push(...renderFailures(s.failures));
  }
  if (s.eta_seconds !== null)
    lines.push(`ETA ~${formatDuration(s.eta_seconds)} for the ${s.jobs - done} unfinished job(s)${s.running ? '' : ' once resumed'}`);
  return lines.join('\n');
}
