import type { EventSink } from '../run/events.ts';
import type { ProbeResult } from '../media/ffmpeg.ts';
import type { ExcludedClip, ReportItem } from '../report/types.ts';

export type { ExcludedClip, PostOutput, PostStepKind, ReportItem } from '../report/types.ts';

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
