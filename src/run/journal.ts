/**
 * Append-only NDJSON journal with group commit: lines queued while a write+fsync is in progress
 * (or in the same turn of the event loop) are written together by the next one, so a burst of state
 * changes costs one fsync, and each caller's promise resolves only once its line is on disk.
 * Every line carries a short checksum of itself, so damage is told apart from a torn tail.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { asWriteError, errnoOf, fsyncDir, writeAll, type WriteChunk } from './rundir.ts';

export interface JournalEntry<T> {
  /** Sequence number, strictly increasing across the run directory's life. */
  s: number;
  r: T;
}

/** A complete line that fails its checksum or does not parse: what can still be read of it. */
export interface DamagedEntry {
  /** 0-based position among the file's lines. */
  line: number;
  jobId?: string;
  seq?: number;
}

export interface ParsedJournal<T> {
  entries: Array<JournalEntry<T> & { line: number }>;
  /** Lines not replayed: a torn tail plus damaged lines. */
  skipped: number;
  /** Complete lines that are damaged (a torn tail is a normal crash artifact and not counted). */
  damaged: DamagedEntry[];
}

const SUM_LEN = 8;
const sum = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, SUM_LEN);
const SUM_TAIL = new RegExp(`,"h":"([0-9a-f]{${SUM_LEN}})"\\}$`);

/** One journal line (with its newline): the entry's JSON with a checksum of it as the last field. */
export function encodeEntry<T>(s: number, r: T): string {
  const body = JSON.stringify({ s, r });
  return `${body.slice(0, -1)},"h":"${sum(body)}"}\n`;
}

function decodeLine<T>(line: string): JournalEntry<T> | undefined {
  const m = SUM_TAIL.exec(line);
  // Lines written before checksums existed are accepted when they parse.
  const body = m ? `${line.slice(0, line.length - m[0].length)}}` : line;
  if (m && sum(body) !== m[1]) return undefined;
  try {
    const e: unknown = JSON.parse(body);
    if (typeof e === 'object' && e !== null && 's' in e && typeof e.s === 'number' && 'r' in e && e.r !== undefined) {
      return { s: e.s, r: e.r as T }; // the record's shape is validated by the checkpoint reader
    }
  } catch {
    /* damaged */
  }
  return undefined;
}

/** What a damaged line still tells: the job it was about and its sequence number, if legible. */
function salvage(line: string, index: number): DamagedEntry {
  const id = /"r":\{"id":"([^"\\]{1,200})"/.exec(line)?.[1];
  const seq = /^\{"s":(\d+),/.exec(line)?.[1];
  return { line: index, ...(id ? { jobId: id } : {}), ...(seq ? { seq: Number(seq) } : {}) };
}

/** Parse journal text. A torn last line (crash mid-append) is skipped; damaged complete lines are reported. */
export function parseJournal<T>(text: string): ParsedJournal<T> {
  const entries: ParsedJournal<T>['entries'] = [];
  const damaged: DamagedEntry[] = [];
  let skipped = 0;
  let start = 0;
  let index = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    const torn = end < 0;
    if (torn) end = text.length;
    if (end > start) {
      const line = text.slice(start, end);
      const e = decodeLine<T>(line);
      if (e && !torn) entries.push({ ...e, line: index });
      else {
        skipped++;
        if (!torn) damaged.push(salvage(line, index));
      }
    }
    start = end + 1;
    index++;
  }
  return { entries, skipped, damaged };
}

interface Pending {
  line: string;
  /** false: written (in the page cache, which survives a process kill) but not fsync'd on its own account. */
  sync: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface JournalWriter {
  append(line: string, opts?: { sync?: boolean }): Promise<void>;
  readonly bytesWritten: number;
}

/**
 * The writer. `afterBatch` lets the owner compact (snapshot + rotate) inside the same serialized
 * loop, so compaction never interleaves with appends.
 */
export class Journal implements JournalWriter {
  private queue: Pending[] = [];
  private draining = false;
  private idle: Array<() => void> = [];
  bytesWritten = 0;
  /** The drain is waiting for an fsync: the file is neither being written nor rotated. */
  private syncing = false;
  /** Lines that only need writing (sending marks), written during an fsync instead of after it. */
  private fastLane: Promise<void> = Promise.resolve();

