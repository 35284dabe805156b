/** Decides, once per job, whether its clip can be used by post-steps (downloaded, present, probes). */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { InterruptedError } from '../errors.ts';
import { probe, type ProbeResult } from '../media/ffmpeg.ts';
import { probeMp4 } from '../media/mp4info.ts';
import { recordedProbe } from '../run/clip-probe.ts';
import type { ReportItem } from './types.ts';
import { isUsable, type ExcludedClip, type StepContext, type UsableClip } from './types.ts';

/** Usable clip for a job id, or why it cannot be used; each clip is checked and probed once. */
export type ClipResolver = (jobId: string) => Promise<UsableClip | ExcludedClip>;

export function makeClipResolver(runDir: string, items: readonly ReportItem[], signal?: AbortSignal): ClipResolver {
  const byId = new Map(items.map((it) => [it.job.id, it]));
  const memo = new Map<string, Promise<UsableClip | ExcludedClip>>();
  // ffprobe is mostly process start-up: a few in parallel hide it without forking hundreds at once.
  const probeLimit = pLimit(Math.max(2, availableParallelism() * 2));
  const check = async (jobId: string): Promise<UsableClip | ExcludedClip> => {
    const item = byId.get(jobId);
    if (!item) return { job: jobId, reason: 'unknown job' };
    const { record } = item;
    if (record.state !== 'downloaded' || !record.clip) {
      const why = record.error ? `: ${record.error.code} ${record.error.message}` : '';
      return { job: jobId, reason: `${record.state}${why}` };
    }
    const abs = join(runDir, record.clip.path);
    let recorded: ProbeResult | undefined;
    try {
      const s = await stat(abs);
      if (!s.isFile()) return { job: jobId, reason: `missing clip ${record.clip.path}` };
      if (record.clip.bytes > 0 && s.size !== record.clip.bytes) {
        return { job: jobId, reason: `corrupt clip: ${s.size} bytes, expected ${record.clip.bytes}` };
      }
      recorded = recordedProbe(record.clip, s);
    } catch {
      return { job: jobId, reason: `missing clip ${record.clip.path}` };
    }
    try {
      // The download's own probe while the file is unchanged; else headers read in-process when they
      // are plain MP4, ffprobe for anything else (or damaged).
      const p = recorded ?? (await probeMp4(abs).catch(() => null)) ?? (await probe(abs, signal ? { signal } : {}));
      if (!p.video || !(p.durationS > 0)) return { job: jobId, reason: 'corrupt clip: no video stream' };
      return { item, abs, sha256: record.clip.sha256, probe: p };
    } catch (err) {
      if (signal?.aborted) throw new InterruptedError('post-steps interrupted');
      const detail = err instanceof Error ? err.message.split('|').pop()?.trim() : '';
      return { job: jobId, reason: `corrupt clip${detail ? `: ${detail}` : ''}` };
    }
  };
  return (jobId) => {
    let p = memo.get(jobId);
    if (!p) {
      p = probeLimit(() => check(jobId));
      memo.set(jobId, p);
    }
    return p;
  };
}

/** The usable clips of some items (in item order) and the ones left out. */
export async function resolveClips(
  ctx: StepContext,
  items: readonly ReportItem[],
): Promise<{ usable: UsableClip[]; excluded: ExcludedClip[] }> {
  const all = await Promise.all(items.map((it) => ctx.clip(it.job.id)));
  return {
    usable: all.filter(isUsable),
    excluded: all.filter((c): c is ExcludedClip => !isUsable(c)),
  };
}

/**
 * What the resolver probed, by job id (null where the clip could not be used), so results.json
 * reuses the post-steps' probe instead of reading every clip again.
 */
export async function probesOf(resolve: ClipResolver, items: readonly ReportItem[]): Promise<Map<string, ProbeResult | null>> {
  const withClip = items.filter((it) => it.record.clip);
  const all = await Promise.all(
    withClip.map(async (it): Promise<[string, ProbeResult | null]> => {
      const c = await resolve(it.job.id);
      return [it.job.id, isUsable(c) ? c.probe : null];
    }),
  );
  return new Map(all);
}
