/**
 * Thumbnails: a poster frame per clip (`thumbs/<job-id>.jpg`) and contact sheets made with the
 * `tile` filter, either per clip (frames across its length) or per group (one frame per clip).
 */
import { runFfmpeg } from '../media/ffmpeg.ts';
import { even, secs } from '../media/filtergraph.ts';
import { emptyOutput, produceOutput } from './output.ts';
import { resolveClips } from './clips.ts';
import { groupBy, manifestOrder } from './select.ts';
import { stateKey, type PostState } from './state.ts';
import type { PostStep } from '../manifest/types.ts';
import type { ReportItem } from './types.ts';
import type { PostOutput, PostStepKind, StepContext, UsableClip } from './types.ts';

const POSTER_MAX_WIDTH = 640;
const SHEET_CELL_WIDTH = 240;

/** Seconds into a clip for `at` (seconds or `"50%"`), kept inside the clip so a frame exists. */
export function resolveAt(at: number | string | undefined, durationS: number): number {
  let t: number;
  if (typeof at === 'number') t = at;
  else if (typeof at === 'string' && /^\s*\d+(\.\d+)?\s*%\s*$/.test(at)) t = (parseFloat(at) / 100) * durationS;
  else if (typeof at === 'string' && Number.isFinite(Number(at))) t = Number(at);
  else t = durationS / 2;
  const last = Math.max(0, durationS - 0.1);
  return Math.min(Math.max(0, t), last);
}

export function posterPath(jobId: string): string {
  return `thumbs/${jobId}.jpg`;
}

async function poster(ctx: StepContext, state: PostState, clip: UsableClip, at: number | string | undefined): Promise<PostOutput> {
  const t = resolveAt(at, clip.probe.durationS);
  const output = posterPath(clip.item.job.id);
  return produceOutput(ctx, state, {
    step: 'thumbnails',
    output,
    key: stateKey({ kind: 'poster', sha: clip.sha256, t, w: POSTER_MAX_WIDTH }),
    inputs: [clip.item.job.id],
    build: async (tmp) => {
      await runFfmpeg(
        ['-ss', secs(t), '-i', clip.abs, '-frames:v', '1', '-vf', `scale='min(${POSTER_MAX_WIDTH},iw)':-2`, '-q:v', '3', tmp],
        ctx.signal ? { signal: ctx.signal } : {},
      );
      return {};
    },
  });
}

interface SheetOptions {
  cols: number;
  rows: number;
  per: 'clip' | 'group';
  group_by?: string;
}

function sheetOptions(sheet: Extract<PostStep, { kind: 'thumbnails' }>['sheet']): SheetOptions | null {
  if (!sheet) return null;
  const o = sheet === true ? {} : sheet;
  return {
    cols: Math.max(1, o.cols ?? 4),
    rows: Math.max(1, o.rows ?? 3),
    per: o.per ?? (o.group_by ? 'group' : 'clip'),
    ...(o.group_by ? { group_by: o.group_by } : {}),
  };
}

/** Frames spread across one clip, tiled cols×rows. */
async function clipSheet(
  ctx: StepContext,
  state: PostState,
  step: PostStepKind,
  clip: UsableClip,
  o: SheetOptions,
  n: string,
): Promise<PostOutput> {
  const frames = o.cols * o.rows;
  const dur = clip.probe.durationS;
  const output = `thumbs/${clip.item.job.id}-sheet${n}.jpg`;
  return produceOutput(ctx, state, {
    step,
    output,
    key: stateKey({ kind: 'clip-sheet', sha: clip.sha256, cols: o.cols, rows: o.rows, w: SHEET_CELL_WIDTH }),
    inputs: [clip.item.job.id],
    build: async (tmp) => {
      // fps=n/dur samples n frames evenly; tile flushes a partial sheet at EOF if one is short.
      const vf = `fps=${frames}/${secs(dur)},scale=${SHEET_CELL_WIDTH}:-2,tile=${o.cols}x${o.rows}:padding=2:margin=2`;
      await runFfmpeg(['-i', clip.abs, '-vf', vf, '-frames:v', '1', '-q:v', '3', tmp], ctx.signal ? { signal: ctx.signal } : {});
      return {};
    },
  });
}

