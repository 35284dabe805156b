/**
 * The run's durable state: a snapshot (`checkpoint.json`, replaced atomically) plus an append-only
 * journal (`checkpoint.journal`, one small fsync'd line per state change). The journal is folded
 * into the snapshot once it holds about twice as many entries as there are jobs, so bytes written
 * per job stay constant however large the run grows. A crash at any instant leaves either the old
 * or the new snapshot, and a journal whose entries are replayed by sequence number.
 */
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Job } from '../plan/types.ts';
import { Journal, parseJournal } from './journal.ts';
import type { JobRecord } from './types.ts';

export const SNAPSHOT_FILE = 'checkpoint.json';
export const JOURNAL_FILE = 'checkpoint.journal';

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

export function plannedRecord(id: string): JobRecord {
  return { id, state: 'planned', attempts: 0, reservedUsd: 0, spentUsd: 0, timings: {} };
}

const spentOf = (records: Iterable<JobRecord>): number => {
  let micro = 0;
  for (const r of records) micro += Math.round(r.spentUsd * 1e6);
  return micro / 1e6;
};

/**
 * Read snapshot + journal without the lock (`status` during a run). A compaction can replace the
 * snapshot and empty the journal between our two reads; we notice (the snapshot changed under us)
 * and read again, so a reader never sees an older state than the journal implied.
 */
export async function loadCheckpoint(runDir: string): Promise<(CheckpointData & { journalSkipped: number }) | undefined> {
  for (let attempt = 0; ; attempt++) {
    const before = await snapshotStamp(runDir);
    if (!before) return undefined;
    const loaded = await loadOnce(runDir);
    if (!loaded) return undefined;
    const after = await snapshotStamp(runDir);
    if (attempt >= 4 || (after && after === before)) return loaded;
  }
}

