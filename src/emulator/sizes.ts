/** Mapping of the providers' aspect/resolution vocabularies onto pixel sizes (what the clip is rendered at). */

const LANDSCAPE: Record<string, [number, number]> = {
  '480p': [854, 480],
  '720p': [1280, 720],
  '1024p': [1792, 1024],
  '1080p': [1920, 1080],
  true_1080p: [1920, 1080], // fal Sora 2 Pro
  standard: [1280, 720],
  high: [1792, 1024],
};

export type Orientation = 'landscape' | 'portrait' | 'square';

/** `16:9`, `landscape`, `horizontal` → landscape; `9:16`, `portrait`, `vertical` → portrait; `1:1` → square. */
export function orientationOf(aspect: unknown, fallback: Orientation = 'landscape'): Orientation {
  const a = String(aspect ?? '').toLowerCase();
  if (['9:16', 'portrait', 'vertical', '3:4'].includes(a)) return 'portrait';
  if (['16:9', 'landscape', 'horizontal', '4:3', '21:9'].includes(a)) return 'landscape';
  if (a === '1:1' || a === 'square') return 'square';
  return fallback;
}

export function sizeFor(aspect: unknown, resolution: unknown, fallbackRes = '720p'): { width: number; height: number } {
  const res = String(resolution ?? fallbackRes).toLowerCase();
  const [w, h] = LANDSCAPE[res] ?? LANDSCAPE[fallbackRes] ?? [1280, 720];
  const o = orientationOf(aspect);
  if (o === 'portrait') return { width: h, height: w };
  if (o === 'square') return { width: h, height: h };
  return { width: w, height: h };
}

/** `"1280x720"` → size, or undefined when malformed or odd (H.264 4:2:0 needs even sides). */
export function parseSize(s: unknown): { width: number; height: number } | undefined {
  const m = /^(\d{2,4})x(\d{2,4})$/.exec(String(s ?? ''));
  if (!m) return undefined;
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width % 2 || height % 2) return undefined;
  return { width, height };
}

/** Durations arrive as 8, "8" or "8s" depending on the provider. */
export function parseSeconds(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*s?\s*$/.exec(v);
    if (m) return Number(m[1]);
  }
  return undefined;
}
