/**
 * The run's durable state: a sealed snapshot (`checkpoint.json`: length + checksum, replaced only by
 * a complete, verified copy) plus an append-only journal (`checkpoint.journal`, one checksummed,
 * fsync'd line per state change, grouped per burst). The journal is folded into a new snapshot once it
 * holds about twice as many entries as there are jobs, so bytes written per job stay constant. The
 * snapshot and the journal it replaced are kept (`checkpoint.prev.json`, `checkpoint.journal.prev`):
 * together they rebuild the same state if the new snapshot is ever lost. Reading: checkpoint-read.ts.
 */
import { rename } from 'node:fs/promises';
import type { Job } from '../plan/types.ts';
import { loadOnce, spentOf, type CheckpointData, type Recovery } from './checkpoint-read.ts';
import { Journal, encodeEntry } from './journal.ts';
import { errnoOf, RUN_FILES, runPaths, sealJson, writeFileAtomic, type WriteChunk } from './rundir.ts';
import type { JobRecord } from './types.ts';

export { loadCheckpoint, type CheckpointData, type LoadedCheckpoint, type Recovery } from './checkpoint-read.ts';
export const SNAPSHOT_FILE = RUN_FILES.snapshot;
export const JOURNAL_FILE = RUN_FILES.journal;

export function plannedRecord(id: string): JobRecord {
  return { id, state: 'planned', attempts: 0, reservedUsd: 0, spentUsd: 0, timings: {} };
}

export interface CheckpointOptions {
  /** Fold the journal into the snapshot after this many entries. Default: max(1000, 2 × records). */
  compactEvery?: number;
  /** The write primitive for snapshot and journal (tests inject short writes and ENOSPC). */
  write?: WriteChunk;
}

/** What opening found: state rebuilt from the previous snapshot or the journal, damaged entries. */
export interface OpenReport {
  recovered?: Recovery;
  damagedEntries: number;
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
    journal.afterBatch = (n) => this.maybeCompact(n);
  }

  approvedUsd: number;
  capUsd?: number;

  /**
   * Open (or create) the run directory's checkpoint, merge the plan's jobs into it (new jobs are
   * added as planned; records of jobs no longer in the plan are kept but not run) and write a fresh
   * snapshot, which also leaves any torn journal tail behind in the rotated journal. Call with the lock held.
   */
  static async open(
    runDir: string,
    init: OpenInit,
    opts: CheckpointOptions = {},
  ): Promise<{ store: CheckpointStore; resumed: boolean; report: OpenReport }> {
    const paths = runPaths(runDir);
    const prev = await loadOnce(runDir);
    if (prev?.recovered && !prev.recovered.reason.includes('missing')) {
      // Keep the damaged copy for inspection, out of the way of the snapshot rotation.
      await rename(paths.snapshot, `${paths.snapshot}.damaged`).catch((e: unknown) =>
        errnoOf(e) === 'ENOENT' ? undefined : Promise.reject(e),
      );
    }
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
    const journal = await Journal.open(paths.journal, opts.write);
    const store = new CheckpointStore(runDir, data, journal, opts);
    try {
      await store.compactNow();
    } catch (e) {
      await journal.close().catch(() => undefined); // don't leak the handle when the first snapshot fails
      throw e;
    }
    const report: OpenReport = { damagedEntries: prev?.damagedEntries ?? 0 };
    if (prev?.recovered) report.recovered = prev.recovered;
    return { store, resumed: prev !== undefined, report };
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

  /**
   * Record a new state for a job. Resolves once it is durable (fsync'd) — or, with `sync: false`,
   * once it is written (in the page cache: it survives a kill of this process, not a machine crash).
   */
  put(rec: JobRecord, opts: { sync?: boolean } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('checkpoint closed'));
    this.records.set(rec.id, rec);
    this.seq++;
    return this.journal.append(encodeEntry(this.seq, rec), opts);
  }

  private compactThreshold(): number {
    return this.opts.compactEvery ?? Math.max(1000, 2 * this.records.size);
  }

  private async maybeCompact(batch: number): Promise<void> {
    if (!this.forceCompact && this.sinceCompact + batch < this.compactThreshold()) {
      this.sinceCompact += batch;
      return;
    }
    await this.writeSnapshot();
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

  /**
   * Snapshot everything in memory (every journal line so far is in it), keeping the snapshot it
   * replaces; only then start a new journal, keeping the old one beside that previous snapshot.
   */
  private async writeSnapshot(): Promise<void> {
    const p = runPaths(this.runDir);
    this.snapshotBytes += await writeFileAtomic(p.snapshot, sealJson(this.snapshotData()), {
      write: this.opts.write,
      keepPrevious: p.snapshotPrev,
    });
    await this.journal.rotate(p.journalPrev);
    this.sinceCompact = 0;
    this.forceCompact = false;
  }

  /**
   * Compact now (at open and at the end). Goes through the journal's serialized loop (as an empty
   * line) so no append can land between snapshot and rotation.
   */
  async compactNow(): Promise<void> {
    this.forceCompact = true;
    await this.journal.append('');
  }

  /** Let go of the journal without the final compaction, as a killed process would (crash tests). */
  async abandon(): Promise<void> {
    this.closed = true;
    await this.journal.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.compactNow();
    } finally {
      // Also when the final compaction failed (disk full): the journal already holds every state, and
      // its handle must not be left for the garbage collector (DEP0137).
      this.closed = true;
      await this.journal.close();
    }
  }
}
