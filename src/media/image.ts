/**
 * Reference-image preparation. OpenAI rejects an `input_reference` whose dimensions differ from the
 * requested `size`, so the image is scaled to fit inside width×height (keeping its aspect ratio) and
 * padded with black to exactly that size.
 */
import { probe, runFfmpeg } from './ffmpeg.ts';

export interface FitResult {
  path: string;
  width: number;
  height: number;
}

export type FitMode = 'pad' | 'crop';

/** The ffmpeg filter that fits any input to exactly w×h: inside it with black bars (pad), or filling it with the edges cut (crop). */
export function fitFilter(width: number, height: number, mode: FitMode = 'pad'): string {
  if (mode === 'crop')
    return [`scale=${width}:${height}:force_original_aspect_ratio=increase`, `crop=${width}:${height}`, 'setsar=1'].join(',');
  return [
    `scale=${width}:${height}:force_original_aspect_ratio=decrease`,
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black`,
    'setsar=1',
  ].join(',');
}

/** Write `dest` (format from its extension: .png, .jpg, .webp) as one frame of exactly width×height. */
export async function fitImage(
  src: string,
  dest: string,
  width: number,
  height: number,
  signal?: AbortSignal,
  mode: FitMode = 'pad',
): Promise<FitResult> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`fitImage: invalid target size ${width}x${height}`);
  }
  await runFfmpeg(['-i', src, '-vf', fitFilter(width, height, mode), '-frames:v', '1', '-update', '1', dest], { signal });
  return { path: dest, width, height };
}

/** Pixel sizes of local images (for the plan's fit notices); unreadable ones are left out. */
export async function imageSizes(paths: Iterable<string>): Promise<Map<string, { width: number; height: number }>> {
  const out = new Map<string, { width: number; height: number }>();
  await Promise.all(
    [...new Set(paths)].map(async (p) => {
      const v = (await probe(p).catch(() => undefined))?.video;
      if (v) out.set(p, { width: v.width, height: v.height });
    }),
  );
  return out;
}
