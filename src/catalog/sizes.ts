/** Neutral aspect × resolution → pixel size. `auto` (the provider follows the image) plans as 16:9. */
import type { Aspect, Resolution } from '../manifest/types.ts';
import type { Size } from './types.ts';

const LANDSCAPE: Record<Resolution, Size> = {
  '720p': { width: 1280, height: 720 },
  '1024p': { width: 1792, height: 1024 },
  '1080p': { width: 1920, height: 1080 },
};

export function sizeFor(aspect: Aspect, resolution: Resolution): Size {
  const l = LANDSCAPE[resolution];
  return aspect === '9:16' ? { width: l.height, height: l.width } : { ...l };
}

export function sizeText(s: Size): string {
  return `${s.width}x${s.height}`;
}
