/**
 * The `qc` post-step (on by default): one ffmpeg analysis pass per downloaded clip, run in
 * parallel within the post-step process limit, and one verdict per clip written to `post/qc.json`.
 * results.json, the report and the final summary read it; flagged job ids are what `retry` selects.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg, MediaToolError } from '../media/ffmpeg.ts';
import { resolveClips } from './clips.ts';
import { produceOutput, emptyOutput } from './output.ts';
import { DEFAULT_QC, parseQcLog, qcArgs, qcVerdict, type QcThresholds } from './qc-parse.ts';
import { manifestOrder } from './select.ts';
import { stateKey, type PostState } from './state.ts';
import type { PostStep } from '../manifest/types.ts';
import type { ClipQc } from '../report/types.ts';
import type { PostOutput, StepContext, UsableClip } from './types.ts';

type QcStep = Extract<PostStep, { kind: 'qc' }>;

export const QC_FILE = 'post/qc.json';

export function qcThresholds(step: QcStep): QcThresholds {
  return {
    blackS: step.black_s ?? DEFAULT_QC.blackS,
    frozenS: step.frozen_s ?? DEFAULT_QC.frozenS,
    silenceDb: step.silence_db ?? DEFAULT_QC.silenceDb,
    durationToleranceS: step.duration_tolerance_s ?? DEFAULT_QC.durationToleranceS,
    audio: step.audio ?? DEFAULT_QC.audio,
  };
}

/** Models whose clips in this run carry audio: under `audio: auto` their silent clips are flagged. */
function audioModels(clips: readonly UsableClip[]): Set<string> {
  const set = new Set<string>();
  for (const c of clips) if (c.probe.audio) set.add(`${c.item.job.provider}/${c.item.job.model}`);
  return set;
}

/** Analyse one clip; a clip ffmpeg cannot decode at all is a `decode` issue, not a failed step. */
export async function checkClip(c: UsableClip, t: QcThresholds, audioExpected: boolean, signal?: AbortSignal): Promise<ClipQc> {
  const job = c.item.job;
  let stderr: string;
  try {
    stderr = (await runFfmpeg(qcArgs(c.abs, t, !!c.probe.audio), signal ? { signal } : {})).stderr;
  } catch (err) {
    if (!(err instanceof MediaToolError) || signal?.aborted) throw err;
    stderr = `${err.result.stderr}\nerror: ffmpeg exited ${err.result.code}`;
  }
  const measures = parseQcLog(stderr, c.probe.durationS);
  return qcVerdict(measures, c.probe, { seconds: job.seconds, width: job.size.width, height: job.size.height, audioExpected }, t);
}

export async function runQc(ctx: StepContext, state: PostState, step: QcStep): Promise<PostOutput[]> {
  const items = manifestOrder(ctx.items).filter((it) => it.record.state === 'downloaded');
  const { usable, excluded } = await resolveClips(ctx, items);
  const inputs = usable.map((c) => c.item.job.id);
  if (usable.length === 0) return [emptyOutput(ctx, { step: 'qc', output: QC_FILE, inputs, excluded }, 'no downloaded clips to check')];
  const t = qcThresholds(step);
  const withAudio = audioModels(usable);
  const expects = (c: UsableClip): boolean =>
    t.audio === 'required' || (t.audio === 'auto' && withAudio.has(`${c.item.job.provider}/${c.item.job.model}`));
  let flagged: Array<{ job: string; issues: string[] }> = [];
  const out = await produceOutput(ctx, state, {
    step: 'qc',
    output: QC_FILE,
    key: stateKey({ kind: 'qc', shas: usable.map((c) => [c.item.job.id, c.sha256, expects(c)]), t }),
    inputs,
    excluded,
    build: async (tmp) => {
      const verdicts = await Promise.all(usable.map((c) => ctx.limit(() => checkClip(c, t, expects(c), ctx.signal))));
      const clips: Record<string, ClipQc> = {};
      usable.forEach((c, i) => (clips[c.item.job.id] = verdicts[i] ?? { ok: true, issues: [] }));
      await writeFile(tmp, JSON.stringify({ version: 1, thresholds: t, clips }, null, 2) + '\n');
      flagged = Object.entries(clips)
        .filter(([, v]) => !v.ok)
        .map(([job, v]) => ({ job, issues: v.issues.map((i) => i.kind) }));
      return { message: `${usable.length} checked, ${flagged.length} flagged` };
    },
  });
  if (out.kind === 'skipped') {
    const qc = await readQc(ctx.runDir);
    flagged = [...qc].filter(([, v]) => !v.ok).map(([job, v]) => ({ job, issues: v.issues.map((i) => i.kind) }));
  }
  if (out.kind !== 'failed') ctx.events({ kind: 'qc.finished', at: ctx.now(), checked: usable.length, flagged });
  return [out];
}

/** Verdicts by job id from `post/qc.json`; empty when QC has not run (or the file is unreadable). */
export async function readQc(runDir: string): Promise<Map<string, ClipQc>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(runDir, QC_FILE), 'utf8'));
    const clips = parsed && typeof parsed === 'object' && 'clips' in parsed ? parsed.clips : null;
    if (!clips || typeof clips !== 'object') return new Map();
    return new Map(Object.entries(clips).filter((e): e is [string, ClipQc] => isClipQc(e[1])));
  } catch {
    return new Map();
  }
}

function isClipQc(v: unknown): v is ClipQc {
  return !!v && typeof v === 'object' && 'ok' in v && typeof v.ok === 'boolean' && 'issues' in v && Array.isArray(v.issues);
}
