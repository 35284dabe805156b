/**
 * Grid: the clips of a group (e.g. one prompt and seed across models) side by side in one synced
 * video with `xstack`, each tile scaled to a common size, labelled with drawtext when a font
 * exists, and shorter clips held on their last frame (`tpad`) until the longest ends.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaToolError, runFfmpeg } from '../media/ffmpeg.ts';
import { even, filterValue, secs } from '../media/filtergraph.ts';
import { emptyOutput, produceOutput } from './output.ts';
import { progressReporter } from './progress.ts';
import { resolveClips } from './clips.ts';
import { fieldOf, groupBy, manifestOrder, orderBy, splitFields } from './select.ts';
import { groupLabels } from '../report/labels.ts';
import { stateKey, type PostState } from './state.ts';
import { normalizeTarget } from './stitch.ts';
import type { PostStep } from '../manifest/types.ts';
import type { PostOutput, StepContext, UsableClip } from './types.ts';

type GridStep = Extract<PostStep, { kind: 'grid' }>;

/** Longest tile side unless the step says otherwise: source resolution up to this cap. */
export const DEFAULT_MAX_TILE = 1280;

/** Columns × rows for n tiles: 2→2×1, 3→3×1, 4→2×2, 6→3×2, otherwise a near-square grid. */
export function gridLayout(n: number): { cols: number; rows: number } {
  if (n <= 3) return { cols: Math.max(1, n), rows: 1 };
  if (n === 4) return { cols: 2, rows: 2 };
  if (n === 6) return { cols: 3, rows: 2 };
  const cols = Math.ceil(Math.sqrt(n));
  return { cols, rows: Math.ceil(n / cols) };
}

/** xstack layout for a cols×rows grid of equal tiles (4.1 accepts only wN/hN sums, not numbers). */
export function xstackLayout(cols: number, rows: number): string {
  const cells: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = c === 0 ? '0' : Array(c).fill('w0').join('+');
      const y = r === 0 ? '0' : Array(r).fill('h0').join('+');
      cells.push(`${x}_${y}`);
    }
  }
  return cells.join('|');
}

/** Common tile size: the group's most common clip size, scaled down so no side exceeds `maxSide`. */
export function tileSize(clips: readonly UsableClip[], maxSide = DEFAULT_MAX_TILE): { width: number; height: number; fps: number } {
  const t = normalizeTarget(clips.map((c) => c.probe));
  const k = Math.min(1, maxSide / t.width, maxSide / t.height);
  return { width: even(t.width * k), height: even(t.height * k), fps: t.fps };
}

/**
 * Caption bar under the picture: a font size at which the longest label fits the tile width,
 * never below 9 px; a label longer than that is wrapped at its ' · ' separators (never cut).
 */
export function captionLayout(
  labels: readonly string[],
  tileWidth: number,
  tileHeight: number,
): { fontSize: number; lines: string[][]; barHeight: number } {
  const base = Math.max(12, Math.round(Math.min(tileWidth, tileHeight) / 14));
  const room = tileWidth * 0.94;
  const longest = Math.max(1, ...labels.map((l) => l.length));
  const fontSize = Math.max(9, Math.min(base, Math.floor(room / (longest * 0.6))));
  const perLine = Math.max(8, Math.floor(room / (fontSize * 0.6)));
  const lines = labels.map((l) => wrapAtSeparators(l, perLine));
  const n = Math.max(1, ...lines.map((ls) => ls.length));
  return { fontSize, lines, barHeight: even(n * fontSize * 1.3 + fontSize * 0.8) };
}

function wrapAtSeparators(label: string, perLine: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const part of label.split(' · ')) {
    const next = line ? `${line} · ${part}` : part;
    if (line && next.length > perLine) {
      out.push(line);
      line = part;
    } else line = next;
  }
  if (line) out.push(line);
  return out;
}

interface GraphInput {
  clips: readonly UsableClip[];
  tile: { width: number; height: number; fps: number };
  cols: number;
  rows: number;
  /** Per clip: textfile path for its label, when labelling. */
  labelFiles?: string[];
  fontFile?: string;
  /** Caption bar under each picture (0 without labels). */
  barHeight?: number;
  fontSize?: number;
  /** Index of the clip whose audio the grid carries, or undefined for a silent grid. */
  audioFrom?: number;
}

