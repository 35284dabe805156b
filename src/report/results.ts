/**
 * results.json and results.csv: one entry per job (what was asked, what happened, where the clip
 * is) plus totals and the post-step outputs. `buildResults` is pure; the HTML report uses it too.
 */
import { writeFileAtomic } from '../run/rundir.ts';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { probe, type ProbeResult } from '../media/ffmpeg.ts';
import { probeMp4 } from '../media/mp4info.ts';
import type { JobState } from '../run/types.ts';
import { recordedProbe } from '../run/clip-probe.ts';
import { referenceThumbs } from './refs.ts';
import { REQUEST_FIELDS, requestToDisk } from '../manifest/request.ts';
import type { Job } from '../plan/types.ts';
import { resultsCsv } from './results-csv.ts';
import { TOP_LEVEL_REQUEST_FIELDS, type ClipQc, type PostOutput, type ReportItem, type ResultJob, type Results } from './types.ts';

export const RESULTS_SCHEMA = 'shotlist.results/1';
export type { ResultJob, Results } from './types.ts';

export interface ResultsOptions {
  /** Run name shown in the report title. */
  name?: string;
  now?: () => number;
  /** Probe results by job id (see `probeClips`); `writeResults` probes when not given. */
  probes?: ReadonlyMap<string, ProbeResult | null>;
  /** QC verdicts by job id (from the `qc` post-step's post/qc.json). */
  qc?: ReadonlyMap<string, ClipQc>;
  /** Reference-image thumbnails by image path (see `referenceThumbs`); `writeResults` makes them when not given. */
  refs?: ReadonlyMap<string, string>;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
const span = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined ? null : Math.round((b - a) / 10) / 100;
/** Money rounded to 1/10000 USD so float sums don't print as 0.30000000000000004. */
export const usd = (n: number): number => Math.round(n * 10_000) / 10_000;

const TOP_LEVEL: ReadonlySet<string> = new Set(TOP_LEVEL_REQUEST_FIELDS);
/** On-disk names of the request fields that go under `parameters`, in the request's canonical order. */
const PARAMETER_FIELDS = REQUEST_FIELDS.map((f) => f.disk).filter((d) => !TOP_LEVEL.has(d));

/** `parameters` from the request's one snake_case mapping (requestToDisk), unset fields as null. */
export function parametersOf(job: Job): ResultJob['parameters'] {
  const disk = requestToDisk(job);
  const out: Record<string, unknown> = { size: `${job.size.width}x${job.size.height}` };
  for (const name of PARAMETER_FIELDS) out[name] = disk[name] ?? null;
  // The keys are exactly ResultParameters' (derived from the same request type); a test pins them.
  return out as ResultJob['parameters'];
}

/** The poster of each job, from the post outputs that made (or kept) one. */
export function thumbnailsByJob(post: readonly PostOutput[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const o of post) {
    const job = o.inputs[0];
    if (o.step !== 'thumbnails' || o.kind === 'failed' || o.inputs.length !== 1 || job === undefined) continue;
    if (o.output === `thumbs/${job}.jpg`) map.set(job, o.output); // posters, not contact sheets
  }
  return map;
}

export function toResultJob(
  item: ReportItem,
  thumbnail: string | null,
  probed?: ProbeResult | null,
  qc?: ClipQc,
  imageThumbnail: string | null = null,
): ResultJob {
  const { job, record } = item;
  const t = record.timings;
  return {
    id: job.id,
    shot: job.shotId,
    baseId: job.baseId,
    take: job.take,
    index: job.index,
    provider: job.provider,
    model: job.model,
    wireModel: job.wireModel,
    tier: job.tier,
    prompt: job.prompt,
    parameters: parametersOf(job),
    fields: job.fields,
    state: record.state,
    attempts: record.attempts,
    taskId: record.task?.id ?? null,
    timings: {
      submittingAt: iso(t.submittingAt),
      submittedAt: iso(t.submittedAt),
      completedAt: iso(t.completedAt),
      downloadedAt: iso(t.downloadedAt),
      generationS: span(t.submittedAt, t.completedAt),
      totalS: span(t.submittingAt, t.downloadedAt ?? t.completedAt),
    },
    cost: { plannedUsd: job.cost.usd, credits: job.cost.credits, spentUsd: usd(record.spentUsd) },
    clip: record.clip
      ? {
          ...record.clip,
          probe: probed ? { durationS: probed.durationS, video: probed.video, audio: probed.audio } : null,
        }
      : null,
    thumbnail,
    imageThumbnail,
    error: record.error ? { ...record.error } : null,
    qc: record.clip && qc ? qc : null,
  };
}

export function buildResults(items: readonly ReportItem[], post: readonly PostOutput[], opts: ResultsOptions = {}): Results {
  const thumbs = thumbnailsByJob(post);
  const ordered = [...items].sort((a, b) => a.job.index - b.job.index || a.job.take - b.job.take);
  const jobs = ordered.map((it) =>
    toResultJob(
      it,
      thumbs.get(it.job.id) ?? null,
      opts.probes?.get(it.job.id),
      opts.qc?.get(it.job.id),
      it.job.image ? (opts.refs?.get(it.job.image) ?? null) : null,
    ),
  );
  const states: Partial<Record<JobState, number>> = {};
  for (const j of jobs) states[j.state] = (states[j.state] ?? 0) + 1;
  return {
    schema: RESULTS_SCHEMA,
    name: opts.name ?? null,
    generatedAt: new Date((opts.now ?? Date.now)()).toISOString(),
    totals: {
      jobs: jobs.length,
      states,
      plannedUsd: usd(jobs.reduce((s, j) => s + (j.cost.plannedUsd ?? 0), 0)),
      spentUsd: usd(jobs.reduce((s, j) => s + j.cost.spentUsd, 0)),
      unpricedJobs: jobs.filter((j) => j.cost.plannedUsd === null).length,
      clips: jobs.filter((j) => j.clip).length,
      clipSeconds: Math.round(jobs.reduce((s, j) => s + (j.clip?.durationS ?? 0), 0) * 100) / 100,
    },
    jobs,
    post: [...post],
    qc: { checked: jobs.filter((j) => j.qc).length, flagged: jobs.filter((j) => j.qc && !j.qc.ok).map((j) => j.id) },
  };
}

/** Writes `results.json` and `results.csv` into the run directory; returns what was written. */
export async function writeResults(
  runDir: string,
  items: readonly ReportItem[],
  post: readonly PostOutput[],
  opts: ResultsOptions = {},
): Promise<Results> {
  const probes = opts.probes ?? (await probeClips(runDir, items));
  const refs = opts.refs ?? (await referenceThumbs(runDir, items));
  const results = buildResults(items, post, { ...opts, probes, refs });
  await writeAtomic(join(runDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  await writeAtomic(join(runDir, 'results.csv'), resultsCsv(results));
  return results;
}

/** Probe every downloaded clip (headers in-process, ffprobe otherwise); null where unreadable. */
export async function probeClips(runDir: string, items: readonly ReportItem[]): Promise<Map<string, ProbeResult | null>> {
  const limit = pLimit(4);
  const entries = await Promise.all(
    items
      .filter((it) => it.record.clip)
      .map((it) =>
        limit(async (): Promise<[string, ProbeResult | null]> => {
          const clip = it.record.clip;
          if (!clip) return [it.job.id, null];
          const abs = join(runDir, clip.path);
          const st = await stat(abs).catch(() => undefined);
          const recorded = st ? recordedProbe(clip, st) : undefined;
          const p = recorded ?? (await probeMp4(abs).catch(() => null)) ?? (await probe(abs).catch(() => null));
          return [it.job.id, p];
        }),
      ),
  );
  return new Map(entries);
}

/** Write-then-rename so a reader (or a crash) never sees half a file (the run directory's one atomic write). */
export async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFileAtomic(file, text);
}
