/**
 * One process per run directory. The lock file holds the owner's pid and start time; a lock whose
 * pid is dead (or reused by a younger process) is stale and taken over, so `kill -9` never
 * leaves a directory unusable.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunLockedError } from '../errors.ts';

export const LOCK_FILE = 'run.lock';

interface LockInfo {
  pid: number;
  startedAt: number;
  /** Kernel start time of the process (Linux /proc), to tell a reused pid from the owner. */
  procStart?: string;
  /**
   * The machine's boot id: a stale lock from the same boot means the owner was killed but the page
   * cache kept everything it wrote; from another boot, the machine crashed and unsynced writes may be lost.
   */
  bootId?: string;
}

/** Linux's id of the current boot; undefined where there is none (then every stale lock counts as a crash). */
export function currentBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesized command name; starttime is field 22 overall.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

export function isLockLive(info: LockInfo): boolean {
  if (info.pid === process.pid) return false; // our own leftover (e.g. a previous run in this process)
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (info.procStart !== undefined) {
    const now = procStartTime(info.pid);
    if (now !== undefined && now !== info.procStart) return false; // pid reused
  }
  return true;
}

export interface RunLock {
  release(): Promise<void>;
  /**
   * Did the previous owner's writes all survive? true when the directory was released cleanly or its
   * stale lock comes from this same boot (a killed process); false after a machine crash or when unknown.
   */
  pageCacheIntact: boolean;
}

export async function acquireRunLock(runDir: string, now: () => number = Date.now): Promise<RunLock> {
  const path = join(runDir, LOCK_FILE);
  const bootId = currentBootId();
  const mine: LockInfo = { pid: process.pid, startedAt: now(), procStart: procStartTime(process.pid), ...(bootId ? { bootId } : {}) };
  let intact = true;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(JSON.stringify(mine));
        await fh.sync();
      } finally {
        await fh.close();
      }
      return {
        pageCacheIntact: intact,
        release: async () => {
          const cur = await readLock(path);
          if (cur?.pid === mine.pid && cur.startedAt === mine.startedAt) await unlink(path).catch(() => undefined);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held = await readLock(path);
    if (!held) {
      // Possibly another process between its exclusive create and its write: look again shortly.
      await new Promise((r) => setTimeout(r, 50));
      held = await readLock(path);
    }
    if (held && isLockLive(held)) {
      throw new RunLockedError(
        `run directory ${runDir} is in use by process ${held.pid} (since ${new Date(held.startedAt).toISOString()})`,
      );
    }
    // A stale lock: its owner died. Same boot → killed, its writes are in the page cache; else a crash.
    intact = intact && held !== undefined && bootId !== undefined && held.bootId === bootId;
    // Stale (or unreadable, i.e. torn by a crash mid-write): move it aside, then retry the exclusive create.
    await rename(path, `${path}.stale-${process.pid}-${attempt}`).then(
      () => unlink(`${path}.stale-${process.pid}-${attempt}`).catch(() => undefined),
      () => undefined,
    );
  }
  throw new RunLockedError(`could not take the lock on ${runDir}`);
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}
