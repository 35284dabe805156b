import type { ProviderName } from '../providers/types.ts';
import type { JobState } from './types.ts';

/**
 * Everything the executor and post-steps tell the outside world. The CLI renders these;
 * `events.ndjson` records them. The executor never prints.
 */
export type RunEvent =
  | {
      kind: 'run.started';
      at: number;
      jobs: number;
      approvedUsd: number;
      resumed: boolean;
      /** Jobs per state at the start (a resumed run does not start from zero). */
      counts?: Partial<Record<JobState, number>>;
      spentUsd?: number;
    }
  | { kind: 'job.state'; at: number; job: string; from: JobState; to: JobState; detail?: string }
  | { kind: 'job.progress'; at: number; job: string; progress: number }
  | { kind: 'job.retry'; at: number; job: string; attempt: number; delayMs: number; reason: string }
  | { kind: 'provider.throttled'; at: number; provider: ProviderName; waitMs: number }
  | { kind: 'provider.stopped'; at: number; provider: ProviderName; reason: string }
  | { kind: 'budget'; at: number; reservedUsd: number; spentUsd: number; approvedUsd: number }
  | { kind: 'post.started'; at: number; step: string; output: string }
  | { kind: 'post.progress'; at: number; step: string; output: string; fraction: number }
  | { kind: 'post.finished'; at: number; step: string; output: string; skipped: boolean }
  | { kind: 'post.failed'; at: number; step: string; output: string; message: string }
  /** A post-step's advance: `index` of `steps`, `done` of `total` units of work scheduled so far (clips, groups). */
  | { kind: 'post.step'; at: number; step: string; index: number; steps: number; done: number; total: number }
  /** Clip QC done: how many clips were checked and which were flagged (issue kinds per job). */
  | { kind: 'qc.finished'; at: number; checked: number; flagged: Array<{ job: string; issues: string[] }> }
  | { kind: 'warning'; at: number; message: string }
  /** The run's state was rebuilt (from the previous snapshot or the journal), damaged entries found, partial files removed. */
  | {
      kind: 'checkpoint.recovered';
      at: number;
      from?: 'previous' | 'journal';
      reason?: string;
      damagedEntries: number;
      partialsRemoved: number;
    }
  /** Callback mode: what the receiver saw (duplicates ignored, invalid signatures refused). */
  | {
      kind: 'callbacks.summary';
      at: number;
      received: number;
      accepted: number;
      duplicates: number;
      invalid: number;
      unknownTask: number;
      /** Callbacks whose `?job=` holds another task now (a late one for an earlier attempt). */
      mismatched?: number;
    }
  | { kind: 'run.finished'; at: number; counts: Partial<Record<JobState, number>>; spentUsd: number };

export type EventSink = (event: RunEvent) => void;
