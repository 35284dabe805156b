/** Issue 11: `contact_sheet: {rows: 5}` was ignored (133 clips became one 8×17 sheet); rows now page the sheets. */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { probe } from '../../src/media/ffmpeg.ts';
import { runPostSteps } from '../../src/post/runner.ts';
import { sheetPages } from '../../src/post/thumbnails.ts';
import { makeItem, removeTempDirs, tempRunDir } from '../media/helpers.ts';

afterAll(removeTempDirs);

describe('contact sheets paged by rows', () => {
  it('133 clips with rows 5 and 8 columns make 4 sheets of at most 40 clips', () => {
    const pages = sheetPages(133, 8, 5);
    expect(pages).toEqual([
      [0, 40],
      [40, 80],
      [80, 120],
      [120, 133],
    ]);
  });

  it('without rows a group stays one sheet that grows', () => {
    expect(sheetPages(133, 8)).toEqual([[0, 133]]);
  });

  it('writes one numbered sheet per page, each with its clips in manifest order', async () => {
    const dir = await tempRunDir();
    const items = await Promise.all(
      ['c1', 'c2', 'c3', 'c4', 'c5'].map((id, index) => makeItem(dir, { id, index, seconds: 0.5, audio: false, fields: { g: 'a' } })),
    );
    const out = (
      await runPostSteps({
        runDir: dir,
        steps: [
          { kind: 'qc', enabled: false },
          { kind: 'contact_sheet', group_by: 'g', cols: 2, rows: 1 },
        ],
        items,
        events: () => {},
      })
    ).filter((o) => o.step === 'contact_sheet');
    expect(out.map((o) => [o.output, o.inputs])).toEqual([
      ['post/sheet-a-p1.jpg', ['c1', 'c2']],
      ['post/sheet-a-p2.jpg', ['c3', 'c4']],
      ['post/sheet-a-p3.jpg', ['c5']],
    ]);
    expect(out.every((o) => o.kind === 'made')).toBe(true);
    // 2 cells of 240 px + margins on a full page, 1 cell on the last
    expect((await probe(join(dir, 'post/sheet-a-p1.jpg'))).video?.width).toBe(486);
    expect((await probe(join(dir, 'post/sheet-a-p3.jpg'))).video?.width).toBe(244);
  });
});
