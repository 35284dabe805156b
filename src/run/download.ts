/**
 * Fetch a finished clip to `clips/<job>.mp4.part`, hashing while streaming, check it is complete
 * (Content-Length, and its MP4 boxes tile the file with moov and mdat present) and really the video
 * we asked for (read from its headers in-process, ffprobe only as a fallback: a video stream of the
 * job's size, duration within 0.5 s), then fsync and rename it into place atomically.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { probe as ffprobe, type ProbeResult } from '../media/ffmpeg.ts';
import { probeMp4 } from '../media/mp4info.ts';
import { checkMp4Whole } from '../media/mp4whole.ts';
import type { Job } from '../plan/types.ts';
import { headersForOrigin } from '../providers/origin.ts';
import type { Provider, ProviderEnv, TaskRef } from '../providers/types.ts';
import { asWriteError, fileStamp, isWriteErrno, writeFileAtomic } from './rundir.ts';
import type { ClipInfo, JobRecord } from './types.ts';
import { withUploadedImage } from './images.ts';

export type DownloadOutcome =
  | { kind: 'ok'; clip: ClipInfo }
  /** Worth retrying: connection dropped, body truncated, 5xx, 429. */
  | { kind: 'transient'; message: string; retryAfterMs?: number }
  /** The result URL no longer serves the clip (403/404/410). */
  | { kind: 'expired'; message: string; httpStatus: number }
  /** We got a file, but not the clip the job asked for. */
  | { kind: 'invalid'; message: string }
  /** Bigger than any clip of this length can be: refused (never fetched again). */
  | { kind: 'too_large'; message: string };

export interface DownloadArgs {
  runDir: string;
  job: Job;
  task: TaskRef;
  outputs: string[];
  provider: Provider;
  env: ProviderEnv;
  signal?: AbortSignal;
  /** Injected for tests; defaults to ffprobe. */
  probe?: (file: string) => Promise<ProbeResult>;
  /** Size cap override (provider or manifest limit); default `downloadCapBytes(job)`. */
  maxBytes?: number;
}

/** A generous bound on any real clip's bitrate (4K H.264/HEVC masters stay well under it). */
export const MAX_CLIP_MBPS = 50;
const CAP_SLACK_BYTES = 8 * 1024 * 1024;

/** The largest download a job's clip can plausibly be: duration × bitrate bound, plus slack for headers. */
export function downloadCapBytes(job: Pick<Job, 'seconds'>, mbps = MAX_CLIP_MBPS): number {
  return Math.ceil((Math.max(1, job.seconds) * mbps * 1_000_000) / 8) + CAP_SLACK_BYTES;
}

/** A job's clip: its readable name from the plan (`output.name`), or its id for runs planned before names existed. */
export const clipPath = (job: Pick<Job, 'id' | 'clipName'>): string => join('clips', `${job.clipName ?? job.id}.mp4`);
export const sidecarPath = (job: Pick<Job, 'id' | 'clipName'>): string => join('clips', `${job.clipName ?? job.id}.json`);

const DURATION_TOLERANCE_S = 0.5;

function retryAfter(res: Response): number | undefined {
  const ms = Number(res.headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const s = Number(res.headers.get('retry-after'));
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

export async function downloadClip(a: DownloadArgs): Promise<DownloadOutcome> {
  const rel = clipPath(a.job);
  const final = join(a.runDir, rel);
  const part = `${final}.part`;
  await mkdir(join(a.runDir, 'clips'), { recursive: true });
  const req = a.provider.contentRequest(a.env, a.task, a.outputs);
  const cap = a.maxBytes ?? downloadCapBytes(a.job);
  let res: Response;
  try {
    // Result media on a CDN is fetched without the key (see providers/origin.ts).
    res = await a.env.fetch(req.url, { headers: headersForOrigin(req.url, a.env.baseUrl, req.headers), signal: a.signal });
  } catch (e) {
    return { kind: 'transient', message: `download request failed: ${(e as Error).message}` };
  }
  if (res.status === 403 || res.status === 404 || res.status === 410) {
    await res.body?.cancel().catch(() => undefined);
    return { kind: 'expired', message: `result URL answered ${res.status}`, httpStatus: res.status };
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      return { kind: 'expired', message: `result URL answered ${res.status}`, httpStatus: res.status };
    }
    return { kind: 'transient', message: `download answered ${res.status}`, retryAfterMs: retryAfter(res) };
  }
  const expected = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(expected) && expected > cap) {
    await res.body.cancel().catch(() => undefined);
    return {
      kind: 'too_large',
      message: `result is ${expected} bytes, over the ${cap}-byte cap for a ${a.job.seconds} s clip; not downloaded`,
    };
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const fh = await open(part, 'w').catch((e: unknown) => {
    throw asWriteError(e, part);
  });
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > cap) {
        await reader.cancel().catch(() => undefined);
        await fh.close().catch(() => undefined);
        await unlink(part).catch(() => undefined);
        return { kind: 'too_large', message: `result passed the ${cap}-byte cap for a ${a.job.seconds} s clip while streaming; stopped` };
      }
      hash.update(value);
      await fh.write(value, 0, value.byteLength);
    }
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(part).catch(() => undefined);
    // Our disk refused the bytes (full, read-only): not the network's fault, and retrying cannot help.
    if (isWriteErrno(e)) throw asWriteError(e, part);
    return { kind: 'transient', message: `download interrupted after ${bytes} bytes: ${e instanceof Error ? e.message : String(e)}` };
  }
  await fh.close();
  if ((Number.isFinite(expected) && bytes !== expected) || bytes === 0) {
    await unlink(part).catch(() => undefined);
    return { kind: 'transient', message: `truncated download: ${bytes} of ${Number.isFinite(expected) ? expected : '?'} bytes` };
  }
  const verdict = await verifyMedia(part, a.job, a.probe ?? defaultProbe(a.signal));
  if (verdict.kind !== 'ok') {
    await unlink(part).catch(() => undefined);
    return verdict;
  }
  await rename(part, final);
  await syncDir(join(a.runDir, 'clips'));
  return { kind: 'ok', clip: { path: rel, bytes, sha256: hash.digest('hex'), ...verdict.media, ...(await stampOf(final)) } };
}

