import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { probe } from '../../src/media/ffmpeg.ts';
import { runPostSteps as runAllPostSteps, type RunPostOptions } from '../../src/post/runner.ts';

/** The listed steps' outputs; the default QC step is covered by qc.test.ts. */
const runPostSteps = async (o: RunPostOptions) => (await runAllPostSteps(o)).filter((x) => x.step !== 'qc');
import type { ReportItem } from '../../src/report/types.ts';
import { makeItem, tempRunDir, removeTempDirs } from '../media/helpers.ts';

afterAll(removeTempDirs);

describe('thumbnails and contact sheets', () => {
  let dir: string;
  let items: ReportItem[];
  beforeAll(async () => {
    dir = await tempRunDir();
    items = await Promise.all([
      makeItem(dir, { id: 't1', index: 0, seconds: 2, fields: { g: 'a' } }),
      makeItem(dir, { id: 't2', index: 1, fields: { g: 'a' } }),
      makeItem(dir, { id: 't3', index: 2, width: 90, height: 160, fields: { g: 'a' } }),
      makeItem(dir, { id: 't4', index: 3, fields: { g: 'b' } }),
    ]);
  });

  it('writes a poster per clip and contact sheets per clip and per group', async () => {
    const out = await runPostSteps({
      runDir: dir,
      steps: [
        { kind: 'thumbnails', at: '50%', sheet: { cols: 4, rows: 3 } },
        { kind: 'contact_sheet', group_by: 'g', cols: 2 },
      ],
      items,
      events: () => {},
    });
    expect(out.every((o) => o.kind === 'made')).toBe(true);
    expect(out.map((o) => o.output)).toEqual([
      'thumbs/t1.jpg',
      'thumbs/t2.jpg',
      'thumbs/t3.jpg',
      'thumbs/t4.jpg',
      'thumbs/t1-sheet.jpg',
      'thumbs/t2-sheet.jpg',
      'thumbs/t3-sheet.jpg',
      'thumbs/t4-sheet.jpg',
      'post/sheet2-a.jpg',
      'post/sheet2-b.jpg',
    ]);
    expect((await probe(join(dir, 'thumbs/t1.jpg'))).video).toMatchObject({ width: 160, height: 90 });
    expect((await probe(join(dir, 'thumbs/t3.jpg'))).video).toMatchObject({ width: 90, height: 160 });
    // 4×3 cells of 240×136 with 2 px margin and padding
    expect((await probe(join(dir, 'thumbs/t1-sheet.jpg'))).video).toMatchObject({ width: 970, height: 416 });
    // group a: 3 clips in 2 columns → 2×2 cells; group b: 1 clip → 1×1
    expect((await probe(join(dir, 'post/sheet2-a.jpg'))).video).toMatchObject({ width: 486, height: 278 });
    expect((await probe(join(dir, 'post/sheet2-b.jpg'))).video).toMatchObject({ width: 244, height: 140 });
    expect(out.find((o) => o.output === 'post/sheet2-a.jpg')).toMatchObject({ group: 'a', inputs: ['t1', 't2', 't3'] });
  });

  it('numbers the outputs of repeated steps so they never overwrite each other', async () => {
    const out = await runPostSteps({
      runDir: dir,
      steps: [{ kind: 'stitch' }, { kind: 'stitch', select: { field: 'g', equals: 'b' } }, { kind: 'stitch', name: 'final' }],
      items,
      events: () => {},
    });
    expect(out.map((o) => [o.output, o.kind, o.inputs.length])).toEqual([
      ['post/stitch.mp4', 'made', 4],
      ['post/stitch2.mp4', 'made', 1],
      ['post/final.mp4', 'made', 4],
    ]);
  });
});