/** One frame per clip of a group, tiled (rows grow to fit every clip). */
async function groupSheet(
  ctx: StepContext,
  state: PostState,
  step: PostStepKind,
  group: { key: string; slug: string; items: ReportItem[] },
  o: SheetOptions,
  at: number | string | undefined,
  n: string,
): Promise<PostOutput> {
  const output = `post/sheet${n}-${group.slug}.jpg`;
  const { usable, excluded } = await resolveClips(ctx, group.items);
  const inputs = usable.map((c) => c.item.job.id);
  if (usable.length === 0) {
    return emptyOutput(ctx, { step, output, inputs, group: group.key, excluded }, 'no usable clips in group');
  }
  const first = usable[0]!.probe.video!;
  const cw = even(SHEET_CELL_WIDTH);
  const ch = even((SHEET_CELL_WIDTH * first.height) / Math.max(1, first.width));
  const cols = Math.min(o.cols, usable.length);
  const rows = Math.ceil(usable.length / cols);
  const times = usable.map((c) => resolveAt(at, c.probe.durationS));
  return produceOutput(ctx, state, {
    step,
    output,
    key: stateKey({ kind: 'group-sheet', shas: usable.map((c) => c.sha256), times, cols, cw, ch }),
    inputs,
    group: group.key,
    excluded,
    build: async (tmp) => {
      const args: string[] = [];
      usable.forEach((c, i) => args.push('-ss', secs(times[i]!), '-i', c.abs));
      const cells = usable
        .map(
          (_, i) =>
            `[${i}:v]trim=end_frame=1,scale=${cw}:${ch}:force_original_aspect_ratio=decrease,` +
            `pad=${cw}:${ch}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p,setpts=N/TB[c${i}]`,
        )
        .join(';');
      const labels = usable.map((_, i) => `[c${i}]`).join('');
      const graph = `${cells};${labels}concat=n=${usable.length}:v=1:a=0,tile=${cols}x${rows}:padding=2:margin=2[out]`;
      args.push('-filter_complex', graph, '-map', '[out]', '-frames:v', '1', '-q:v', '3', tmp);
      await runFfmpeg(args, ctx.signal ? { signal: ctx.signal } : {});
      return {};
    },
  });
}

/** The `thumbnails` step: posters for every usable clip, plus contact sheets when asked. */
export async function runThumbnails(
  ctx: StepContext,
  state: PostState,
  step: Extract<PostStep, { kind: 'thumbnails' }>,
  ordinal = 1,
): Promise<PostOutput[]> {
  const items = manifestOrder(ctx.items);
  const { usable } = await resolveClips(ctx, items);
  const outputs = await Promise.all(usable.map((c) => ctx.limit(() => poster(ctx, state, c, step.at))));
  const sheet = sheetOptions(step.sheet);
  if (sheet) outputs.push(...(await runSheets(ctx, state, 'thumbnails', sheet, ordinal, step.at)));
  return outputs;
}

/** The `contact_sheet` step: per group when `group_by` is given, else per clip. */
export async function runContactSheets(
  ctx: StepContext,
  state: PostState,
  step: Extract<PostStep, { kind: 'contact_sheet' }>,
  ordinal = 1,
): Promise<PostOutput[]> {
  const o: SheetOptions = {
    cols: Math.max(1, step.cols ?? 4),
    rows: Math.max(1, step.rows ?? 3),
    per: step.group_by ? 'group' : 'clip',
    ...(step.group_by ? { group_by: step.group_by } : {}),
  };
  return runSheets(ctx, state, 'contact_sheet', o, ordinal);
}

async function runSheets(
  ctx: StepContext,
  state: PostState,
  step: PostStepKind,
  o: SheetOptions,
  ordinal: number,
  at?: number | string,
): Promise<PostOutput[]> {
  const n = ordinal > 1 ? String(ordinal) : '';
  const items = manifestOrder(ctx.items);
  if (o.per === 'clip') {
    const { usable } = await resolveClips(ctx, items);
    return Promise.all(usable.map((c) => ctx.limit(() => clipSheet(ctx, state, step, c, o, n))));
  }
  const groups = groupBy(items, o.group_by);
  return Promise.all(groups.map((g) => ctx.limit(() => groupSheet(ctx, state, step, g, o, at, n))));
}