export function gridGraph(g: GraphInput): { graph: string; durationS: number } {
  const { width: tw, height: th, fps } = g.tile;
  const longest = Math.max(...g.clips.map((c) => c.probe.durationS));
  const d = secs(longest);
  const fontSize = g.fontSize ?? Math.max(10, Math.round(th / 16));
  const bar = g.labelFiles && g.fontFile ? (g.barHeight ?? 0) : 0;
  const parts = g.clips.map((c, i) => {
    const hold = secs(longest - c.probe.durationS + 0.1);
    let chain =
      `[${i}:v]fps=${fps},scale=${tw}:${th}:force_original_aspect_ratio=decrease,` +
      `pad=${tw}:${th}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p,` +
      `tpad=stop_mode=clone:stop_duration=${hold},trim=duration=${d},setpts=PTS-STARTPTS`;
    const label = g.labelFiles?.[i];
    if (label && g.fontFile && bar > 0) {
      // The caption sits in a bar below the picture, so it never hides any of it.
      chain +=
        `,pad=${tw}:${th + bar}:0:0:color=0x181b22,drawtext=fontfile=${filterValue(g.fontFile)}:textfile=${filterValue(label)}:` +
        `expansion=none:fontsize=${fontSize}:fontcolor=white:line_spacing=${Math.round(fontSize * 0.3)}:` +
        `x=(w-text_w)/2:y=${th}+(${bar}-text_h)/2`;
    }
    return `${chain}[t${i}]`;
  });
  const cells = g.cols * g.rows;
  for (let i = g.clips.length; i < cells; i++) {
    // Empty cells get a dark tile: 4.1's xstack leaves uncovered areas uninitialized.
    parts.push(`color=c=0x101010:s=${tw}x${th + bar}:r=${fps}:d=${d},format=yuv420p[t${i}]`);
  }
  const pads = Array.from({ length: cells }, (_, i) => `[t${i}]`).join('');
  parts.push(cells === 1 ? `${pads}null[out]` : `${pads}xstack=inputs=${cells}:layout=${xstackLayout(g.cols, g.rows)}[out]`);
  if (g.audioFrom !== undefined) {
    parts.push(`[${g.audioFrom}:a]aresample=48000,apad,atrim=duration=${d},asetpts=PTS-STARTPTS[aout]`);
  }
  return { graph: parts.join(';'), durationS: longest };
}

async function encodeGrid(ctx: StepContext, output: string, tmp: string, g: GraphInput): Promise<void> {
  const { graph, durationS } = gridGraph(g);
  const args: string[] = [];
  for (const c of g.clips) args.push('-i', c.abs);
  args.push(
    '-filter_complex',
    graph,
    '-map',
    '[out]',
    ...(g.audioFrom !== undefined ? ['-map', '[aout]', '-c:a', 'aac', '-b:a', '128k'] : ['-an']),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '23',
    '-pix_fmt',
    'yuv420p',
    '-movflags',
    '+faststart',
    tmp,
  );
  const onStderr = progressReporter({ events: ctx.events, now: ctx.now, step: 'grid', output, totalS: durationS });
  await runFfmpeg(args, { onStderr, ...(ctx.signal ? { signal: ctx.signal } : {}) });
}

async function gridGroup(
  ctx: StepContext,
  state: PostState,
  step: GridStep,
  group: { key: string; slug: string; items: UsableClip['item'][] },
  ordinal: number,
): Promise<PostOutput> {
  const output = `post/grid${ordinal > 1 ? ordinal : ''}-${group.slug}.mp4`;
  const ordered = orderBy(group.items, splitFields(step.order_by));
  const { usable, excluded } = await resolveClips(ctx, ordered);
  const inputs = usable.map((c) => c.item.job.id);
  if (usable.length === 0) {
    return emptyOutput(ctx, { step: 'grid', output, inputs, group: group.key, excluded }, 'no usable clips in group');
  }
  const { cols, rows } = gridLayout(usable.length);
  const tile = tileSize(usable, step.max_tile ?? DEFAULT_MAX_TILE);
  const jobs = usable.map((c) => c.item.job);
  const labels = groupLabels(jobs, fieldOf, step.label, Object.keys(jobs[0]?.fields ?? {}));
  const caption = captionLayout(labels, tile.width, tile.height);
  // `audio: N` picks the tile (1-based) whose sound the grid carries; 0 makes it silent.
  const audioTile = (step.audio ?? 1) - 1;
  const audioFrom = audioTile >= 0 && usable[audioTile]?.probe.audio ? audioTile : undefined;
  const font = ctx.fontFile;
  return produceOutput(ctx, state, {
    step: 'grid',
    output,
    key: stateKey({ kind: 'grid', v: 2, shas: usable.map((c) => c.sha256), tile, cols, rows, labels: font ? labels : null, audioFrom }),
    inputs,
    group: group.key,
    excluded,
    build: async (tmp) => {
      const base: GraphInput = { clips: usable, tile, cols, rows, ...(audioFrom !== undefined ? { audioFrom } : {}) };
      const layout = `${cols}x${rows} tiles of ${tile.width}x${tile.height}`;
      if (!font) {
        await encodeGrid(ctx, output, tmp, base);
        return { message: `${layout}; labels omitted: no font file found for drawtext` };
      }
      const dir = await mkdtemp(join(tmpdir(), 'shotlist-grid-'));
      try {
        const labelFiles = await Promise.all(
          caption.lines.map(async (lines, i) => {
            const text = lines.join('\n');
            const f = join(dir, `label-${i}.txt`);
            await writeFile(f, text);
            return f;
          }),
        );
        try {
          await encodeGrid(ctx, output, tmp, {
            ...base,
            labelFiles,
            fontFile: font,
            barHeight: caption.barHeight,
            fontSize: caption.fontSize,
          });
          return { message: layout };
        } catch (err) {
          // A font this ffmpeg cannot load must not cost the grid: render it without labels.
          if (!(err instanceof MediaToolError) || !/drawtext|font/i.test(err.result.stderr) || ctx.signal?.aborted) throw err;
          await encodeGrid(ctx, output, tmp, base);
          return { message: `${layout}; labels omitted: drawtext failed with ${font}` };
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  });
}

/** The `grid` step: one comparison video per group. */
export async function runGrid(ctx: StepContext, state: PostState, step: GridStep, ordinal = 1): Promise<PostOutput[]> {
  const groups = groupBy(manifestOrder(ctx.items), splitFields(step.group_by));
  return Promise.all(groups.map((g) => ctx.limit(() => gridGroup(ctx, state, step, g, ordinal))));
}
