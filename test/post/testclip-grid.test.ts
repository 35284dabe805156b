/**
 * Issue 12: "the emulator renders the same test pattern for every job, so a demo grid shows identical
 * tiles". The emulator's own clips for a demo-like group (three models, and two takes of one of them:
 * identical requests) go through the real grid step; one frame of the grid is cut into its tiles and
 * every pair of tiles must differ clearly in pixels, not only in their caption labels.
 */
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipRenderer, clipRequestFor } from '../../src/emulator/files.ts';
import { runFfmpeg } from '../../src/media/ffmpeg.ts';
import { findFontFile, testClipArgs, titleFontSize } from '../../src/media/testclip.ts';
import { captionLayout, gridLayout } from '../../src/post/grid.ts';
import { groupLabels } from '../../src/report/labels.ts';
import { fieldOf } from '../../src/post/select.ts';
import { runPostSteps } from '../../src/post/runner.ts';
import type { ReportItem } from '../../src/report/types.ts';
import { makeItem, removeTempDirs, tempRunDir } from '../media/helpers.ts';

afterAll(removeTempDirs);

const W = 192;
const H = 108;
const PROMPT = 'A lighthouse at dawn, waves rolling in, slow aerial orbit';

describe('emulator clips in a demo-like grid', () => {
  let dir: string;
  let tiles: Uint8Array[];
  let ids: string[];

  beforeAll(async () => {
    dir = await tempRunDir('shotlist-testclip-grid-');
    const renderer = new ClipRenderer(join(dir, 'render'), 'unique', 2, new AbortController().signal);
    const requests: Array<[string, string, string, number]> = [
      ['veo', 'fal', 'veo-3.1', 1],
      ['kling', 'replicate', 'kling-v3', 1],
      ['wan1', 'fal', 'wan-2.7', 1],
      ['wan2', 'fal', 'wan-2.7', 2],
    ];
    ids = requests.map((r) => r[0]);
    await mkdir(join(dir, 'render'), { recursive: true });
    const items: ReportItem[] = await Promise.all(
      requests.map(async ([id, provider, model, take]) => {
        const clip = await renderer.render(clipRequestFor({ provider, model, prompt: PROMPT, width: W, height: H, seconds: 1 }, take));
        const item = await makeItem(dir, { id, shot: 'demo', provider, model, take, prompt: PROMPT, width: W, height: H, noFile: true });
        await copyFile(clip, join(dir, 'clips', `${id}.mp4`));
        item.record.clip = { ...item.record.clip!, bytes: (await stat(join(dir, 'clips', `${id}.mp4`))).size, sha256: id };
        return item;
      }),
    );
    await runPostSteps({
      runDir: dir,
      steps: [
        { kind: 'qc', enabled: false },
        { kind: 'grid', group_by: 'shot' },
      ],
      items,
      events: () => {},
    });
    const grid = join(dir, 'post', 'grid-demo.mp4');
    const raw = join(dir, 'frame.rgb');
    await runFfmpeg(['-ss', '0.5', '-i', grid, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', raw]);
    const frame = new Uint8Array(await readFile(raw));
    // The grid is 2×2 tiles of W×H pictures, each over a caption bar of the grid's own layout.
    const jobs = items.map((i) => i.job);
    const bar = findFontFile() ? captionLayout(groupLabels(jobs, fieldOf, undefined, Object.keys(jobs[0]!.fields)), W, H).barHeight : 0;
    const { cols } = gridLayout(4);
    const rowBytes = cols * W * 3;
    expect(frame.length).toBe(rowBytes * 2 * (H + bar));
    tiles = [0, 1, 2, 3].map((t) => {
      const x0 = (t % cols) * W;
      const y0 = Math.floor(t / cols) * (H + bar);
      const px = new Uint8Array(W * H * 3);
      for (let y = 0; y < H; y++) px.set(frame.subarray((y0 + y) * rowBytes + x0 * 3, (y0 + y) * rowBytes + (x0 + W) * 3), y * W * 3);
      return px;
    });
  }, 60_000);

  it('every pair of tiles differs clearly in pixels (models, and two takes of one request)', () => {
    const diff = (a: Uint8Array, b: Uint8Array): number => {
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
      return sum / a.length;
    };
    const pairs: string[] = [];
    for (let i = 0; i < tiles.length; i++) {
      for (let j = i + 1; j < tiles.length; j++) pairs.push(`${ids[i]}/${ids[j]} ${diff(tiles[i]!, tiles[j]!).toFixed(1)}`);
    }
    // Encoding noise between identical pictures is ~1; a different tint, mirroring or title is tens.
    const small = pairs.filter((p) => Number(p.split(' ')[1]) < 12);
    expect(small, pairs.join(', ')).toEqual([]);
  });

  it('prints the model and take large across the picture', () => {
    const spec = { width: W, height: H, seconds: 1, title: 'wan-2.7 · take 2', look: 'x' };
    const args = testClipArgs(spec, 'out.mp4', '/f.ttf', undefined, '/t.txt').join(' ');
    expect(args).toMatch(/drawtext=[^,]*fontsize=(\d+)[^,]*textfile='\/t\.txt'/);
    // Large: at least a sixth of the height on a small tile, far above the parameter text.
    expect(titleFontSize(spec)).toBeGreaterThanOrEqual(Math.floor(H / 6));
    expect(clipRequestFor({ provider: 'fal', model: 'wan-2.7', prompt: 'p', width: W, height: H, seconds: 1 }, 2).title).toBe(
      'wan-2.7 · take 2',
    );
  });
});
