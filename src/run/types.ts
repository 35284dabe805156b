import type { TaskRef } from '../providers/types.ts';
import type { ProbeResult } from '../media/ffmpeg.ts';

/** Job lifecycle as recorded in the checkpoint (see DESIGN.md "Job lifecycle"). */
export type JobState =
  'planned' | 'submitting' | 'submitted' | 'running' | 'succeeded' | 'downloaded' | 'rejected' | 'failed' | 'expired' | 'unknown';

export const TERMINAL_STATES: readonly JobState[] = ['downloaded', 'rejected', 'failed', 'expired', 'unknown'];

export interface ClipInfo {
  /** Relative to the run directory, e.g. `clips/ab12cd34.mp4`. */
  path: string;
  bytes: number;
  sha256: string;
  durationS: number;
  width: number;
  height: number;
  /** mtime and inode when recorded: with `bytes`, an unchanged file needs no re-hash on resume. */
  stamp?: { mtimeMs: number; ino: number };
  /** What the download's verification probed: post-steps and the report reuse it while `stamp` still matches. */
  probe?: ProbeResult;
}

/** A local reference image uploaded through the provider's own facility (see images.ts). */
export interface UploadedImage {
  provider: string;
  /** sha256 of the file's bytes: the same content is uploaded once per run and provider. */
  sha256: string;
  url: string;
  /** What was uploaded when the image was fitted to the clip first: `pad@1280x720` / `crop@720x1280`. */
  fit?: string;
  /** Epoch ms after which the provider no longer serves the URL, when it says so. */
  expiresAt?: number;
}

/** What the checkpoint knows about one job. Times are epoch ms. */
export interface JobRecord {
  id: string;
  state: JobState;
  attempts: number;
  idempotencyKey?: string;
  task?: TaskRef;
  progress?: number;
  outputs?: string[];
  expiresAt?: number;
  clip?: ClipInfo;
  /** The uploaded reference image the create used: recorded with the intent, before the create leaves. */
  image?: UploadedImage;
  error?: { code: string; message: string };
  reservedUsd: number;
  /** This intent is followed by a sending mark before its create goes out (intents of older versions are not). */
  sendMarks?: true;
  /**
   * Reservations of earlier attempts that may have been billed (an `unknown` create resubmitted on
   * request). Kept on the books as reserved so the worst case stays within the budget.
   */
  heldUsd?: number;
  spentUsd: number;
  timings: {
    submittingAt?: number;
    /**
     * Written (not fsync'd) right before the create's bytes go out. An intent without it, found after
     * a kill in the same boot, provably never left: the page cache keeps every completed write.
     */
    sendingAt?: number;
    submittedAt?: number;
    completedAt?: number;
    downloadedAt?: number;
  };
}
