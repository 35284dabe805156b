/**
 * Append-only NDJSON journal with group commit: lines queued while a write+fsync is in progress
 * are written together by the next one, so a burst of state changes costs one fsync, and each
 * caller's promise resolves only once its line is on disk.
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface JournalEntry<T> {
  /** Sequence number, strictly increasing across the run directory's life. */
  s: number;
  r: T;
}

/** Parse journal text. A torn last line (crash mid-append) and any unparsable line are skipped. */
export function parseJournal<T>(text: string): { entries: Array<JournalEntry<T>>; skipped: number } {
  // Fast path: every complete line is valid, so the lot parses as one JSON array (a large journal
  // replays several times faster this way). Only the last line can be torn by a crash.
  const body = text.endsWith('\n') ? text.slice(0, -1) : text.slice(0, text.lastIndexOf('\n') + 1).replace(/\n$/, '');
  const tornTail = text.endsWith('\n') || text.length === 0 ? 0 : 1;
  if (body.length > 0 && !body.includes('\n\n')) {
    try {
      const all = JSON.parse(`[${body.replaceAll('\n', ',')}]`) as Array<JournalEntry<T>>;
      if (all.every((e) => e && typeof e.s === 'number' && e.r !== undefined)) {
        if (tornTail === 0) return { entries: all, skipped: 0 };
        const tail = parseLines<T>(text.slice(text.lastIndexOf('\n') + 1));
        return { entries: all.concat(tail.entries), skipped: tail.skipped };
      }
    } catch {
      /* a bad line somewhere: fall back to line by line */
    }
  }
  return parseLines(text);
}

function parseLines<T>(text: string): { entries: Array<JournalEntry<T>>; skipped: number } {
  const entries: Array<JournalEntry<T>> = [];
  let skipped = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      try {
        const e = JSON.parse(text.slice(start, end)) as JournalEntry<T>;
        if (e && typeof e.s === 'number' && e.r !== undefined) entries.push(e);
        else skipped++;
      } catch {
        skipped++;
      }
    }
    start = end + 1;
  }
  return { entries, skipped };
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface JournalWriter {
  append(line: string): Promise<void>;
  readonly bytesWritten: number;
}

/**
 * The writer. `beforeWrite` lets the owner replace a batch with a compaction (snapshot + truncate)
 * inside the same serialized loop, so compaction never interleaves with appends.
 */
export class Journal implements JournalWriter {
  private queue: Pending[] = [];
  private draining = false;
  private idle: Array<() => void> = [];
  bytesWritten = 0;

  private constructor(private readonly fh: FileHandle) {}

  static async open(path: string): Promise<Journal> {
    return new Journal(await open(path, 'a'));
  }

  /** Hook run per batch: returns true when it made the batch durable itself (a compaction). */
  onBatch?: (batchSize: number) => Promise<boolean>;

  append(line: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  /** Resolves when every queued line is durable. */
  flushed(): Promise<void> {
    if (!this.draining) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Drop the journal's content (after a snapshot made it redundant). Call only from `onBatch` or when idle. */
  async truncate(): Promise<void> {
    await this.fh.truncate(0);
    await this.fh.datasync();
  }

  async close(): Promise<void> {
    await this.flushed();
    await this.fh.close();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        const compacted = this.onBatch ? await this.onBatch(batch.length) : false;
        if (!compacted) {
          const text = batch.map((p) => p.line).join('');
          const buf = Buffer.from(text, 'utf8');
          await this.fh.write(buf, 0, buf.length);
          await this.fh.datasync();
          this.bytesWritten += buf.length;
        }
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.draining = false;
    for (const r of this.idle.splice(0)) r();
  }
}
