import type { PostStep } from '../manifest/types.ts';
import type { Job } from '../plan/types.ts';
import type { ProbeResult } from '../media/ffmpeg.ts';
import type { ClipInfo, JobRecord, JobState } from '../run/types.ts';
import type { GenerationRequestOnDisk } from '../manifest/request.ts';

/** Request fields results.json keeps at the top of each job; every other one is under `parameters`. */
export const TOP_LEVEL_REQUEST_FIELDS = ['provider', 'model', 'tier', 'prompt'] as const;
type Nullable<T> = { [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K] };
/** The request's other fields by their on-disk names (derived from the one request type), plus the pixel size. */
export type ResultParameters = Nullable<Omit<GenerationRequestOnDisk, (typeof TOP_LEVEL_REQUEST_FIELDS)[number]>> & { size: string };

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

export interface ResultJob {
  id: string;
  shot: string;
  baseId: string;
  take: number;
  index: number;
  provider: string;
  model: string;
  wireModel: string;
  tier: string;
  prompt: string;
  /** Every request field but the ones above (provider, model, tier, prompt), under its on-disk name; null when unset. */
  parameters: ResultParameters;
  fields: Record<string, string>;
  state: JobState;
  attempts: number;
  taskId: string | null;
  timings: {
    submittingAt: string | null;
    submittedAt: string | null;
    completedAt: string | null;
    downloadedAt: string | null;
    /** Submitted → completed, seconds. */
    generationS: number | null;
    /** Submitting → downloaded (or completed), seconds. */
    totalS: number | null;
  };
  cost: { plannedUsd: number | null; credits: number | null; spentUsd: number };
  clip:
    | (Omit<ClipInfo, 'probe'> & {
        /** What the file holds now (codec, fps, audio); null when it could not be read. */
        probe: Pick<ProbeResult, 'video' | 'audio' | 'durationS'> | null;
      })
    | null;
  thumbnail: string | null;
  /** Run-relative thumbnail of the local reference image (`refs/…`); null without one. */
  imageThumbnail: string | null;
  error: { code: string; message: string } | null;
  /** Clip QC verdict; null when the clip was not checked (no clip, or QC off). */
  qc: ClipQc | null;
}

export interface Results {
  /** `shotlist.results/1` (RESULTS_SCHEMA). */
  schema: 'shotlist.results/1';
  name: string | null;
  generatedAt: string;
  totals: {
    jobs: number;
    states: Partial<Record<JobState, number>>;
    plannedUsd: number;
    spentUsd: number;
    unpricedJobs: number;
    clips: number;
    clipSeconds: number;
  };
  jobs: ResultJob[];
  post: PostOutput[];
  /** Clip QC: clips checked and the ids of flagged jobs (what `shotlist retry` can select). */
  qc: { checked: number; flagged: string[] };
}

/** One problem QC found in a clip. */
export interface QcIssue {
  kind: 'black' | 'frozen' | 'silent' | 'no_audio' | 'duration' | 'size' | 'decode';
  message: string;
}

/** QC verdict for one downloaded clip (`ok` when no issue was found). */
export interface ClipQc {
  ok: boolean;
  issues: QcIssue[];
}
