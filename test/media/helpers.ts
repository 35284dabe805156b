/** Test fixtures: tiny real clips made with ffmpeg, and the Job/JobRecord pairs that describe them. */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFfmpeg } from '../../src/media/ffmpeg.ts';
import type { Job } from '../../src/plan/types.ts';
import type { JobRecord, JobState } from '../../src/run/types.ts';
import type { ReportItem } from '../../src/report/types.ts';

export interface ClipSpec {
  width?: number;
  height?: number;
  seconds?: number;
  fps?: number;
  audio?: boolean;
  /** lavfi video source name (testsrc, testsrc2, smptehdbars, mandelbrot, …). */
  source?: string;
  /** A whole lavfi video graph instead of `source` (e.g. a black or frozen picture). */
  video?: string;
  /** lavfi audio source instead of the sine tone (e.g. `anullsrc=r=44100:cl=stereo` for silence). */
  audioSource?: string;
  /** Length actually rendered when it should differ from the requested `seconds` (a short clip). */
  renderSeconds?: number;
}

const made: string[] = [];

export async function tempRunDir(prefix = 'shotlist-media-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  await mkdir(join(dir, 'clips'), { recursive: true });
  return dir;
}

/** Removes every directory `tempRunDir` made in this process (call from afterAll). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** Writes a testsrc (+ sine) MP4 at `abs`. */
export async function makeClip(abs: string, spec: ClipSpec = {}): Promise<void> {
  const w = spec.width ?? 160;
  const h = spec.height ?? 90;
  const d = spec.renderSeconds ?? spec.seconds ?? 1;
  const fps = spec.fps ?? 24;
  const video = spec.video ?? `${spec.source ?? 'testsrc'}=size=${w}x${h}:rate=${fps}:duration=${d}`;
  const args = ['-f', 'lavfi', '-i', video];
  if (spec.audio !== false) args.push('-f', 'lavfi', '-i', spec.audioSource ?? `sine=frequency=440:sample_rate=44100:duration=${d}`);
  if (spec.video || spec.audioSource) args.push('-t', String(d));
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(fps));
  if (spec.audio !== false) args.push('-c:a', 'aac', '-b:a', '64k', '-shortest');
  args.push(abs);
  await runFfmpeg(args);
}

export interface ItemSpec extends ClipSpec {
  id: string;
  shot?: string;
  index?: number;
  take?: number;
  provider?: string;
  model?: string;
  prompt?: string;
  seed?: number;
  state?: JobState;
  usd?: number | null;
  fields?: Record<string, string>;
  /** Don't write a clip file (state downloaded but the file is missing). */
  noFile?: boolean;
}

export function makeJob(s: ItemSpec): Job {
  const w = s.width ?? 160;
  const h = s.height ?? 90;
  const shot = s.shot ?? s.id;
  const provider = s.provider ?? 'openai';
  const model = s.model ?? 'sora-2';
  return {
    id: s.id,
    shotId: shot,
    baseId: shot.split('@')[0]!,
    take: s.take ?? 1,
    index: s.index ?? 0,
    provider,
    model,
    wireModel: model,
    tier: 'standard',
    prompt: s.prompt ?? `A test pattern for ${s.id}`,
    seconds: s.seconds ?? 1,
    aspect: w >= h ? '16:9' : '9:16',
    resolution: '720p',
    size: { width: w, height: h },
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
    params: {},
    fields: { id: shot.split('@')[0]!, provider, model, ...s.fields },
    cost: { usd: s.usd === undefined ? 0.1 * (s.seconds ?? 1) : s.usd, credits: null },
    source: { file: 'manifest.yaml', line: 1 + (s.index ?? 0), col: 1 },
  };
}

/** A job plus its record; for `downloaded` jobs the clip is rendered into `runDir/clips/`. */
export async function makeItem(runDir: string, s: ItemSpec): Promise<ReportItem> {
  const job = makeJob(s);
  const state = s.state ?? 'downloaded';
  const t0 = Date.UTC(2026, 10, 21, 9, 0, 0) + (s.index ?? 0) * 1000;
  const record: JobRecord = {
    id: s.id,
    state,
    attempts: 1,
    task: { id: `task_${s.id}` },
    reservedUsd: 0,
    spentUsd: state === 'downloaded' ? (job.cost.usd ?? 0) : 0,
    timings: {
      submittingAt: t0,
      submittedAt: t0 + 200,
      ...(state === 'downloaded' ? { completedAt: t0 + 30_000, downloadedAt: t0 + 31_000 } : {}),
    },
  };
  if (state === 'failed') record.error = { code: 'moderation_blocked', message: 'Prompt <rejected> by "policy" & filter' };
  if (state === 'downloaded') {
    const rel = `clips/${s.id}.mp4`;
    const abs = join(runDir, rel);
    if (!s.noFile) await makeClip(abs, s);
    const bytes = s.noFile ? 1000 : (await stat(abs)).size;
    const sha256 = s.noFile
      ? 'missing'
      : createHash('sha256')
          .update(await readFile(abs))
          .digest('hex');
    record.clip = { path: rel, bytes, sha256, durationS: s.seconds ?? 1, width: s.width ?? 160, height: s.height ?? 90 };
  }
  return { job, record };
}
