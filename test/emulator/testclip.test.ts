import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/media/ffmpeg.ts';
import { extractFrame, findFontFile, renderSpritesheet, renderTestClip, wrapText } from '../../src/media/testclip.ts';

describe('renderTestClip', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'testclip-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('renders H.264 yuv420p + AAC at the exact size and duration, quickly', async () => {
    const out = join(dir, 'a.mp4');
    const r = await renderTestClip(
      { width: 1280, height: 720, seconds: 4, lines: ['A lighthouse at dusk', 'openai · sora-2 · 1280x720 · 4s'] },
      out,
    );
    const p = await probe(out);
    expect(p.video).toMatchObject({ codec: 'h264', width: 1280, height: 720, pixFmt: 'yuv420p' });
    expect(p.audio?.codec).toBe('aac');
    expect(Math.abs(p.durationS - 4)).toBeLessThanOrEqual(0.1);
    expect(r.withText).toBe(findFontFile() !== undefined);
  });

  it('draws prompts with quotes, colons, percent signs and brackets, and renders portrait and odd durations', async () => {
    const out = join(dir, 'b.mp4');
    await renderTestClip({ width: 360, height: 640, seconds: 1.5, lines: [`It's 100% "done": [a,b]; c\\d {e} 'f'`] }, out);
    const p = await probe(out);
    expect(p.video).toMatchObject({ width: 360, height: 640 });
    expect(Math.abs(p.durationS - 1.5)).toBeLessThanOrEqual(0.1);
  });

  it('renders without text when fonts are disabled, and derives thumbnail and spritesheet images', async () => {
    const out = join(dir, 'c.mp4');
    const r = await renderTestClip({ width: 320, height: 180, seconds: 2, lines: ['no font'], fontFile: null }, out);
    expect(r.withText).toBe(false);
    await extractFrame(out, join(dir, 'c.webp'), 1);
    await renderSpritesheet(out, join(dir, 'c.jpg'), 2);
    expect((await stat(join(dir, 'c.webp'))).size).toBeGreaterThan(100);
    const sheet = await probe(join(dir, 'c.jpg'));
    expect(sheet.video?.width).toBe(4 * 160);
  });

  it('wraps long text into bounded lines', () => {
    const lines = wrapText('one two three four five six seven eight nine ten', 10, 3);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.length <= 10)).toBe(true);
    expect(lines[2]!.endsWith('…')).toBe(true);
  });
});
