/**
 * Reference images as small thumbnails inside the run directory (`refs/<hash>.jpg`), so the report
 * shows the picture a job started from and links nothing outside the run (a moved or shared run
 * directory keeps them). URLs are not fetched: the report makes no network requests.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { runFfmpeg } from '../media/ffmpeg.ts';
import { isLocalImage } from '../run/images.ts';
import { RUN_FILES } from '../run/rundir.ts';
import type { ReportItem } from './types.ts';

/** Longest side of a reference thumbnail, in pixels. */
export const REF_MAX_SIDE = 320;

/** The run-relative thumbnail path for a local image (stable per source path). */
export function refThumbPath(image: string): string {
  return `${RUN_FILES.refs}/${createHash('sha256').update(image).digest('hex').slice(0, 16)}.jpg`;
}

/**
 * Thumbnails of the local reference images of these jobs, made once each (kept when present and
 * newer than the source). Maps the job's `image` to the run-relative thumbnail; images that are
 * URLs, missing or unreadable are left out (the report then shows the name only).
 */
export async function referenceThumbs(runDir: string, items: readonly ReportItem[]): Promise<Map<string, string>> {
  const images = [...new Set(items.map((it) => it.job.image).filter(isLocalImage))];
  if (images.length === 0) return new Map();
  await mkdir(join(runDir, RUN_FILES.refs), { recursive: true });
  const limit = pLimit(4);
  const made = await Promise.all(
    images.map((image) =>
      limit(async (): Promise<[string, string] | null> => {
        const rel = refThumbPath(image);
        const out = join(runDir, rel);
        try {
          const src = await stat(image);
          const have = await stat(out).catch(() => null);
          if (!have || have.mtimeMs < src.mtimeMs) {
            const fit = `scale=${REF_MAX_SIDE}:${REF_MAX_SIDE}:force_original_aspect_ratio=decrease`;
            // Made beside and renamed into place: a kill mid-write never leaves a "newer" half image that is kept.
            const tmp = `${out}.tmp-${process.pid}`;
            try {
              await runFfmpeg(['-i', image, '-vf', fit, '-frames:v', '1', '-q:v', '4', '-update', '1', '-f', 'image2', tmp]);
              await rename(tmp, out);
            } finally {
              await unlink(tmp).catch(() => undefined);
            }
          }
          return [image, rel];
        } catch {
          return null;
        }
      }),
    ),
  );
  return new Map(made.filter((m): m is [string, string] => m !== null));
}
