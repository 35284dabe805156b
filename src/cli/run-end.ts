/**
 * What happens when a run ends, whatever the outcome: its summary (the `run --json` object: the
 * status shape + exit code, deferred jobs, post outputs, report path), then `--open` and `--notify`.
 * Neither can change the exit code.
 */
import { join } from 'node:path';
import { ShotlistError } from '../errors.ts';
import type { Job } from '../plan/types.ts';
import type { RunEvent } from '../run/events.ts';
import { formatSpend, formatUsd } from './format.ts';

import { readRunState } from '../run/index.ts';
import { writeErrorOf } from '../run/rundir.ts';
import type { CliIO } from './io.ts';
import { notify } from './notify.ts';
import { openReport } from './open.ts';
import type { StatusJson } from './status-shape.ts';
import { buildStatus, renderFailures } from './summary.ts';

export type QcFinished = Extract<RunEvent, { kind: 'qc.finished' }>;

/** Clip QC in the summary: clips flagged, by problem, with the first few job ids of each. */
export interface QcSummary {
  checked: number;
  flagged: number;
  by_problem: Array<{ problem: string; count: number; jobs: string[] }>;
}

export type RunSummary = Partial<StatusJson> & {
  exit_code: number;
  deferred: string[];
  post: { outputs: number; failed: number } | null;
  qc: QcSummary | null;
  report: string | null;
};

const FIRST_IDS = 5;

export function qcSummary(e: QcFinished): QcSummary {
  const groups = new Map<string, { problem: string; count: number; jobs: string[] }>();
  for (const f of e.flagged) {
    for (const problem of new Set(f.issues)) {
      const g = groups.get(problem) ?? { problem, count: 0, jobs: [] };
      g.count++;
      if (g.jobs.length < FIRST_IDS) g.jobs.push(f.job);
      groups.set(problem, g);
    }
  }
  return { checked: e.checked, flagged: e.flagged.length, by_problem: [...groups.values()].sort((a, b) => b.count - a.count) };
}

/** The lines a person reads when a run ends: counts and spend, failures by reason, QC by problem, post, report. */
export function renderRunEnd(s: RunSummary, outcome: { counts: Record<string, number>; spentUsd: number }, approvedUsd: number): string[] {
  const counts = Object.entries(outcome.counts)
    .map(([st, n]) => `${st} ${n}`)
    .join(', ');
  const lines = [`done: ${counts}; spent ${formatSpend(outcome.spentUsd, s.unpriced?.charged ?? 0)} of ${formatUsd(approvedUsd)} approved`];
  if (s.failures && s.failures.length > 0) {
    lines.push('failures by reason:', ...renderFailures(s.failures), `  retry them with: shotlist retry ${s.run_dir}`);
  }
  if (s.qc) {
    if (s.qc.flagged === 0) lines.push(`qc: ${s.qc.checked} clip(s) checked, none flagged`);
    else {
      lines.push(`qc: ${s.qc.flagged} of ${s.qc.checked} clip(s) flagged:`);
      for (const g of s.qc.by_problem) {
        const more = g.count > g.jobs.length ? `, … ${g.count - g.jobs.length} more` : '';
        lines.push(`  ${g.problem} (×${g.count}: ${g.jobs.join(', ')}${more})`);
      }
      lines.push(`  review them in the report; send them again with: shotlist retry ${s.run_dir} (see README: QC)`);
    }
  }
  if (s.deferred.length > 0) {
    lines.push(`deferred: ${s.deferred.length} job(s) not submitted (--fit); run the manifest again to approve them`);
  }
  if (s.post) lines.push(`post-steps: ${s.post.outputs} output(s)${s.post.failed > 0 ? ', some failed (see report)' : ''}`);
  if (s.report) lines.push(`report: ${s.report}`);
  return lines;
}

export async function runSummary(
  runDir: string,
  exitCode: number,
  deferred: readonly Job[],
  post: { outputs: number; failed: number } | null,
  qc?: QcFinished,
): Promise<RunSummary> {
  const state = await readRunState(runDir).catch(() => undefined);
  const status = state ? buildStatus(runDir, state, undefined, null) : { run_dir: runDir };
  return {
    exit_code: exitCode,
    ...status,
    deferred: deferred.map((j) => j.id),
    post,
    qc: qc ? qcSummary(qc) : null,
    report: post ? join(runDir, 'report.html') : null,
  };
}

/** The exit code an error thrown out of a run will end in (runMain decides the same way). */
export function exitCodeOf(e: unknown, signal: AbortSignal): number {
  if (e instanceof ShotlistError) return e.exitCode;
  if (signal.aborted || (e instanceof Error && e.name === 'AbortError')) return 130;
  return writeErrorOf(e, { permission: false })?.exitCode ?? 1;
}

export interface EndFlags {
  open?: boolean;
  notify?: string;
}

/** `--open` (when a report was written) then `--notify`; every line goes to stderr. */
export async function afterRun(summary: RunSummary, flags: EndFlags, io: CliIO): Promise<void> {
  if (flags.open && summary.report) await openReport(summary.report, io.open, (l) => io.err(l));
  if (flags.notify) {
    const r = await notify(flags.notify, summary, { env: io.env, cwd: io.cwd });
    io.err(r.ok ? `notified ${describe(flags.notify)} (${r.detail})` : `warning: --notify ${describe(flags.notify)} failed: ${r.reason}`);
  }
}

/** The target as shown: a URL without its query (it may carry a token), a command as given. */
function describe(target: string): string {
  try {
    const u = new URL(target);
    if (u.protocol === 'http:' || u.protocol === 'https:') return `${u.origin}${u.pathname}`;
  } catch {
    // a command
  }
  return target;
}
