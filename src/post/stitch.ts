/**
 * Stitch: clips of a group joined end to end. Stream copy through the concat demuxer when every
 * input has the same codec, size, frame rate, pixel format and audio layout (so the result plays
 * and is lossless); otherwise each clip is normalized (scale + pad, common fps, resampled audio,
 * silence for clips without audio) and the whole is re-encoded. Either way the output lasts the
 * sum of its inputs.
 */
import { rm, writeFile } from 'node:fs/promises';
import { runFfmpeg, type ProbeResult } from '../media/ffmpeg.ts';
import { concatListPath, even, secs } from '../media/filtergraph.ts';
import { emptyOutput, produceOutput } from './output.ts';
import { progressReporter } from './progress.ts';
import { resolveClips } from './clips.ts';
import { explicitOrder, fieldOf, groupBy, manifestOrder } from './select.ts';
import { stateKey, type PostState } from './state.ts';
import type { PostStep } from '../manifest/types.ts';
import type { ReportItem } from './types.ts';
import type { PostOutput, StepContext, UsableClip } from './types.ts';

type StitchStep = Extract<PostStep, { kind: 'stitch' }>;

const AUDIO_RATE = 48000;

/** True when the concat demuxer can join these files with `-c copy` and produce a valid stream. */
export function canStreamCopy(probes: readonly ProbeResult[]): boolean {
  const first = probes[0];
  if (!first?.video) return false;
  const v0 = first.video;
  const a0 = first.audio;
  return probes.every((p) => {
    const v = p.video;
    if (!v || v.codec !== v0.codec || v.width !== v0.width || v.height !== v0.height) return false;
    if (v.pixFmt !== v0.pixFmt || Math.abs(v.fps - v0.fps) > 0.01) return false;
    const a = p.audio;
    if (!a0 || !a) return !a0 && !a;
    return a.codec === a0.codec && a.sampleRate === a0.sampleRate && a.channels === a0.channels && a.layout === a0.layout;
  });
}

function mostCommon<T>(values: readonly T[], key: (v: T) => string): T | undefined {
  const counts = new Map<string, { v: T; n: number }>();
  for (const v of values) {
    const k = key(v);
    const c = counts.get(k);
    if (c) c.n++;
    else counts.set(k, { v, n: 1 });
  }
  let best: { v: T; n: number } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c; // ties: first seen wins
  return best?.v;
}

/** The size and frame rate a mixed group is normalized to: the most common among its clips. */
export function normalizeTarget(probes: readonly ProbeResult[]): { width: number; height: number; fps: number } {
  const videos = probes.flatMap((p) => (p.video ? [p.video] : []));
  const size = mostCommon(videos, (v) => `${v.width}x${v.height}`);
  const fps = mostCommon(
    videos.filter((v) => v.fps > 0 && v.fps <= 120),
    (v) => v.fps.toFixed(3),
  )?.fps;
  return { width: even(size?.width ?? 1280), height: even(size?.height ?? 720), fps: fps ? Math.round(fps * 1000) / 1000 : 30 };
}

/** The filtergraph that normalizes and concatenates `clips` (inputs 0..n-1). */
export function normalizeGraph(clips: readonly ProbeResult[], t: { width: number; height: number; fps: number }): string {
  const parts: string[] = [];
  clips.forEach((p, i) => {
    const d = secs(p.durationS);
    parts.push(
      `[${i}:v]scale=${t.width}:${t.height}:force_original_aspect_ratio=decrease,` +
        `pad=${t.width}:${t.height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${t.fps},format=yuv420p,` +
        `tpad=stop_mode=clone:stop_duration=${d},trim=duration=${d},setpts=PTS-STARTPTS[v${i}]`,
    );
    parts.push(
      p.audio
        ? `[${i}:a]aresample=${AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=${d},asetpts=PTS-STARTPTS[a${i}]`
        : `anullsrc=r=${AUDIO_RATE}:cl=stereo,atrim=duration=${d},asetpts=PTS-STARTPTS[a${i}]`,
    );
  });
  const pads = clips.map((_, i) => `[v${i}][a${i}]`).join('');
  parts.push(`${pads}concat=n=${clips.length}:v=1:a=1[vout][aout]`);
  return parts.join(';');
}