  private constructor(
    private fh: FileHandle,
    private readonly path: string,
    /** Length of the file's complete lines: a failed write is cut back to it, never left torn. */
    private size: number,
    private readonly write?: WriteChunk,
  ) {}

  static async open(path: string, write?: WriteChunk): Promise<Journal> {
    // Read-write rather than append: positional writes let a failed write be cut back cleanly.
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT).catch((e: unknown) => {
      throw asWriteError(e, path);
    });
    return new Journal(fh, path, (await fh.stat()).size, write);
  }

  /**
   * Hook run after each batch is durable (a compaction may follow). Every line reaches the journal
   * even when a snapshot follows, so the previous snapshot plus the journals always rebuild the state.
   */
  afterBatch?: (batchSize: number) => Promise<void>;

  append(line: string, opts: { sync?: boolean } = {}): Promise<void> {
    if (opts.sync === false && this.syncing) {
      // A create waits for this line: it need not wait for someone else's fsync too. (Replay orders
      // lines by sequence number, not by place in the file.)
      const done = this.fastLane.then(() => this.writeBatch(line, false, () => undefined));
      this.fastLane = done.catch(() => undefined);
      return done;
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, sync: opts.sync ?? true, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Lines queued while this write+fsync runs go out together in the next one (group commit).
        void this.drain();
      }
    });
  }

  /** Resolves when every queued line is durable. */
  flushed(): Promise<void> {
    if (!this.draining) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /**
   * Start a new, empty journal after a snapshot made this one redundant; this one is kept as
   * `prevPath` (with the previous snapshot it rebuilds the same state if the new snapshot is lost).
   * Call only from `afterBatch` or when idle.
   */
  async rotate(prevPath: string): Promise<void> {
    await this.fh.close();
    try {
      await rename(this.path, prevPath);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw asWriteError(e, this.path);
    }
    this.fh = await open(this.path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC).catch((e: unknown) => {
      throw asWriteError(e, this.path);
    });
    this.size = 0;
    await fsyncDir(dirname(this.path));
  }

  async close(): Promise<void> {
    await this.flushed();
    await this.fh.close();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        await this.writeBatch(
          batch.map((p) => p.line).join(''),
          batch.some((p) => p.sync),
          // A line that asked only to be written (a sending mark: a create waits for it) goes on once
          // written, not after the batch's fsync and compaction.
          () => {
            for (const p of batch) if (!p.sync) p.resolve();
          },
        );
        await this.fastLane; // written before anything else touches the file (next batch, compaction)
        if (this.afterBatch) await this.afterBatch(batch.length);
        for (const p of batch) p.resolve();
      } catch (e) {
        await this.fastLane;
        for (const p of batch) p.reject(e);
      }
    }
    this.draining = false;
    for (const r of this.idle.splice(0)) r();
  }

  private async writeBatch(text: string, sync: boolean, written: () => void): Promise<void> {
    if (text.length === 0) return;
    const buf = Buffer.from(text, 'utf8');
    try {
      await writeAll(this.fh, buf, this.write, this.size);
    } catch (e) {
      // Never leave half a line for the next append to run into.
      await this.fh.truncate(this.size).catch(() => undefined);
      throw asWriteError(e, this.path);
    }
    // Complete lines stay even if the fsync fails: one of them may be a sending mark already acted on.
    this.size += buf.length;
    this.bytesWritten += buf.length;
    if (!sync) return;
    written();
    this.syncing = true;
    try {
      await this.fh.datasync();
    } catch (e) {
      throw asWriteError(e, this.path);
    } finally {
      this.syncing = false;
    }
  }
}
