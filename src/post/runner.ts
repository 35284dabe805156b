/**
 * Runs a manifest's post-steps over the run's clips. Every output is independent: a bad clip is
 * left out and reported, a failed output never stops the others, and up-to-date outputs are
 * skipped. Steps run in order; outputs within a step run with bounded concurrency.
 */
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { InterruptedError } from '../errors.ts';
import { makeClipResolver, type ClipResolver } from './clips.ts';
import { findFont } from '../media/fonts.ts';
import { runGrid } from './grid.ts';
import { runQc } from './qc.ts';
import { openPostState, type PostState } from './state.ts';
import { runStitch } from './stitch.ts';
import { runContactSheets, runThumbnails } from './thumbnails.ts';
import type { PostStep } from '../manifest/types.ts';
import type { EventSink } from '../run/events.ts';
import type { ReportItem } from './types.ts';
import type { PostOutput, StepContext } from './types.ts';

export type { PostOutput, ExcludedClip } from './types.ts';

/** What runs when the manifest lists no post-steps: a poster per clip and one stitch per size. */
export const DEFAULT_POST_STEPS: readonly PostStep[] = [{ kind: 'thumbnails' }, { kind: 'stitch', group_by: 'size' }];

export interface RunPostOptions {
  runDir: string;
  steps: PostStep[];
  items: ReportItem[];
  events: EventSink;
  signal?: AbortSignal;
  now?: () => number;
  /** Font for grid labels; default: found on this machine. `null` renders without labels. */
  fontFile?: string | null;
  /** ffmpeg processes at once; default: available CPUs. */
  concurrency?: number;
  /** Shared with whoever reads the clips next (results), so each clip is probed once. */
  clips?: ClipResolver;
}

export async function runPostSteps(opts: RunPostOptions): Promise<PostOutput[]> {
  const listed = opts.steps.length > 0 ? opts.steps : DEFAULT_POST_STEPS;
  // QC is on by default: it runs first unless the manifest lists it (to tune or switch it off).
  const steps = listed.some((s) => s.kind === 'qc') ? listed : [{ kind: 'qc' } as const, ...listed];
  const state = await openPostState(opts.runDir);
  const limit = pLimit(Math.max(1, opts.concurrency ?? availableParallelism()));
  const ctx: StepContext = {
    runDir: opts.runDir,
    items: opts.items,
    events: opts.events,
    ...(opts.signal ? { signal: opts.signal } : {}),
    now: opts.now ?? Date.now,
    clip: opts.clips ?? makeClipResolver(opts.runDir, opts.items, opts.signal),
    fontFile: opts.fontFile === undefined ? findFont() : opts.fontFile,
    limit: (fn) => limit(fn),
  };
  const outputs: PostOutput[] = [];
  // Steps of one output family get a numbered prefix after the first (stitch, stitch2, …) so two
  // steps never write, and keep rebuilding, the same file.
  const seen: Record<string, number> = {};
  for (const [i, step] of steps.entries()) {
    if (opts.signal?.aborted) throw new InterruptedError('post-steps interrupted');
    const family = step.kind === 'contact_sheet' || (step.kind === 'thumbnails' && step.sheet) ? 'sheet' : step.kind;
    const ordinal = (seen[family] = (seen[family] ?? 0) + 1);
    outputs.push(...(await runStep(counted(ctx, step.kind, i + 1, steps.length), state, step, ordinal)));
  }
  return outputs;
}

/**
 * The step's context with its work counted: every unit goes through `limit`, so the units scheduled
 * so far are the total and the finished ones are done. A long step is never silent (issue 11).
 */
function counted(ctx: StepContext, step: string, index: number, steps: number): StepContext {
  let done = 0;
  let total = 0;
  const emit = () => ctx.events({ kind: 'post.step', at: ctx.now(), step, index, steps, done, total });
  emit();
  return {
    ...ctx,
    limit: (fn) => {
      total++;
      return ctx.limit(fn).finally(() => {
        done++;
        emit();
      });
    },
  };
}

function runStep(ctx: StepContext, state: PostState, step: PostStep, ordinal: number): Promise<PostOutput[]> {
  switch (step.kind) {
    case 'thumbnails':
      return runThumbnails(ctx, state, step, ordinal);
    case 'stitch':
      return runStitch(ctx, state, step, ordinal);
    case 'grid':
      return runGrid(ctx, state, step, ordinal);
    case 'contact_sheet':
      return runContactSheets(ctx, state, step, ordinal);
    case 'qc':
      return step.enabled === false ? Promise.resolve([]) : runQc(ctx, state, step);
  }
}
