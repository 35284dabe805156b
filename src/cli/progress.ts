/**
 * Renders run events for humans: on a TTY a live multi-line view redrawn at most 10×/s; otherwise
 * one summary line about every 10 s. Also the `shotlist status` summary, read from the checkpoint.
 */
import type { Clock } from '../clock.ts';
import type { EventSink, RunEvent } from '../run/events.ts';
import type { JobState } from '../run/types.ts';
import type { LiveEta } from './eta.ts';
import { refreshEta, trackForEta, type EtaModel } from './progress-eta.ts';
import { formatUsd } from './format.ts';
import { formatDuration as formatEta } from '../plan/eta.ts';
import type { StatusJson } from './status-shape.ts';
import { buildStatus, renderStatusText, type RunStateView } from './summary.ts';

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
const DONE: JobState[] = ['downloaded', 'rejected', 'failed', 'expired', 'unknown'];

export interface ProgressOptions {
  tty: boolean;
  write: (s: string) => void;
  clock: Clock;
  /** Non-TTY summary interval. Default 10 s. */
  intervalMs?: number;
  /** Estimate for what is left, refined with render times observed in this run (see eta.ts). Without it the ETA is the pace so far. */
  eta?: LiveEta;
}

interface View {
  jobs: number;
  counts: Partial<Record<JobState, number>>;
  spentUsd: number;
  reservedUsd: number;
  approvedUsd: number;
  startedAt: number;
  doneAtStart: number;
  throttles: number;
  retries: number;
  warnings: string[];
  stopped: string[];
  finished: boolean;
  model?: EtaModel;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const doneCount = (v: View): number => DONE.reduce((n, s) => n + (v.counts[s] ?? 0), 0);

/** Throughput (finished jobs per minute this session) and ETA for the rest: the model's when there is one, else the pace's. */
function pace(v: View, now: number): { perMin: number; etaMs?: number } {
  const elapsed = now - v.startedAt;
  const done = doneCount(v) - v.doneAtStart;
  const perMin = elapsed > 0 && done > 0 ? (done * 60_000) / elapsed : 0;
  if (v.model) {
    refreshEta(v.model, now);
    const left = (v.model.seconds ?? 0) * 1000 - (now - v.model.at);
    return { perMin, etaMs: Math.max(0, left) };
  }
  if (perMin <= 0) return { perMin: 0 };
  return { perMin, etaMs: ((v.jobs - doneCount(v)) * 60_000) / perMin };
}

function countsText(counts: Partial<Record<JobState, number>>): string {
  return ORDER.filter((s) => (counts[s] ?? 0) > 0)
    .map((s) => `${s} ${counts[s]}`)
    .join(' · ');
}

export function renderLines(v: View, now: number): string[] {
  const { perMin, etaMs } = pace(v, now);
  const done = doneCount(v);
  const width = 30;
  const filled = v.jobs > 0 ? Math.round((done / v.jobs) * width) : 0;
  const lines = [
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${v.jobs} jobs finished`,
    `  ${countsText(v.counts) || 'no jobs'}`,
    `  spent ${formatUsd(v.spentUsd)} + reserved ${formatUsd(v.reservedUsd)} of ${formatUsd(v.approvedUsd)} approved`,
    `  ${perMin > 0 ? `${perMin.toFixed(1)} jobs/min` : 'measuring pace'} · elapsed ${formatDuration(now - v.startedAt)}${
      etaMs !== undefined && !v.finished ? ` · ETA ${formatDuration(etaMs)}` : ''
    }${v.throttles ? ` · throttled ×${v.throttles}` : ''}${v.retries ? ` · retries ${v.retries}` : ''}`,
  ];
  for (const s of v.stopped) lines.push(`  stopped: ${s}`);
  for (const w of v.warnings.slice(-3)) lines.push(`  warning: ${w}`);
  return lines;
}

export function summaryLine(v: View, now: number): string {
  const { etaMs } = pace(v, now);
  return `shotlist: ${doneCount(v)}/${v.jobs} finished (${countsText(v.counts)}); spent ${formatUsd(v.spentUsd)} of ${formatUsd(v.approvedUsd)}${
    etaMs !== undefined && !v.finished ? `; ETA ${formatDuration(etaMs)}` : ''
  }\n`;
}

function apply(v: View, e: RunEvent): void {
  switch (e.kind) {
    case 'run.started':
      v.jobs = e.jobs;
      v.approvedUsd = e.approvedUsd;
      v.startedAt = e.at;
      v.counts = { ...(e.counts ?? { planned: e.jobs }) };
      v.doneAtStart = doneCount(v);
      v.spentUsd = e.spentUsd ?? 0;
      break;
    case 'job.state':
      v.counts[e.from] = Math.max(0, (v.counts[e.from] ?? 0) - 1);
      v.counts[e.to] = (v.counts[e.to] ?? 0) + 1;
      if (v.model) trackForEta(v.model, e);
      break;
    case 'budget':
      v.spentUsd = e.spentUsd;
      v.reservedUsd = e.reservedUsd;
      v.approvedUsd = e.approvedUsd;
      break;
    case 'provider.throttled':
      v.throttles++;
      break;
    case 'job.retry':
      v.retries++;
      break;
    case 'provider.stopped':
      v.stopped.push(`${e.provider}: ${e.reason}`);
      break;
    case 'warning':
      v.warnings.push(e.message);
      break;
    case 'checkpoint.recovered':
      v.warnings.push(recoveryText(e));
      break;
    case 'callbacks.summary':
      v.warnings.push(
        `callbacks: ${e.accepted} accepted, ${e.duplicates} duplicate(s) ignored, ${e.invalid} invalid signature(s) refused, ${e.unknownTask} for unknown tasks${e.mismatched ? `, ${e.mismatched} for a task the job no longer holds` : ''}`,
      );
      break;
    case 'run.finished':
      v.counts = { ...e.counts };
      v.spentUsd = e.spentUsd;
      v.finished = true;
      break;
    case 'job.progress':
    case 'post.started':
    case 'post.progress':
    case 'post.finished':
    case 'post.failed':
    case 'post.step':
    case 'qc.finished':
      break; // per-job progress and post-steps do not change this view (post-view.ts renders post-steps)
    default: {
      const unhandled: never = e; // a new event kind must be decided on here
      return unhandled;
    }
  }
}

export function createProgress(o: ProgressOptions): { sink: EventSink; close(): void; release(): void } {
  const v: View = {
    jobs: 0,
    counts: {},
    spentUsd: 0,
    reservedUsd: 0,
    approvedUsd: 0,
    startedAt: o.clock.now(),
    doneAtStart: 0,
    throttles: 0,
    retries: 0,
    warnings: [],
    stopped: [],
    finished: false,
    ...(o.eta
      ? {
          model: {
            eta: o.eta,
            unfinished: new Set(o.eta.unfinished),
            submittedAt: new Map(),
            renders: new Map(),
            at: o.clock.now(),
            stale: true,
          },
        }
      : {}),
  };
  const stop = new AbortController();
  let drawnLines = 0;
  let lastDraw = -Infinity;
  let scheduled = false;
  let dirty = false;
  let started = false;
  let closed = false;

  const draw = () => {
    if (closed && drawnLines > 0 && !dirty) return;
    const now = o.clock.now();
    dirty = false;
    lastDraw = now;
    if (o.tty) {
      const lines = renderLines(v, now);
      // Move up over the previous frame and clear it, then paint the new one.
      const up = drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[J` : '';
      o.write(`${up}${lines.join('\n')}\n`);
      drawnLines = lines.length;
    } else {
      o.write(summaryLine(v, now));
    }
  };
  const schedule = () => {
    if (scheduled || closed) return;
    const wait = Math.max(0, lastDraw + 100 - o.clock.now());
    if (wait === 0) return draw();
    scheduled = true;
    o.clock.sleep(wait, stop.signal).then(
      () => {
        scheduled = false;
        if (dirty && !closed) draw();
      },
      () => (scheduled = false),
    );
  };
  const tick = async () => {
    const interval = o.tty ? 1000 : (o.intervalMs ?? 10_000);
    while (!stop.signal.aborted) {
      try {
        await o.clock.sleep(interval, stop.signal);
      } catch {
        return;
      }
      if (!stop.signal.aborted && (o.tty || dirty)) draw();
    }
  };
  return {
    sink: (e) => {
      if (closed) return;
      apply(v, e);
      dirty = true;
      if (!started && e.kind === 'run.started') {
        started = true;
        void tick();
        if (!o.tty) draw();
      }
      if (o.tty) schedule();
      else if (e.kind === 'run.finished' || e.kind === 'provider.stopped') draw();
    },
    close: () => {
      if (closed) return;
      if (dirty && started) draw();
      closed = true;
      stop.abort();
    },
    // Someone else wrote to the terminal (the Ctrl-C notice): the next frame goes below it instead of over it.
    release: () => {
      drawnLines = 0;
    },
  };
}

/** The checkpoint's summary (see summary.ts): `status` without the lock or an ETA. */
export function summarizeRunState(state: RunStateView): StatusJson {
  return buildStatus('', state, undefined, null);
}

export function renderStatus(s: StatusJson): string {
  return renderStatusText(s, formatEta);
}

/** One line for a rebuilt checkpoint (also printed by `status`). */
export function recoveryText(e: {
  from?: 'previous' | 'journal';
  reason?: string;
  damagedEntries: number;
  partialsRemoved?: number;
}): string {
  const parts: string[] = [];
  if (e.from)
    parts.push(
      `${e.reason ?? 'checkpoint.json unusable'}: state rebuilt from ${e.from === 'previous' ? 'checkpoint.prev.json + the journal' : 'the journal alone'}`,
    );
  if (e.damagedEntries > 0)
    parts.push(
      `${e.damagedEntries} damaged journal entr${e.damagedEntries === 1 ? 'y' : 'ies'}: their jobs are unknown (reconciled where the provider allows)`,
    );
  if (e.partialsRemoved) parts.push(`${e.partialsRemoved} partial file(s) from an interrupted write removed`);
  return parts.join('; ');
}
