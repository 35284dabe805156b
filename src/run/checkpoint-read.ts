/**
 * Reading a run's durable state, whatever a crash, a full disk or a careless hand did to it:
 * the snapshot (sealed: length + checksum), else the previous snapshot, else the journal alone
 * when it reaches back to the start; then every journal entry newer than the base, in order.
 * A damaged journal entry never sends its job back to `planned`: that job becomes `unknown`
 * (reconciled where the provider allows), and the damage is counted.
 */
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { UsageError } from '../errors.ts';
import type { Job } from '../plan/types.ts';
import { parseJournal, type DamagedEntry } from './journal.ts';
import { errnoOf, runPaths, unsealJson } from './rundir.ts';
import type { JobRecord } from './types.ts';

export interface CheckpointData {
  version: 1;
  /** Last journal sequence number folded into this snapshot. */
  seq: number;
  approvedUsd: number;
  capUsd?: number;
  spentUsd: number;
  /** The current plan's jobs, manifest order. */
  jobs: Job[];
  /** Jobs of earlier plans that the current one dropped; their records are kept. */
  droppedJobs?: Job[];
  records: Record<string, JobRecord>;
}

/** How the state was rebuilt when the snapshot could not be used as is. */
export interface Recovery {
  /** `previous`: checkpoint.prev.json + journals; `journal`: the journals alone (plan and approval not recorded). */
  from: 'previous' | 'journal';
  /** Why checkpoint.json was not used (missing, cut short, checksum mismatch, …). */
  reason: string;
}

export interface LoadedCheckpoint extends CheckpointData {
  /** Journal lines not replayed (a torn tail and damaged lines). */
  journalSkipped: number;
  /** Damaged journal entries (their jobs became `unknown` if they would otherwise look unsent). */
  damagedEntries: number;
  recovered?: Recovery;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const STATES = new Set([
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
]);

// Shallow checks of what the reader relies on; the rest was validated when it was written.
const recordLike = z.custom<JobRecord>(
  (v) =>
    isObj(v) &&
    typeof v.id === 'string' &&
    typeof v.state === 'string' &&
    STATES.has(v.state) &&
    typeof v.attempts === 'number' &&
    typeof v.reservedUsd === 'number' &&
    typeof v.spentUsd === 'number' &&
    isObj(v.timings),
  { message: 'not a job record' },
);
const jobLike = z
  .custom<Job>((v) => isObj(v) && typeof v.id === 'string' && typeof v.provider === 'string' && isObj(v.cost), {
    message: 'not a job',
  })
  .transform(upgradeJob);

/** Runs planned before the request's camelCase names kept the negative prompt as `negative_prompt`. */
function upgradeJob(job: Job): Job {
  const legacy: unknown = Reflect.get(job, 'negative_prompt');
  return job.negativePrompt === undefined && typeof legacy === 'string' ? { ...job, negativePrompt: legacy } : job;
}

const snapshotSchema = z.object({
  version: z.literal(1),
  seq: z.number().int().nonnegative(),
  approvedUsd: z.number(),
  capUsd: z.number().optional(),
  spentUsd: z.number(),
  jobs: z.array(jobLike),
  droppedJobs: z.array(jobLike).optional(),
  records: z.record(z.string(), recordLike),
});

type SnapshotRead = { kind: 'ok'; data: CheckpointData } | { kind: 'missing' } | { kind: 'corrupt'; reason: string };

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw e;
  }
}

export function decodeSnapshot(text: string): SnapshotRead {
  let raw: unknown;
  const sealed = unsealJson(text);
  if (sealed.ok) raw = sealed.value;
  else if (text.startsWith('{"version"')) {
    // A snapshot from before snapshots were sealed: accepted when it parses and validates.
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return { kind: 'corrupt', reason: e instanceof Error ? e.message : String(e) };
    }
  } else return { kind: 'corrupt', reason: sealed.reason };
  const parsed = snapshotSchema.safeParse(raw);
  if (!parsed.success) return { kind: 'corrupt', reason: parsed.error.issues[0]?.message ?? 'invalid' };
  const d = parsed.data;
  const data: CheckpointData = {
    version: 1,
    seq: d.seq,
    approvedUsd: d.approvedUsd,
    spentUsd: d.spentUsd,
    jobs: d.jobs,
    records: d.records,
  };
  if (d.capUsd !== undefined) data.capUsd = d.capUsd;
  if (d.droppedJobs !== undefined) data.droppedJobs = d.droppedJobs;
  return { kind: 'ok', data };
}

async function readSnapshot(path: string): Promise<SnapshotRead> {
  const text = await readText(path);
  return text === undefined ? { kind: 'missing' } : decodeSnapshot(text);
}

export const spentOf = (records: Iterable<JobRecord>): number => {
  let micro = 0;
  for (const r of records) micro += Math.round(r.spentUsd * 1e6);
  return micro / 1e6;
};

/** Thrown when neither snapshot is usable and the journal does not reach back to the start. */
export class CheckpointLostError extends UsageError {
  override name = 'CheckpointLostError';
}

/**
 * Read snapshot + journal once (no lock needed). undefined only for a directory that holds no run
 * state at all; a directory with run state never reads as empty.
 */
