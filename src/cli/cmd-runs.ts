/**
 * `shotlist runs [dir] [--json]`: every run under `<dir>/runs` (or `dir` itself when it holds run
 * directories) with its state as `status` decides it (a live lock holder on this host, or not), job
 * counts, spend and the time of its last recorded activity. Reads only; takes no lock.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { readRunState } from '../run/index.ts';
import { TERMINAL_STATES } from '../run/types.ts';
import { formatSpend, formatUsd } from './format.ts';
import type { CliIO } from './io.ts';
import { isRunDir } from './paths.ts';
import { buildStatus, readLock } from './summary.ts';

export interface RunListing {
  name: string;
  run_dir: string;
  state: 'running' | 'stopped' | 'finished';
  /** Whether a stopped run left a lock behind (killed rather than ended). */
  stale_lock: boolean;
  jobs: number;
  finished: number;
  failed: number;
  counts: Record<string, number>;
  spent_usd: number;
  approved_usd: number;
  unpriced_charged: number;
  /** ISO time of the newest write among the run's checkpoint, journal and event log. */
  last_activity: string | null;
}

const ACTIVITY_FILES = ['events.ndjson', 'checkpoint.journal', 'checkpoint.json'];
const FAILED_STATES = ['failed', 'rejected', 'expired', 'unknown'];

async function lastActivity(runDir: string): Promise<string | null> {
  const times = await Promise.all(
    ACTIVITY_FILES.map((f) =>
      stat(join(runDir, f)).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    ),
  );
  const newest = Math.max(...times);
  return newest > 0 ? new Date(newest).toISOString() : null;
}

/** One run directory's listing, or undefined when it has no readable checkpoint yet. */
export async function listRun(runDir: string, name: string): Promise<RunListing | undefined> {
  const state = await readRunState(runDir).catch(() => undefined);
  if (!state) return undefined;
  const lock = await readLock(runDir);
  const s = buildStatus(runDir, state, lock, null);
  const sum = (names: readonly string[]) => names.reduce((n, st) => n + (s.counts[st] ?? 0), 0);
  return {
    name,
    run_dir: runDir,
    state: s.state,
    stale_lock: Boolean(lock && !lock.live),
    jobs: s.jobs,
    finished: sum(TERMINAL_STATES),
    failed: sum(FAILED_STATES),
    counts: s.counts,
    spent_usd: s.spent_usd,
    approved_usd: s.approved_usd,
    unpriced_charged: s.unpriced.charged,
    last_activity: await lastActivity(runDir),
  };
}

/** Where the runs are: `<dir>/runs` when it exists, else `dir` itself. */
async function runsRoot(base: string): Promise<string> {
  const nested = join(base, 'runs');
  const st = await stat(nested).catch(() => undefined);
  return st?.isDirectory() ? nested : base;
}

export async function listRuns(base: string): Promise<{ root: string; runs: RunListing[] }> {
  const root = await runsRoot(base);
  const entries = await readdir(root, { withFileTypes: true });
  const dirs = entries.filter((e) => e.isDirectory() && isRunDir(join(root, e.name))).map((e) => e.name);
  const listed = await Promise.all(dirs.map((d) => listRun(join(root, d), d)));
  const runs = listed.filter((r): r is RunListing => r !== undefined);
  // Most recent activity first: the run someone is asking about is usually the latest.
  runs.sort((a, b) => (b.last_activity ?? '').localeCompare(a.last_activity ?? '') || a.name.localeCompare(b.name));
  return { root, runs };
}

function stateText(r: RunListing): string {
  if (r.state === 'stopped') return r.stale_lock ? 'stopped (stale lock)' : 'stopped';
  return r.state === 'running' ? 'live' : 'finished';
}

export function renderRuns(root: string, runs: readonly RunListing[]): string {
  if (runs.length === 0) return `no runs under ${root}`;
  const rows = runs.map((r) => [
    r.name,
    stateText(r),
    `${r.finished}/${r.jobs}${r.failed > 0 ? ` (${r.failed} failed)` : ''}`,
    `${formatSpend(r.spent_usd, r.unpriced_charged)} of ${formatUsd(r.approved_usd)}`,
    r.last_activity ? r.last_activity.replace('T', ' ').slice(0, 19) + 'Z' : '-',
  ]);
  const head = ['run', 'state', 'jobs done', 'spent', 'last activity'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [`runs under ${root}:`, line(head), ...rows.map(line)].join('\n');
}

export async function runsCommand(dir: string | undefined, flags: { json?: boolean }, io: CliIO): Promise<number> {
  const base = resolve(io.cwd, dir ?? '.');
  const st = await stat(base).catch(() => undefined);
  if (!st) throw new UsageError(`${dir}: no such directory`);
  if (!st.isDirectory()) throw new UsageError(`${dir} is a file, not a directory (pass the folder that holds runs/)`);
  if (isRunDir(base)) throw new UsageError(`${dir} is a run directory; for one run use: shotlist status ${dir}`);
  const { root, runs } = await listRuns(base);
  io.out(flags.json ? JSON.stringify({ root, runs }) : renderRuns(root, runs));
  return 0;
}