/** Items chosen by `select`: listed shot/job ids, or a field equal to a value (non-empty if no value). */
export function selectItems(items: readonly ReportItem[], select: StitchStep['select']): ReportItem[] {
  if (!select) return [...items];
  return items.filter((it) => {
    if (select.ids && select.ids.length > 0) {
      const j = it.job;
      if (!select.ids.some((id) => id === j.shotId || id === j.baseId || id === j.id)) return false;
    }
    if (select.field) {
      const v = fieldOf(it.job, select.field);
      if (select.equals !== undefined ? v !== select.equals : v === '') return false;
    }
    return true;
  });
}

/** Output path of a stitch group: `post/<name>-<group>.mp4`, or `post/<name>.mp4` when ungrouped. */
export function stitchOutputPath(step: StitchStep, slug: string | undefined, ordinal = 1): string {
  const name = step.name ?? (ordinal > 1 ? `stitch${ordinal}` : 'stitch');
  return slug === undefined ? `post/${name}.mp4` : `post/${name}-${slug}.mp4`;
}

async function stitchGroup(
  ctx: StepContext,
  state: PostState,
  output: string,
  groupKey: string | undefined,
  items: ReportItem[],
): Promise<PostOutput> {
  const { usable, excluded } = await resolveClips(ctx, items);
  const inputs = usable.map((c) => c.item.job.id);
  const group = groupKey !== undefined ? { group: groupKey } : {};
  if (usable.length === 0) {
    return emptyOutput(ctx, { step: 'stitch', output, inputs, excluded, ...group }, 'no usable clips to stitch');
  }
  const probes = usable.map((c) => c.probe);
  const copy = canStreamCopy(probes);
  const target = copy ? undefined : normalizeTarget(probes);
  const totalS = probes.reduce((s, p) => s + p.durationS, 0);
  return produceOutput(ctx, state, {
    step: 'stitch',
    output,
    key: stateKey({ kind: 'stitch', shas: usable.map((c) => c.sha256), copy, target }),
    inputs,
    excluded,
    ...group,
    build: async (tmp) => {
      const onStderr = progressReporter({ events: ctx.events, now: ctx.now, step: 'stitch', output, totalS });
      const run = { onStderr, ...(ctx.signal ? { signal: ctx.signal } : {}) };
      if (copy) {
        await concatCopy(usable, tmp, run);
        return { method: 'copy' };
      }
      const args: string[] = [];
      for (const c of usable) args.push('-i', c.abs);
      args.push(
        '-filter_complex',
        normalizeGraph(probes, target!),
        '-map',
        '[vout]',
        '-map',
        '[aout]',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-crf',
        '20',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        '-b:a',
        '128k',
        '-ar',
        String(AUDIO_RATE),
        '-movflags',
        '+faststart',
        tmp,
      );
      await runFfmpeg(args, run);
      return { method: 'reencode', message: `re-encoded to ${target!.width}x${target!.height}@${target!.fps}` };
    },
  });
}

async function concatCopy(
  clips: readonly UsableClip[],
  tmp: string,
  run: { onStderr: (s: string) => void; signal?: AbortSignal },
): Promise<void> {
  const list = `${tmp}.txt`;
  // `duration` pins where the next file starts: without it the demuxer offsets by the last packet's
  // end, which includes AAC priming, and the joins drift ~20 ms per clip.
  await writeFile(list, clips.map((c) => `${concatListPath(c.abs)}\nduration ${secs(c.probe.durationS)}`).join('\n') + '\n');
  try {
    await runFfmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', tmp], run);
  } finally {
    await rm(list, { force: true });
  }
}

/** The `stitch` step: one output per group of selected clips, in manifest or explicit order. */
export async function runStitch(ctx: StepContext, state: PostState, step: StitchStep, ordinal = 1): Promise<PostOutput[]> {
  let items = selectItems(manifestOrder(ctx.items), step.select);
  if (step.order && step.order.length > 0) items = explicitOrder(items, step.order);
  if (!step.group_by) {
    return [await ctx.limit(() => stitchGroup(ctx, state, stitchOutputPath(step, undefined, ordinal), undefined, items))];
  }
  const groups = groupBy(items, step.group_by);
  return Promise.all(groups.map((g) => ctx.limit(() => stitchGroup(ctx, state, stitchOutputPath(step, g.slug, ordinal), g.key, g.items))));
}
