/** Issue 12: the emulator's clip renderer makes defective clips on request, and QC flags each one and no clean one. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/media/ffmpeg.ts';
import { extractFrame, renderTestClip, TEST_CLIP_DEFECTS, type TestClipDefect } from '../../src/media/testclip.ts';
import { checkClip } from '../../src/post/qc.ts';
import { DEFAULT_QC } from '../../src/post/qc-parse.ts';
import type { ClipQc } from '../../src/report/types.ts';
import { makeJob, removeTempDirs, tempRunDir } from '../media/helpers.ts';

afterAll(removeTempDirs);

describe('emulator test clips and QC', () => {
  let dir: string;
  const verdicts: Record<string, ClipQc> = {};
  beforeAll(async () => {
    dir = await tempRunDir('shotlist-testclip-qc-');
    const cases: Array<[string, TestClipDefect | undefined, string]> = [
      ['clean-a', undefined, 'a red car · sora-2 · take 1'],
      ['clean-b', undefined, 'a red car · sora-2-pro · take 1'],
      ...TEST_CLIP_DEFECTS.map((d): [string, TestClipDefect, string] => [d, d, `defect ${d}`]),
    ];
    await Promise.all(
      cases.map(async ([id, defect, look]) => {
        const abs = join(dir, 'clips', `${id}.mp4`);
        await renderTestClip({ width: 160, height: 90, seconds: 2, look, lines: [look], ...(defect ? { defect } : {}) }, abs);
        const job = makeJob({ id, width: 160, height: 90, seconds: 2 });
        const p = await probe(abs);
        verdicts[id] = await checkClip(
          {
            item: { job, record: { id, state: 'downloaded', attempts: 1, reservedUsd: 0, spentUsd: 0, timings: {} } },
            abs,
            sha256: id,
            probe: p,
          },
          DEFAULT_QC,
          true,
        );
      }),
    );
  }, 120_000);

  it('QC flags every injected defect with its kind and passes the clean clips', () => {
    const kinds = Object.fromEntries(Object.entries(verdicts).map(([id, v]) => [id, v.issues.map((i) => i.kind)]));
    expect(kinds).toEqual({ 'clean-a': [], 'clean-b': [], black: ['black'], frozen: ['frozen'], silent: ['silent'], short: ['duration'] });
  });

  it('requests that differ render visibly different pictures', async () => {
    const frame = async (id: string): Promise<string> => {
      const out = join(dir, `${id}.png`);
      await extractFrame(join(dir, 'clips', `${id}.mp4`), out, 0.5);
      return createHash('sha256')
        .update(await readFile(out))
        .digest('hex');
    };
    expect(await frame('clean-a')).not.toBe(await frame('clean-b'));
  });
});
