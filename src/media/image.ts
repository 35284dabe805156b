/**
 * Reference-image preparation. OpenAI rejects an `input_reference` whose dimensions differ from the
 * requested `size`, so the image is scaled to fit inside width×height (keeping its aspect ratio) and
 * padded with black to exactly that size.
 */
import { runFfmpeg } from './ffmpeg.ts';

export interface FitResult {
  path: string;
  width: number;
  height: number;
}

/** The ffmpeg filter that fits any input inside w×h and pads it to exactly w×h. */
export function fitFilter(width: number, height: number): string {
  return [
    `scale=${width}:${height}:force_original_aspect_ratio=decrease`,
    `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black`,
    'setsar=1',
  ].join(',');
}

/** Write `dest` (format from its extension: .png, .jpg, .webp) as one frame of exactly width×height. */
export async function fitImage(src: string, dest: string, width: number, height: number, signal?: AbortSignal): Promise<FitResult> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`fitImage: invalid target size ${width}x${height}`);
  }
  await runFfmpeg(['-i', src, '-vf', fitFilter(width, height), '-frames:v', '1', '-update', '1', dest], { signal });
  return { path: dest, width, height };
}
