/**
 * The one place that knows where ffmpeg/ffprobe live and how to run them.
 * Every ffmpeg call in the project goes through `runFfmpeg`/`probe` in src/media/.
 */
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function ensureExecutable(path: string): string {
  try {
    accessSync(path, constants.X_OK);
  } catch {
    try {
      chmodSync(path, 0o755); // the installer's postinstall may not have run (npm allowScripts)
    } catch {
      /* reported when spawn fails */
    }
  }
  return path;
}

let cached: { ffmpeg: string; ffprobe: string } | undefined;

export function mediaBinaries(): { ffmpeg: string; ffprobe: string } {
  if (cached) return cached;
  const ffmpeg = process.env.FFMPEG_PATH ?? (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  const ffprobe = process.env.FFPROBE_PATH ?? (require('@ffprobe-installer/ffprobe') as { path: string }).path;
  cached = { ffmpeg: ensureExecutable(ffmpeg), ffprobe: ensureExecutable(ffprobe) };
  return cached;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class MediaToolError extends Error {
  constructor(
    readonly tool: string,
    readonly args: string[],
    readonly result: RunResult,
  ) {
    super(`${tool} exited ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    this.name = 'MediaToolError';
  }
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Called with each stderr chunk (ffmpeg writes progress there). */
  onStderr?: (chunk: string) => void;
}

function run(bin: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 1_000_000) stderr += d;
      opts.onStderr?.(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Run ffmpeg with `-hide_banner -nostdin -y`; throws MediaToolError on a non-zero exit. */
export async function runFfmpeg(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const full = ['-hide_banner', '-nostdin', '-y', ...args];
  const res = await run(mediaBinaries().ffmpeg, full, opts);
  if (res.code !== 0) throw new MediaToolError('ffmpeg', full, res);
  return res;
}

export interface ProbeResult {
  durationS: number;
  video?: { codec: string; width: number; height: number; fps: number; pixFmt: string };
  audio?: { codec: string; sampleRate: number; channels: number; layout: string };
  formatName: string;
}

/** ffprobe a file; throws MediaToolError when it is not a readable media file. */
export async function probe(file: string, opts: RunOptions = {}): Promise<ProbeResult> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file];
  const res = await run(mediaBinaries().ffprobe, args, opts);
  if (res.code !== 0) throw new MediaToolError('ffprobe', args, res);
  const data = JSON.parse(res.stdout) as {
    format?: { duration?: string; format_name?: string };
    streams?: Array<Record<string, unknown>>;
  };
  const streams = data.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video');
  const a = streams.find((s) => s.codec_type === 'audio');
  const fps = (r: unknown): number => {
    const [n, d] = String(r ?? '0/1')
      .split('/')
      .map(Number);
    return d ? (n ?? 0) / d : (n ?? 0);
  };
  return {
    durationS: Number(data.format?.duration ?? v?.duration ?? 0),
    formatName: data.format?.format_name ?? '',
    video: v
      ? {
          codec: String(v.codec_name),
          width: Number(v.width),
          height: Number(v.height),
          fps: fps(v.avg_frame_rate ?? v.r_frame_rate),
          pixFmt: String(v.pix_fmt ?? ''),
        }
      : undefined,
    audio: a
      ? {
          codec: String(a.codec_name),
          sampleRate: Number(a.sample_rate),
          channels: Number(a.channels),
          layout: String(a.channel_layout ?? ''),
        }
      : undefined,
  };
}
