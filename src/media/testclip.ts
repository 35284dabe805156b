/**
 * Synthetic clips for the emulator and tests: a real H.264/AAC MP4 at an exact size and duration,
 * with a test pattern, the prompt and parameters drawn on it, and a sine tone.
 * Text needs a font file; when none exists (or drawtext fails on this ffmpeg build) the clip is
 * rendered without text rather than failing.
 */
import { rm, writeFile } from 'node:fs/promises';
import { runFfmpeg, type RunOptions } from './ffmpeg.ts';
import { findFont } from './fonts.ts';

export interface TestClipSpec {
  width: number;
  height: number;
  seconds: number;
  /** Lines drawn on the picture (prompt, provider, model…). Empty → pattern only. */
  lines?: string[];
  /**
   * Printed large across the middle (the emulator's "model · take N"), on a box coloured by the
   * look, so the tiles of a grid or contact sheet can be told apart at a glance.
   */
  title?: string;
  /** Frames per second; low by default so a render stays well under a second. */
  fps?: number;
  /** Tone frequency in Hz. */
  toneHz?: number;
  /** Font to draw with; `null` disables text; default: the first font found by `findFontFile`. */
  fontFile?: string | null;
  /**
   * Seed text (prompt, model, seed, take): picks the colour and mirroring of a moving pattern so
   * different requests look visibly and predictably different. Without it: static colour bars.
   */
  look?: string;
  /** A defective clip, for QC tests: black picture, frozen picture, silent audio, or too short. */
  defect?: TestClipDefect;
}

export const TEST_CLIP_DEFECTS = ['black', 'frozen', 'silent', 'short'] as const;
export type TestClipDefect = (typeof TEST_CLIP_DEFECTS)[number];

/** A small stable hash of the look text (FNV-1a). */
function lookHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The lavfi video source for a spec: moving pattern tinted and mirrored by the look, or a defect. */
function videoSource(spec: TestClipSpec, fps: number, d: string): string {
  const size = `${spec.width}x${spec.height}`;
  if (spec.defect === 'black') return `color=c=black:size=${size}:rate=${fps}:duration=${d}`;
  if (spec.look === undefined) return `smptebars=size=${size}:rate=${fps}:duration=${d}`;
  const h = lookHash(spec.look);
  const tint = `hue=h=${h % 360}:s=${1 + ((h >>> 9) % 3) / 2}`;
  const flip = (h >>> 12) & 1 ? ',hflip' : '';
  const src = `testsrc2=size=${size}:rate=${fps}:duration=${d}`;
  if (spec.defect === 'frozen') return `${src},trim=end_frame=1,tpad=stop_mode=clone:stop_duration=${d},${tint}${flip}`;
  return `${src},${tint}${flip}`;
}

export interface TestClipResult {
  /** Whether the text could be drawn (false: no font, or drawtext failed and the clip was rendered bare). */
  withText: boolean;
}

/** A usable font file, or undefined: text is optional by design, never a runtime requirement. */
export function findFontFile(): string | undefined {
  return findFont() ?? undefined;
}

function escapePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/:/g, '\\:').replace(/'/g, "\\'");
}

/** Wrap long text into lines of at most `width` characters, keeping at most `max` lines. */
export function wrapText(text: string, width: number, max: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = '';
    }
    line = line ? `${line} ${word}` : word.slice(0, width);
  }
  if (line) out.push(line);
  if (out.length > max) {
    const kept = out.slice(0, max);
    kept[max - 1] = `${kept[max - 1]!.slice(0, Math.max(0, width - 1))}…`;
    return kept;
  }
  return out;
}

/** The title's font size: about a fifth of the height, shrunk so the title fits 90 % of the width. */
export function titleFontSize(spec: Pick<TestClipSpec, 'width' | 'height' | 'title'>): number {
  const chars = Math.max(1, (spec.title ?? '').length);
  return Math.max(10, Math.round(Math.min(spec.height / 5, (spec.width * 0.9) / (chars * 0.6))));
}

/** The title box colour, from the look: a saturated colour so two titles rarely look alike. */
function titleBoxColor(spec: TestClipSpec): string {
  const h = lookHash(`${spec.look ?? ''}\n${spec.title ?? ''}`);
  // Keep one channel dark and one bright: white text stays readable on every box.
  const dark = h % 3;
  const bright = (dark + 1) % 3;
  const c = [0, 1, 2].map((i) => {
    const v = (h >>> (8 * i)) & 0xff;
    return i === dark ? 0x20 + (v & 0x3f) : i === bright ? 0xa0 + (v & 0x5f) : v;
  });
  return `0x${c.map((v) => v.toString(16).padStart(2, '0')).join('')}@0.9`;
}

function fontSize(spec: TestClipSpec): number {
  return Math.max(10, Math.round(Math.min(spec.width, spec.height) / 24));
}

/** The drawn lines, wrapped to the picture width. */
function clipText(spec: TestClipSpec): string {
  const perLine = Math.max(8, Math.floor(spec.width / (fontSize(spec) * 0.6)));
  return (spec.lines ?? [])
    .flatMap((l) => wrapText(l, perLine, 6))
    .slice(0, 12)
    .join('\n');
}