export async function loadOnce(runDir: string): Promise<LoadedCheckpoint | undefined> {
  const p = runPaths(runDir);
  const [cur, journalText, prevJournalText] = await Promise.all([readSnapshot(p.snapshot), readText(p.journal), readText(p.journalPrev)]);
  let base: CheckpointData | undefined;
  let recovered: Recovery | undefined;
  if (cur.kind === 'ok') base = cur.data;
  else {
    const reason = cur.kind === 'missing' ? 'checkpoint.json is missing' : `checkpoint.json is damaged (${cur.reason})`;
    const prev = await readSnapshot(p.snapshotPrev);
    if (prev.kind === 'ok') {
      base = prev.data;
      recovered = { from: 'previous', reason };
    } else if (cur.kind === 'missing' && prev.kind === 'missing' && journalText === undefined && prevJournalText === undefined) {
      return undefined; // not a run directory (yet)
    } else {
      recovered = { from: 'journal', reason };
    }
  }
  // Older segment first: entries are applied in sequence order, and each file is in order.
  const older = parseJournal<JobRecord>(prevJournalText ?? '');
  const newer = parseJournal<JobRecord>(journalText ?? '');
  const entries = [...older.entries, ...newer.entries].sort((a, b) => a.s - b.s);
  if (!base && entries.length === 0 && older.damaged.length + newer.damaged.length === 0 && cur.kind === 'missing') {
    return undefined; // an empty journal holds no state: a run directory being created, not a damaged one
  }
  if (!base) {
    // The journals alone: only sound if they hold every change since the run directory began.
    const first = entries[0]?.s ?? 1;
    if (first !== 1) {
      throw new CheckpointLostError(
        `${runDir}: ${recovered?.reason ?? 'no snapshot'}, and checkpoint.prev.json cannot replace it; ` +
          `the journal starts at entry ${first}, so the state of earlier jobs is not known. Nothing was run. ` +
          `Restore checkpoint.json (or checkpoint.prev.json) from a backup, then resume`,
      );
    }
    base = { version: 1, seq: 0, approvedUsd: 0, spentUsd: 0, jobs: [], records: {} };
  }
  const snap = base;
  // Damage older than the base is folded into it already; the older segment's damage matters only when replayed.
  const damaged: DamagedEntry[] = [...newer.damaged, ...(recovered ? older.damaged : [])];
  const next = entries.find((e) => e.s > snap.seq);
  if (recovered && next && next.s !== snap.seq + 1 && damaged.length === 0) {
    throw new CheckpointLostError(
      `${runDir}: ${recovered.reason}; the previous snapshot ends at entry ${snap.seq} but the journal resumes at ${next.s}, ` +
        `so some changes are not known. Nothing was run. Restore checkpoint.json from a backup, then resume`,
    );
  }
  let seq = snap.seq;
  const lastSeqOf = new Map<string, number>();
  for (const e of entries) {
    if (e.s <= snap.seq) continue; // already folded into the snapshot (crash between rename and rotate)
    snap.records[e.r.id] = e.r;
    lastSeqOf.set(e.r.id, e.s);
    seq = Math.max(seq, e.s);
  }
  snap.seq = seq;
  markDamaged(snap, damaged, lastSeqOf);
  snap.spentUsd = spentOf(Object.values(snap.records));
  const out: LoadedCheckpoint = {
    ...snap,
    journalSkipped: older.skipped * (recovered ? 1 : 0) + newer.skipped,
    damagedEntries: damaged.length,
  };
  if (recovered) out.recovered = recovered;
  return out;
}

/**
 * A damaged entry may have been the job's `submitting` intent or its task id: a job that would now
 * read as never sent becomes `unknown` instead (its cost held), so it is reconciled, never paid twice.
 */
function markDamaged(snap: CheckpointData, damaged: DamagedEntry[], lastSeqOf: Map<string, number>): void {
  const costOf = new Map([...snap.jobs, ...(snap.droppedJobs ?? [])].map((j) => [j.id, j.cost.usd ?? 0]));
  for (const d of damaged) {
    if (!d.jobId) continue;
    const later = lastSeqOf.get(d.jobId);
    if (later !== undefined && d.seq !== undefined && later > d.seq) continue; // superseded by a good entry
    const rec = snap.records[d.jobId];
    if (rec && rec.state !== 'planned') continue; // its recorded state already says it may exist
    snap.records[d.jobId] = {
      id: d.jobId,
      attempts: rec?.attempts ?? 0,
      reservedUsd: rec?.reservedUsd || costOf.get(d.jobId) || 0,
      spentUsd: rec?.spentUsd ?? 0,
      timings: rec?.timings ?? {},
      state: 'unknown',
      error: { code: 'journal_damaged', message: 'a damaged checkpoint entry may have recorded a create: reconcile before sending again' },
    };
  }
}

/**
 * Read snapshot + journal without the lock (`status` during a run). A compaction can replace the
 * snapshot and rotate the journal between our reads; we notice (the snapshot changed under us)
 * and read again, so a reader never sees an older state than the journal implied.
 */
export async function loadCheckpoint(runDir: string): Promise<LoadedCheckpoint | undefined> {
  for (let attempt = 0; ; attempt++) {
    const before = await snapshotStamp(runDir);
    const loaded = await loadOnce(runDir);
    if (!loaded) return undefined;
    const after = await snapshotStamp(runDir);
    if (attempt >= 4 || after === before) return loaded;
  }
}

async function snapshotStamp(runDir: string): Promise<string> {
  try {
    const st = await stat(runPaths(runDir).snapshot);
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return 'none';
    throw e;
  }
}
