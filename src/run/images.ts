/**
 * Local reference images for providers that take images as URLs (fal storage, Replicate Files API).
 * Each file is uploaded once per run and provider, keyed by its content hash; the URL is recorded on
 * the job's `submitting` intent, so it is durable before the create that uses it, a resume reuses it
 * until it expires, and reconciling an ambiguous create compares against the URL that was sent.
 * Uploads happen only in the executor, i.e. after approval. OpenAI keeps its multipart upload.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Job } from '../plan/types.ts';
import type { Provider, ProviderEnv } from '../providers/types.ts';
import type { JobRecord, UploadedImage } from './types.ts';

export type { UploadedImage } from './types.ts';

export type PreparedImage =
  /** No local image, or the provider takes the file with the create itself (OpenAI multipart). */
  | { kind: 'none' }
  | { kind: 'ready'; image: UploadedImage; reused: boolean }
  | { kind: 'rejected'; message: string }
  | { kind: 'transient'; message: string };

/** A recorded URL must outlive the wait until the provider fetches it (queues can be long). */
export const URL_MARGIN_MS = 15 * 60_000;

export function isLocalImage(image: string | undefined): image is string {
  return image !== undefined && !/^(https?:|data:)/i.test(image);
}

const TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

export function imageContentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** The job as the provider must see it: its local image replaced by the uploaded URL. */
export function withUploadedImage(job: Job, image: UploadedImage | undefined): Job {
  return image && isLocalImage(job.image) ? { ...job, image: image.url } : job;
}

const fresh = (u: UploadedImage, now: number): boolean => u.expiresAt === undefined || u.expiresAt - now > URL_MARGIN_MS;

export class ImageUploads {
  private readonly known = new Map<string, UploadedImage>();
  private readonly pending = new Map<string, Promise<PreparedImage>>();
  private readonly hashes = new Map<string, Promise<string>>();
  /** Uploads actually sent this run (tests and the summary). */
  uploads = 0;

  /** Seeded from the checkpoint: what earlier runs (or earlier jobs) uploaded. */
  constructor(records: Iterable<JobRecord>) {
    for (const r of records) if (r.image) this.remember(r.image);
  }

  private remember(u: UploadedImage): void {
    const key = `${u.provider}\u0000${u.sha256}\u0000${u.fit ?? ''}`;
    const had = this.known.get(key);
    if (!had || (had.expiresAt ?? Infinity) < (u.expiresAt ?? Infinity)) this.known.set(key, u);
  }

  private hash(path: string): Promise<string> {
    let h = this.hashes.get(path);
    if (!h) {
      h = readFile(path).then((b) => createHash('sha256').update(b).digest('hex'));
      this.hashes.set(path, h);
      h.catch(() => this.hashes.delete(path));
    }
    return h;
  }

  /** The URL this job's local image has at `providerName`, uploading it if no fresh one is known. */
  async prepare(provider: Provider, providerName: string, env: ProviderEnv, job: Job, now: number): Promise<PreparedImage> {
    const path = job.image;
    const upload = provider.uploadImage;
    if (!isLocalImage(path) || !upload) return { kind: 'none' };
    let sha256: string;
    try {
      sha256 = await this.hash(path);
    } catch (e) {
      return { kind: 'rejected', message: `reference image ${path} cannot be read: ${e instanceof Error ? e.message : String(e)}` };
    }
    // Fitted to the clip first (pad or crop, as the plan said) when an image preparer is injected.
    const fitMode = job.imageFit ?? 'pad';
    const fit = env.fitImage ? `${fitMode}@${job.size.width}x${job.size.height}` : undefined;
    const key = `${providerName}\u0000${sha256}\u0000${fit ?? ''}`;
    const hit = this.known.get(key);
    if (hit && fresh(hit, now)) return { kind: 'ready', image: hit, reused: true };
    let p = this.pending.get(key);
    if (!p) {
      this.uploads++;
      p = this.fitted(env, path, sha256, fitMode, job)
        .then((file) => upload.call(provider, env, file, fit ? 'image/png' : imageContentType(path)))
        .then((out): PreparedImage => {
          if (out.kind !== 'uploaded') return { kind: out.kind, message: `uploading ${path}: ${out.message}` };
          const image: UploadedImage = {
            provider: providerName,
            sha256,
            url: out.url,
            ...(fit ? { fit } : {}),
            ...(out.expiresAt !== undefined ? { expiresAt: out.expiresAt } : {}),
          };
          this.remember(image);
          return { kind: 'ready', image, reused: false };
        })
        .catch((e: unknown): PreparedImage => ({
          // Interrupted mid-ffmpeg is not a verdict on the image.
          kind: env.signal?.aborted ? 'transient' : 'rejected',
          message: `reference image ${path} cannot be prepared: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
        }))
        .finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  /** The file to upload: the image fitted to the clip's size (as the plan announced), or the original. */
  private async fitted(env: ProviderEnv, path: string, sha256: string, mode: 'pad' | 'crop', job: Job): Promise<string> {
    if (!env.fitImage) return path;
    await mkdir(env.workDir, { recursive: true });
    const dest = join(env.workDir, `upload-${sha256.slice(0, 16)}-${mode}-${job.size.width}x${job.size.height}.png`);
    await env.fitImage(path, dest, job.size.width, job.size.height, env.signal, mode);
    return dest;
  }
}
