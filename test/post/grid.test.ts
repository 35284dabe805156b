import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { probe } from '../../src/media/ffmpeg.ts';
import { gridLayout, xstackLayout } from '../../src/post/grid.ts';
import { runPostSteps as runAllPostSteps, type RunPostOptions } from '../../src/post/runner.ts';

/** The listed steps' outputs; the default QC step is covered by qc.test.ts. */
const runPostSteps = async (o: RunPostOptions) => (await runAllPostSteps(o)).filter((x) => x.step !== 'qc');
import type { ReportItem } from '../../src/report/types.ts';
import { makeItem, tempRunDir, removeTempDirs } from '../media/helpers.ts';

afterAll(removeTempDirs);

describe('grid layout (pure)', () => {
  it('lays out 2, 3, 4, 6 and n tiles', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 9, 10].map((n) => gridLayout(n))).toEqual([
      { cols: 1, rows: 1 },
      { cols: 2, rows: 1 },
      { cols: 3, rows: 1 },
      { cols: 2, rows: 2 },
      { cols: 3, rows: 2 },
      { cols: 3, rows: 2 },
      { cols: 3, rows: 3 },
      { cols: 3, rows: 3 },
      { cols: 4, rows: 3 },
    ]);
    expect(xstackLayout(2, 2)).toBe('0_0|w0_0|0_h0|w0_h0');
    expect(xstackLayout(3, 1)).toBe('0_0|w0_0|w0+w0_0');
  });
});

describe('grid step (real ffmpeg)', () => {
  let dir: string;
  let items: ReportItem[];
  beforeAll(async () => {
    dir = await tempRunDir();
    // Six real clips; groups of 2, 3, 4, 6 and 5 reuse them (a job's clip path may be shared).
    const models = ['sora-2', 'sora-2-pro', 'veo-3', 'kling-2', 'wan-2', 'hailuo'];
    const base = await Promise.all(
      models.map((model, i) =>
        makeItem(dir, {
          id: `clip${i}`,
          model,
          provider: i % 2 ? 'fal' : 'openai',
          seconds: i === 1 ? 1.5 : 1,
          width: i === 5 ? 90 : 160,
          height: i === 5 ? 160 : 90,
        }),
      ),
    );
    items = [];
    for (const n of [2, 3, 4, 6, 5]) {
      for (let i = 0; i < n; i++) {
        const b = base[i]!;
        items.push({
          job: { ...b.job, id: `n${n}-${i}`, index: items.length, fields: { ...b.job.fields, n: String(n) } },
          record: { ...b.record, id: `n${n}-${i}` },
        });
      }
    }
  });

  it('makes one synced video per group with the expected size, order and duration', async () => {
    const out = await runPostSteps({
      runDir: dir,
      steps: [{ kind: 'grid', group_by: 'n', order_by: 'model', audio: 0 }],
      items,
      events: () => {},
      fontFile: null,
    });
    expect(out.map((o) => [o.output, o.kind])).toEqual([
      ['post/grid-2.mp4', 'made'],
      ['post/grid-3.mp4', 'made'],
      ['post/grid-4.mp4', 'made'],
      ['post/grid-6.mp4', 'made'],
      ['post/grid-5.mp4', 'made'],
    ]);
    const expected: Record<string, [number, number]> = { 2: [320, 90], 3: [480, 90], 4: [320, 180], 6: [480, 180], 5: [480, 180] };
    for (const [n, [w, h]] of Object.entries(expected)) {
      const p = await probe(join(dir, `post/grid-${n}.mp4`));
      expect(p.video, `grid ${n}`).toMatchObject({ width: w, height: h });
      // clip1 lasts 1.5 s: every grid containing it is padded to the longest clip.
      expect(Math.abs(p.durationS - 1.5)).toBeLessThanOrEqual(0.1);
    }
    // order_by model: hailuo < kling-2 < sora-2 < sora-2-pro < veo-3 < wan-2
    expect(out[3]!.inputs).toEqual(['n6-5', 'n6-3', 'n6-0', 'n6-1', 'n6-2', 'n6-4']);
    expect(out[0]!.message).toMatch(/labels omitted: no font/);
    expect((await probe(join(dir, 'post/grid-2.mp4'))).audio).toBeUndefined(); // audio: 0
  });

  it('labels tiles with drawtext when a font exists', async () => {
    const out = await runPostSteps({
      runDir: dir,
      steps: [{ kind: 'grid', group_by: 'n', label: ['model', 'provider'] }],
      items: items.filter((it) => it.job.fields.n === '2'),
      events: () => {},
    });
    expect(out[0]!.kind).toBe('made');
    expect(out[0]!.message ?? '').not.toMatch(/labels omitted/);
    // Issue 12: labels sit in a caption bar below the picture (the picture keeps its 160x90),
    // and the grid carries the first tile's sound.
    const p = await probe(join(dir, 'post/grid-2.mp4'));
    expect(p.video?.width).toBe(320);
    expect(p.video!.height).toBeGreaterThan(90);
    expect(p.audio).toBeDefined();
  });
});