// User text goes through a file with expansion=none: no filtergraph escaping of prompts at all.
function textFilters(spec: TestClipSpec, font: string, textFile: string | undefined, titleFile: string | undefined): string[] {
  const size = fontSize(spec);
  const common = `fontfile='${escapePath(font)}':fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=4`;
  const filters: string[] = [];
  if (titleFile) {
    const t = titleFontSize(spec);
    filters.push(
      `drawtext=fontfile='${escapePath(font)}':fontsize=${t}:fontcolor=white:box=1:boxcolor=${titleBoxColor(spec)}:` +
        `boxborderw=${Math.round(t / 3)}:expansion=none:x=(w-tw)/2:y=(h-th)/2:textfile='${escapePath(titleFile)}'`,
    );
  }
  if (textFile) {
    filters.push(
      `drawtext=${common}:expansion=none:line_spacing=${Math.round(size * 0.4)}:x=${size}:y=${size}:textfile='${escapePath(textFile)}'`,
    );
  }
  // A running timestamp shows that the clip really plays for its whole length.
  filters.push(`drawtext=${common}:x=w-tw-${size}:y=h-th-${size}:text='%{pts\\:hms}'`);
  return filters;
}

/** The ffmpeg arguments for a spec (exported for tests); text files are written by `renderTestClip`. */
export function testClipArgs(
  spec: TestClipSpec,
  outFile: string,
  font: string | undefined,
  textFile?: string,
  titleFile?: string,
): string[] {
  const fps = spec.fps ?? 12;
  // A short clip misses the request by more than QC's tolerance but less than the download check's.
  const d = (spec.defect === 'short' ? Math.max(0.2, spec.seconds - 0.4) : spec.seconds).toFixed(3);
  // Black and frozen pictures stay uniform/still: no text drawn over them (a timestamp moves).
  const drawText = font && spec.defect !== 'black' && spec.defect !== 'frozen';
  const vf = ['format=yuv420p', ...(drawText ? textFilters(spec, font, textFile, titleFile) : [])].join(',');
  const audio =
    spec.defect === 'silent' ? `anullsrc=r=44100:cl=stereo` : `sine=frequency=${spec.toneHz ?? 440}:sample_rate=44100:duration=${d}`;
  return [
    '-f',
    'lavfi',
    '-i',
    videoSource(spec, fps, d),
    '-f',
    'lavfi',
    '-i',
    audio,
    '-vf',
    vf,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-crf',
    '30',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '48k',
    '-ac',
    '2',
    '-t',
    d,
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    outFile,
  ];
}

/** Render a test clip to `outFile`. Throws MediaToolError only when even the text-less render fails. */
export async function renderTestClip(spec: TestClipSpec, outFile: string, opts: RunOptions = {}): Promise<TestClipResult> {
  if (!(spec.width > 0 && spec.height > 0 && spec.seconds > 0)) throw new Error(`bad clip spec ${JSON.stringify(spec)}`);
  // libx264 with yuv420p needs even dimensions; sizes we emulate are even, odd ones are a caller bug.
  const font = spec.fontFile === null ? undefined : (spec.fontFile ?? findFontFile());
  if (font) {
    const text = clipText(spec);
    const textFile = text ? `${outFile}.txt` : undefined;
    const titleFile = spec.title ? `${outFile}.title.txt` : undefined;
    try {
      if (textFile) await writeFile(textFile, text, 'utf8');
      if (titleFile) await writeFile(titleFile, spec.title ?? '', 'utf8');
      await runFfmpeg(testClipArgs(spec, outFile, font, textFile, titleFile), opts);
      return { withText: true };
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      // fall through: this build or font may not support drawtext
    } finally {
      if (textFile) await rm(textFile, { force: true });
      if (titleFile) await rm(titleFile, { force: true });
    }
  }
  await runFfmpeg(testClipArgs(spec, outFile, undefined), opts);
  return { withText: false };
}

/** One frame of a clip as an image (format from the extension: .jpg, .webp, .png). */
export async function extractFrame(clip: string, outFile: string, atS: number, opts: RunOptions = {}): Promise<void> {
  await runFfmpeg(['-ss', atS.toFixed(3), '-i', clip, '-frames:v', '1', '-q:v', '4', outFile], opts);
}

/** A spritesheet: `cols`×`rows` frames sampled across the clip, each `tileWidth` wide, as one image. */
export async function renderSpritesheet(
  clip: string,
  outFile: string,
  seconds: number,
  o: { cols?: number; rows?: number; tileWidth?: number } & RunOptions = {},
): Promise<void> {
  const cols = o.cols ?? 4;
  const rows = o.rows ?? 2;
  const n = cols * rows;
  const rate = n / Math.max(seconds, 0.1);
  const vf = `fps=${rate.toFixed(4)},scale=${o.tileWidth ?? 160}:-2,tile=${cols}x${rows}`;
  await runFfmpeg(['-i', clip, '-vf', vf, '-frames:v', '1', '-q:v', '4', outFile], { signal: o.signal });
}
