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
  /** Per clip: frames are cols×rows (default 3). Per group: clips per page are cols×rows; absent = one sheet that grows. */
  rows?: number;
  per: 'clip' | 'group';
  group_by?: string;
}

/** Clip index ranges [start, end) of each sheet page: one page when `rows` is not given. */
export function sheetPages(count: number, cols: number, rows?: number): Array<[number, number]> {
  const per = rows === undefined ? count : Math.max(1, cols) * Math.max(1, rows);
  if (count === 0 || per <= 0) return [[0, count]];
  const pages: Array<[number, number]> = [];
  for (let start = 0; start < count; start += per) pages.push([start, Math.min(count, start + per)]);
  return pages;
}

function sheetOptions(sheet: Extract<PostStep, { kind: 'thumbnails' }>['sheet']): SheetOptions | null {
  if (!sheet) return null;
  const o = sheet === true ? {} : sheet;
  return {
    cols: Math.max(1, o.cols ?? 4),
    ...(o.rows !== undefined ? { rows: Math.max(1, o.rows) } : {}),
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
  const rows = o.rows ?? 3;
  const frames = o.cols * rows;
  const dur = clip.probe.durationS;
  const output = `thumbs/${clip.item.job.id}-sheet${n}.jpg`;
  return produceOutput(ctx, state, {
    step,
    output,
    key: stateKey({ kind: 'clip-sheet', sha: clip.sha256, cols: o.cols, rows, w: SHEET_CELL_WIDTH }),
    inputs: [clip.item.job.id],
    build: async (tmp) => {
      // fps=n/dur samples n frames evenly; tile flushes a partial sheet at EOF if one is short.
      const vf = `fps=${frames}/${secs(dur)},scale=${SHEET_CELL_WIDTH}:-2,tile=${o.cols}x${rows}:padding=2:margin=2`;
      await runFfmpeg(['-i', clip.abs, '-vf', vf, '-frames:v', '1', '-q:v', '3', tmp], ctx.signal ? { signal: ctx.signal } : {});
      return {};
    },
  });
}

/** One frame per clip of a group, tiled; paged by `rows` (cols×rows clips per sheet) when given. */
async function groupSheets(
  ctx: StepContext,
  state: PostState,
  step: PostStepKind,
  group: { key: string; slug: string; items: ReportItem[] },
  o: SheetOptions,
  at: number | string | undefined,
  n: string,
): Promise<PostOutput[]> {
  const { usable, excluded } = await resolveClips(ctx, group.items);
  if (usable.length === 0) {
    const output = `post/sheet${n}-${group.slug}.jpg`;
    return [await emptyOutput(ctx, { step, output, inputs: [], group: group.key, excluded }, 'no usable clips in group')];
  }
  const pages = sheetPages(usable.length, o.cols, o.rows);
  return Promise.all(
    pages.map(([start, end], i) => {
      // A single page keeps the plain name; pages are numbered -p1, -p2, … in manifest order.
      const output = `post/sheet${n}-${group.slug}${pages.length > 1 ? `-p${i + 1}` : ''}.jpg`;
      return ctx.limit(() => groupSheet(ctx, state, step, group.key, usable.slice(start, end), i === 0 ? excluded : [], o, at, output));
    }),
  );
}

async function groupSheet(
  ctx: StepContext,
  state: PostState,
  step: PostStepKind,
  groupKey: string,
  usable: UsableClip[],
  excluded: Awaited<ReturnType<typeof resolveClips>>['excluded'],
  o: SheetOptions,
  at: number | string | undefined,
  output: string,
): Promise<PostOutput> {
  const inputs = usable.map((c) => c.item.job.id);
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
    group: groupKey,
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
    ...(step.rows !== undefined ? { rows: Math.max(1, step.rows) } : {}),
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
  return (await Promise.all(groups.map((g) => groupSheets(ctx, state, step, g, o, at, n)))).flat();
}