async function snapshotStamp(runDir: string): Promise<string | undefined> {
  try {
    const st = await stat(join(runDir, SNAPSHOT_FILE));
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function loadOnce(runDir: string): Promise<(CheckpointData & { journalSkipped: number }) | undefined> {
  let snapText: string;
  try {
    snapText = await readFile(join(runDir, SNAPSHOT_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const snap = JSON.parse(snapText) as CheckpointData;
  let journalText = '';
  try {
    journalText = await readFile(join(runDir, JOURNAL_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const { entries, skipped } = parseJournal<JobRecord>(journalText);
  let seq = snap.seq;
  for (const e of entries) {
    if (e.s <= snap.seq) continue; // already folded into the snapshot (crash between rename and truncate)
    snap.records[e.r.id] = e.r;
    seq = Math.max(seq, e.s);
  }
  snap.seq = seq;
  snap.spentUsd = spentOf(Object.values(snap.records));
  return { ...snap, journalSkipped: skipped };
}

async function writeFileDurably(path: string, text: string): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}`;
  const buf = Buffer.from(text, 'utf8');
  const fh = await open(tmp, 'w');
  try {
    await fh.write(buf, 0, buf.length);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
  return buf.length;
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* some filesystems refuse fsync on directories; the rename is still atomic */
  }
}

export interface CheckpointOptions {
  /** Fold the journal into the snapshot after this many entries. Default: max(1000, 2 × records). */
  compactEvery?: number;
}

export interface OpenInit {
  jobs: Job[];
  approvedUsd: number;
  capUsd?: number;
}

export class CheckpointStore {
  private readonly records = new Map<string, JobRecord>();
  private jobs: Job[];
  private droppedJobs?: Job[];
  private seq: number;
  private sinceCompact = 0;
  private snapshotBytes = 0;
  private closed = false;
  private forceCompact = false;

  private constructor(
    private readonly runDir: string,
    data: CheckpointData,
    private readonly journal: Journal,
    private readonly opts: CheckpointOptions,
  ) {
    this.jobs = data.jobs;
    this.droppedJobs = data.droppedJobs;
    this.seq = data.seq;
    this.approvedUsd = data.approvedUsd;
    this.capUsd = data.capUsd;
    for (const r of Object.values(data.records)) this.records.set(r.id, r);
    journal.onBatch = (n) => this.maybeCompact(n);
  }

  approvedUsd: number;
  capUsd?: number;

  /**
   * Open (or create) the run directory's checkpoint, merge the plan's jobs into it (new jobs are
   * added as planned; records of jobs no longer in the plan are kept but not run) and write a fresh
   * snapshot, which also discards any torn journal tail before new lines are appended.
   */
  static async open(runDir: string, init: OpenInit, opts: CheckpointOptions = {}): Promise<{ store: CheckpointStore; resumed: boolean }> {
    // Leftovers of a snapshot write cut short by a crash (we hold the lock: nobody else writes here).
    for (const f of await readdir(runDir).catch(() => [] as string[])) {
      if (f.startsWith(`${SNAPSHOT_FILE}.tmp-`)) await unlink(join(runDir, f)).catch(() => undefined);
    }
    const prev = await loadCheckpoint(runDir);
    const records: Record<string, JobRecord> = prev?.records ?? {};
    // `jobs` is the current plan, in order; jobs an edited manifest no longer has move to
    // `droppedJobs` with their records kept (what was paid for stays on the books).
    const current = new Set(init.jobs.map((j) => j.id));
    const dropped = new Map<string, Job>();
    for (const j of [...(prev?.droppedJobs ?? []), ...(prev?.jobs ?? [])]) if (!current.has(j.id)) dropped.set(j.id, j);
    for (const j of init.jobs) if (!records[j.id]) records[j.id] = plannedRecord(j.id);
    const data: CheckpointData = {
      version: 1,
      seq: prev?.seq ?? 0,
      approvedUsd: init.approvedUsd,
      capUsd: init.capUsd,
      spentUsd: spentOf(Object.values(records)),
      jobs: init.jobs,
      droppedJobs: dropped.size > 0 ? [...dropped.values()] : undefined,
      records,
    };
    const journal = await Journal.open(join(runDir, JOURNAL_FILE));
    const store = new CheckpointStore(runDir, data, journal, opts);
    try {
      await store.compactNow();
    } catch (e) {
      await journal.close().catch(() => undefined); // don't leak the handle when the first snapshot fails
      throw e;
    }
    return { store, resumed: prev !== undefined };
  }

  get(id: string): JobRecord | undefined {
    return this.records.get(id);
  }
  allRecords(): IterableIterator<JobRecord> {
    return this.records.values();
  }
  allJobs(): readonly Job[] {
    return this.jobs;
  }
  /** Jobs of earlier plans that the current one dropped (their records are kept). */
  allDroppedJobs(): readonly Job[] {
    return this.droppedJobs ?? [];
  }
  /** Bytes written to disk so far (snapshots + journal), for the benchmark. */
  get bytesWritten(): number {
    return this.snapshotBytes + this.journal.bytesWritten;
  }

  /** Record a new state for a job. Resolves once it is durable (fsync'd). */
  put(rec: JobRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('checkpoint closed'));
    this.records.set(rec.id, rec);
    this.seq++;
    return this.journal.append(`${JSON.stringify({ s: this.seq, r: rec })}\n`);
  }

  private compactThreshold(): number {
    return this.opts.compactEvery ?? Math.max(1000, 2 * this.records.size);
  }

  private async maybeCompact(batch: number): Promise<boolean> {
    if (!this.forceCompact && this.sinceCompact + batch < this.compactThreshold()) {
      this.sinceCompact += batch;
      return false;
    }
    await this.writeSnapshot();
    return true;
  }

  private snapshotData(): CheckpointData {
    return {
      version: 1,
      seq: this.seq,
      approvedUsd: this.approvedUsd,
      capUsd: this.capUsd,
      spentUsd: spentOf(this.records.values()),
      jobs: this.jobs,
      droppedJobs: this.droppedJobs,
      records: Object.fromEntries([...this.records].map(([k, v]) => [k, v])),
    };
  }

  /** Snapshot everything in memory (it includes every line queued so far), then empty the journal. */
  private async writeSnapshot(): Promise<void> {
    this.snapshotBytes += await writeFileDurably(join(this.runDir, SNAPSHOT_FILE), JSON.stringify(this.snapshotData()));
    await this.journal.truncate();
    this.sinceCompact = 0;
    this.forceCompact = false;
  }

  /**
   * Compact now (at open and at the end). Goes through the journal's serialized loop (as an empty
   * line that the compaction replaces) so no append can land between snapshot and truncate.
   */
  async compactNow(): Promise<void> {
    this.forceCompact = true;
    await this.journal.append('');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.compactNow();
    this.closed = true;
    await this.journal.close();
  }
}