/** The MP4 headers read in-process; ffprobe only for what that reader does not cover (e.g. HEVC). */
const defaultProbe =
  (signal?: AbortSignal) =>
  async (file: string): Promise<ProbeResult> =>
    (await probeMp4(file).catch(() => null)) ?? ffprobe(file, signal ? { signal } : {});

/** Size, mtime and inode as recorded with a clip: an unchanged file is trusted without re-hashing. */
async function stampOf(file: string): Promise<{ stamp?: { mtimeMs: number; ino: number } }> {
  const st = await fileStamp(file);
  return st ? { stamp: { mtimeMs: st.mtimeMs, ino: st.ino } } : {};
}

async function verifyMedia(
  file: string,
  job: Job,
  probe: (file: string) => Promise<ProbeResult>,
): Promise<
  { kind: 'ok'; media: { durationS: number; width: number; height: number; probe: ProbeResult } } | { kind: 'invalid'; message: string }
> {
  // Whole first: a clip cut short can still carry a header that probes fine.
  const whole = await checkMp4Whole(file).catch((e: unknown) => ({
    ok: false as const,
    reason: e instanceof Error ? e.message : String(e),
  }));
  if (!whole.ok) return { kind: 'invalid', message: `incomplete clip: ${whole.reason}` };
  let p: ProbeResult;
  try {
    p = await probe(file);
  } catch (e) {
    return { kind: 'invalid', message: `not a readable video: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!p.video) return { kind: 'invalid', message: 'no video stream' };
  if (p.video.width !== job.size.width || p.video.height !== job.size.height) {
    return { kind: 'invalid', message: `size ${p.video.width}x${p.video.height}, expected ${job.size.width}x${job.size.height}` };
  }
  if (Math.abs(p.durationS - job.seconds) > DURATION_TOLERANCE_S) {
    return { kind: 'invalid', message: `duration ${p.durationS.toFixed(2)} s, expected ${job.seconds} s` };
  }
  return { kind: 'ok', media: { durationS: p.durationS, width: p.video.width, height: p.video.height, probe: p } };
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    await fh.sync().finally(() => fh.close());
  } catch {
    /* not supported everywhere; the rename itself is atomic */
  }
}

/**
 * A clip already at its final path for a job not yet recorded `downloaded`: a crash came between the
 * rename and the record. Only verified downloads are ever renamed there (and a clip that fails its
 * re-check on resume is deleted before it is fetched again), so a file that still probes as the job's
 * video is that download: adopt it rather than fetch it again from a URL that may have expired.
 */
export async function adoptFinishedClip(
  runDir: string,
  job: Job,
  probe?: (file: string) => Promise<ProbeResult>,
): Promise<ClipInfo | undefined> {
  const rel = clipPath(job);
  const file = join(runDir, rel);
  let bytes: number;
  try {
    bytes = (await stat(file)).size;
  } catch {
    return undefined;
  }
  if (bytes === 0) return undefined;
  const verdict = await verifyMedia(file, job, probe ?? defaultProbe());
  if (verdict.kind !== 'ok') {
    // Not a whole, verified download (a fragment left by a crash or a full disk): never adopted.
    await unlink(file).catch(() => undefined);
    return undefined;
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { path: rel, bytes, sha256: hash.digest('hex'), ...verdict.media, ...(await stampOf(file)) };
}

/**
 * On resume: is the recorded clip still there, unchanged? Same size, mtime and inode as recorded is
 * trusted as is (a resume of a large finished run must not re-read every clip); anything else, a clip
 * recorded without a stamp, or `full`, is checked against the recorded sha256.
 */
export async function verifyExistingClip(runDir: string, clip: ClipInfo, opts: { full?: boolean } = {}): Promise<boolean> {
  const file = join(runDir, clip.path);
  const st = await fileStamp(file);
  if (!st || st.bytes !== clip.bytes) return false;
  if (!opts.full && clip.stamp && clip.stamp.mtimeMs === st.mtimeMs && clip.stamp.ino === st.ino) return true;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex') === clip.sha256;
}

/** Provenance next to the clip. Holds the neutral job and the wire request body, never a key or header. */
export async function writeSidecar(runDir: string, job: Job, rec: JobRecord, provider: Provider): Promise<void> {
  const mapped = provider.toRequest(withUploadedImage(job, rec.image), {});
  const body = {
    job,
    provider: job.provider,
    request: mapped.ok
      ? { method: mapped.request.method, path: mapped.request.path, body: mapped.request.json ?? mapped.request.multipart?.fields }
      : undefined,
    task: { id: rec.task?.id },
    attempts: rec.attempts,
    timings: rec.timings,
    cost: { planned: job.cost, spentUsd: rec.spentUsd },
    clip: rec.clip,
  };
  await writeFileAtomic(join(runDir, sidecarPath(job)), JSON.stringify(body, null, 2));
}
