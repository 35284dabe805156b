import type { PostStep } from '../manifest/types.ts';
import type { EventSink } from '../run/events.ts';
import type { ProbeResult } from '../media/ffmpeg.ts';
import type { Job } from '../plan/types.ts';
import type { JobRecord } from '../run/types.ts';

/** One job as the post-steps and the report see it: what was planned and what happened. */
export interface ReportItem {
  job: Job;
  record: JobRecord;
}

export type PostStepKind = PostStep['kind'];

/** A clip that was left out of an output, and why (missing, failed job, corrupt file). */
export interface ExcludedClip {
  job: string;
  reason: string;
}

/** What one post-step output came to. `inputs` are job ids in the order they appear in the output. */
export interface PostOutput {
  step: PostStepKind;
  /** Relative to the run directory, e.g. `post/stitch-1280x720.mp4` or `thumbs/ab12cd34.jpg`. */
  output: string;
  kind: 'made' | 'skipped' | 'failed';
  inputs: string[];
  message?: string;
  /** The group key this output stands for (stitch/grid/sheet per group), for the report. */
  group?: string;
  /** Clips of the group that could not be used. */
  excluded?: ExcludedClip[];
  /** Stitch: whether the inputs were stream-copied or re-encoded. */
  method?: 'copy' | 'reencode';
}

/** A downloaded clip that probed fine: the only thing outputs are built from. */
export interface UsableClip {
  item: ReportItem;
  /** Absolute path. */
  abs: string;
  sha256: string;
  probe: ProbeResult;
}

/** Everything a step needs; built once per `runPostSteps` call. */
export interface StepContext {
  runDir: string;
  items: ReportItem[];
  events: EventSink;
  signal?: AbortSignal;
  now: () => number;
  /** Usable clip for a job id, or the reason it cannot be used. */
  clip(jobId: string): Promise<UsableClip | ExcludedClip>;
  /** Font for drawtext, or null when none exists on this machine. */
  fontFile: string | null;
  /** Bounds how many ffmpeg processes run at once. */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
}

export function isUsable(c: UsableClip | ExcludedClip): c is UsableClip {
  return 'abs' in c;
}
