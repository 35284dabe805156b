/**
 * The run directory: every file's path, one durable atomic write, validated reads, and the
 * clean-up of partial files. Every module that writes into a run directory goes through here, so
 * "a replaced file is either the old or the whole new one" holds in one place.
 */
import { createHash } from 'node:crypto';
import { open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { RunDirWriteError, UsageError } from '../errors.ts';

/** Names inside a run directory (relative). */
export const RUN_FILES = {
  manifest: 'manifest.yaml',
  meta: 'run.json',
  snapshot: 'checkpoint.json',
  /** The snapshot the current one replaced: with the previous journal it rebuilds the same state. */
  snapshotPrev: 'checkpoint.prev.json',
  journal: 'checkpoint.journal',
  /** The journal segment folded into the current snapshot (replayed only when that snapshot is unusable). */
  journalPrev: 'checkpoint.journal.prev',
  lock: 'run.lock',
  events: 'events.ndjson',
  results: 'results.json',
  resultsCsv: 'results.csv',
  report: 'report.html',
  clips: 'clips',
  thumbs: 'thumbs',
  /** Reference-image thumbnails for the report. */
  refs: 'refs',
  post: 'post',
  postState: join('post', '.state.json'),
} as const;

export const clipFile = (jobId: string): string => join(RUN_FILES.clips, `${jobId}.mp4`);
export const sidecarFile = (jobId: string): string => join(RUN_FILES.clips, `${jobId}.json`);

/**
 * Where a manifest's runs live unless `--out` says otherwise: `<manifest's folder>/runs/<name>/`,
 * the same whichever directory the command is started from.
 */
export function defaultRunDir(manifestFile: string, name: string): string {
  const base = resolve(dirname(manifestFile), 'runs');
  const dir = resolve(base, name);
  if (name.length === 0 || !dir.startsWith(base + sep) || dirname(dir) !== base) {
    throw new UsageError(`manifest name "${name}" cannot name a run directory (one plain folder name under runs/); pass --out DIR`);
  }
  return dir;
}

/** Absolute paths of one run directory. */
export function runPaths(runDir: string) {
  const at = (rel: string): string => join(runDir, rel);
  return {
    dir: runDir,
    manifest: at(RUN_FILES.manifest),
    meta: at(RUN_FILES.meta),
    snapshot: at(RUN_FILES.snapshot),
    snapshotPrev: at(RUN_FILES.snapshotPrev),
    journal: at(RUN_FILES.journal),
    journalPrev: at(RUN_FILES.journalPrev),
    lock: at(RUN_FILES.lock),
    events: at(RUN_FILES.events),
    results: at(RUN_FILES.results),
    resultsCsv: at(RUN_FILES.resultsCsv),
    report: at(RUN_FILES.report),
    clips: at(RUN_FILES.clips),
    thumbs: at(RUN_FILES.thumbs),
    post: at(RUN_FILES.post),
    postState: at(RUN_FILES.postState),
    clip: (jobId: string) => at(clipFile(jobId)),
    sidecar: (jobId: string) => at(sidecarFile(jobId)),
  };
}
export type RunPaths = ReturnType<typeof runPaths>;

/** Errors that mean "this directory cannot take our bytes" (not a bug): disk full, read-only, no permission. */
const WRITE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EFBIG']);

/** The errno code of a system error (`ENOSPC`, …), read without a cast. */
export function errnoOf(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function isWriteErrno(e: unknown): boolean {
  return WRITE_ERRNOS.has(errnoOf(e) ?? '');
}

/** Turn a filesystem refusal into the documented, user-facing error; anything else is rethrown as is. */
export function asWriteError(e: unknown, path: string): unknown {
  const code = errnoOf(e);
  if (e instanceof RunDirWriteError || code === undefined || !WRITE_ERRNOS.has(code)) return e;
  return RunDirWriteError.from(code, path, messageOf(e));
}

/** The one write primitive, injectable so tests can produce short writes and ENOSPC. Returns bytes written. */
export type WriteChunk = (fh: FileHandle, buf: Buffer, offset: number, length: number, position: number) => Promise<number>;

export const defaultWriteChunk: WriteChunk = async (fh, buf, offset, length, position) =>
  (await fh.write(buf, offset, length, position)).bytesWritten;

/** Write all of `buf` (a short write continues where it stopped; a write that makes no progress fails). */
export async function writeAll(fh: FileHandle, buf: Buffer, write: WriteChunk = defaultWriteChunk, position = 0): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const n = await write(fh, buf, done, buf.length - done, position + done);
    if (!(n > 0)) throw Object.assign(new Error(`short write: ${done} of ${buf.length} bytes`), { code: 'EIO' });
    done += n;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    /* some filesystems refuse fsync on a directory; the rename itself is still atomic */
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export interface AtomicWriteOptions {
  /** @default defaultWriteChunk */
  write?: WriteChunk;
  /** fsync the file before and the directory after the rename. @default true */
  durable?: boolean;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/**
 * Replace `path` with `data` so that a crash or a full disk at any instant leaves either the old
 * file or the whole new one: write a temporary file completely, fsync it, read it back (length and
 * checksum), rename it over the target, fsync the directory. Returns the bytes written.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  opts: AtomicWriteOptions & { keepPrevious?: string } = {},
): Promise<number> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const durable = opts.durable ?? true;
  try {
    const fh = await open(tmp, 'w');
    try {
      await writeAll(fh, buf, opts.write);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    const back = await readFile(tmp);
    if (back.length !== buf.length || sha256(back) !== sha256(buf)) {
      throw Object.assign(new Error(`verification failed: ${back.length} of ${buf.length} bytes on disk`), { code: 'EIO' });
    }
    // The file being replaced becomes `keepPrevious` (one rename: at every instant one of the two is whole).
    if (opts.keepPrevious)
      await rename(path, opts.keepPrevious).catch((e: unknown) => (errnoOf(e) === 'ENOENT' ? undefined : Promise.reject(e)));
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw asWriteError(e, path);
  }
  if (durable) await fsyncDir(dirname(path));
  return buf.length;
}

/**
 * Sealed JSON: `{"integrity":{"bytes":N,"sha256":"…"},"body":<json>}`. Still JSON for a person
 * with `jq`, and verifiable without re-serializing: the body is the exact text between a fixed
 * header and the closing brace.
 */
export function sealJson(value: unknown): string {
  const body = JSON.stringify(value);
  return `{"integrity":{"bytes":${Buffer.byteLength(body)},"sha256":"${sha256(body)}"},"body":${body}}\n`;
}

const SEAL_HEAD = /^\{"integrity":\{"bytes":(\d+),"sha256":"([0-9a-f]{64})"\},"body":/;

export type Unsealed = { ok: true; value: unknown } | { ok: false; reason: string };

export function unsealJson(text: string): Unsealed {
  if (text.length === 0) return { ok: false, reason: 'empty file' };
  const m = SEAL_HEAD.exec(text);
  if (!m) return { ok: false, reason: 'no integrity header' };
  const end = text.endsWith('}\n') ? text.length - 2 : text.endsWith('}') ? text.length - 1 : -1;
  if (end < 0) return { ok: false, reason: 'cut short' };
  const body = text.slice(m[0].length, end);
  const bytes = Buffer.byteLength(body);
  if (bytes !== Number(m[1])) return { ok: false, reason: `cut short or padded: ${bytes} of ${m[1]} bytes` };
  if (sha256(body) !== m[2]) return { ok: false, reason: 'checksum mismatch' };
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (e) {
    return { ok: false, reason: messageOf(e) };
  }
}

export type ReadOutcome<T> = { kind: 'ok'; value: T } | { kind: 'missing' } | { kind: 'corrupt'; reason: string };

/** Read a JSON file (sealed or plain) and validate it. Never throws for content; only for I/O other than ENOENT. */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>, opts: { sealed?: boolean } = {}): Promise<ReadOutcome<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return { kind: 'missing' };
    throw e;
  }
  let raw: unknown;
  if (opts.sealed) {
    const u = unsealJson(text);
    if (!u.ok) return { kind: 'corrupt', reason: u.reason };
    raw = u.value;
  } else {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return { kind: 'corrupt', reason: text.length === 0 ? 'empty file' : messageOf(e) };
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { kind: 'corrupt', reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  return { kind: 'ok', value: parsed.data };
}

/** Is this file name a leftover of an interrupted write (never a finished file)? */
export function isPartialName(name: string): boolean {
  return (
    name.endsWith('.part') ||
    name.endsWith('.tmp') ||
    /\.tmp-\d+$/.test(name) ||
    /\.\d+\.tmp$/.test(name) ||
    (name.startsWith('.') && /\.partial-\d+/.test(name))
  );
}

/**
 * Remove leftovers of interrupted writes (`*.part`, `*.tmp`, `.x.tmp-<pid>`, `.x.partial-<pid>.ext`).
 * Call only while holding the run's lock: nobody else is writing then. Returns what was removed.
 */
export async function removePartials(runDir: string): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(runDir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = join(rel, e.name);
      if (e.isDirectory()) {
        if (depth < 3) await walk(r, depth + 1);
      } else if (isPartialName(e.name)) {
        await unlink(join(runDir, r)).then(
          () => removed.push(r),
          () => undefined,
        );
      }
    }
  };
  await walk('', 0);
  return removed;
}

/** Size, mtime and inode of a file: unchanged ones need no re-hash. */
export interface FileStamp {
  bytes: number;
  mtimeMs: number;
  ino: number;
}

export async function fileStamp(path: string): Promise<FileStamp | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? { bytes: s.size, mtimeMs: s.mtimeMs, ino: s.ino } : undefined;
  } catch {
    return undefined;
  }
}

/** The RunDirWriteError behind `e` (mapped from a raw errno with a path), if it is one. */
export function writeErrorOf(e: unknown, opts: { permission?: boolean } = {}): RunDirWriteError | undefined {
  if (e instanceof RunDirWriteError) return e;
  const code = errnoOf(e);
  const path = e instanceof Error && 'path' in e && typeof e.path === 'string' ? e.path : undefined;
  if (code === undefined || !WRITE_ERRNOS.has(code) || path === undefined) return undefined;
  // EACCES/EPERM may come from reading a user's path too: only callers that were writing ask for them.
  if (opts.permission === false && (code === 'EACCES' || code === 'EPERM')) return undefined;
  return RunDirWriteError.from(code, path, messageOf(e));
}
