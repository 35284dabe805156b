/**
 * Rendered media and the URLs that serve it: a render cache (shared per size × seconds, or per
 * identical text), and opaque download tokens with an expiry measured on the emulator's clock.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { ProviderName } from '../providers/types.ts';
import { extractFrame, renderSpritesheet, renderTestClip, type TestClipDefect } from '../media/testclip.ts';

export interface ClipRequest {
  width: number;
  height: number;
  seconds: number;
  lines: string[];
  /** Printed large: the model and take (the Nth identical request), so takes differ too. */
  title?: string;
  /** An injected defect (faults `defects`), for QC tests. */
  defect?: TestClipDefect;
}

/** What the emulator draws for an accepted task: the prompt and parameters, and "model · take N" large. */
export function clipRequestFor(
  init: { provider: string; model: string; prompt: string; width: number; height: number; seconds: number; lines?: string[] },
  take: number,
  defect?: TestClipDefect,
): ClipRequest {
  const lines = [init.prompt, `${init.provider} · ${init.model} · ${init.width}x${init.height} · ${init.seconds}s`, ...(init.lines ?? [])];
  return {
    width: init.width,
    height: init.height,
    seconds: init.seconds,
    lines,
    title: `${init.model} · take ${take}`,
    ...(defect ? { defect } : {}),
  };
}

export class ClipRenderer {
  private readonly cache = new Map<string, Promise<string>>();
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(
    private readonly dir: string,
    private readonly mode: 'unique' | 'shared',
    concurrency: number,
    private readonly signal: AbortSignal,
  ) {
    this.limit = pLimit(Math.max(1, concurrency));
  }

  /** Path of the rendered clip; identical requests share one render. Rejects when ffmpeg fails. */
  render(r: ClipRequest): Promise<string> {
    const shared = this.mode === 'shared';
    const title = shared ? undefined : r.title;
    const keySrc = `${shared ? `${r.width}x${r.height}:${r.seconds}` : `${r.width}x${r.height}:${r.seconds}:${r.lines.join('\n')}:${title ?? ''}`}${r.defect ? `:${r.defect}` : ''}`;
    const key = createHash('sha256').update(keySrc).digest('hex').slice(0, 20);
    let p = this.cache.get(key);
    if (!p) {
      const file = join(this.dir, `clip-${key}.mp4`);
      const lines = shared ? [`${r.width}x${r.height} ${r.seconds}s`, 'shotlist emulator (shared render)'] : r.lines;
      p = this.limit(async () => {
        // The look (colour, mirroring of a moving pattern) follows the request text, so requests differ visibly.
        const look = [...lines, title ?? ''].join('\n');
        await renderTestClip(
          {
            width: r.width,
            height: r.height,
            seconds: r.seconds,
            lines,
            look,
            ...(title ? { title } : {}),
            ...(r.defect ? { defect: r.defect } : {}),
          },
          file,
          {
            signal: this.signal,
          },
        );
        return file;
      });
      this.cache.set(key, p);
      // A failed render must not poison later identical requests forever.
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  /** A derived still (thumbnail .webp or spritesheet .jpg) of a clip, made once. */
  derived(clip: string, kind: 'thumbnail' | 'spritesheet', seconds: number): Promise<string> {
    const out = kind === 'thumbnail' ? clip.replace(/\.mp4$/, '.thumb.webp') : clip.replace(/\.mp4$/, '.sprite.jpg');
    const key = `derived:${out}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.limit(async () => {
        if (kind === 'thumbnail') await extractFrame(clip, out, Math.min(1, seconds / 2), { signal: this.signal });
        else await renderSpritesheet(clip, out, seconds, { signal: this.signal });
        return out;
      });
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }
}

export interface FileEntry {
  provider: ProviderName;
  taskId: string;
  path: string;
  contentType: string;
  /** Clock ms the task completed; the URL expires `urlTtlMs` later (read at request time, so setFaults applies). */
  completedAt: number;
}

/** Opaque tokens for result URLs (`/files/<token>.mp4`). */
export class FileStore {
  private readonly entries = new Map<string, FileEntry>();
  constructor(private readonly newToken: () => string) {}

  add(entry: FileEntry): string {
    const token = this.newToken();
    this.entries.set(token, entry);
    return token;
  }

  /** Register a file under a token handed out earlier (an upload's URL is known before its bytes arrive). */
  set(token: string, entry: FileEntry): void {
    this.entries.set(token, entry);
  }

  get(token: string): FileEntry | undefined {
    return this.entries.get(token);
  }
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}
