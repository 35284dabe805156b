/** Post-step field names are checked at plan time, with the position they were written at. */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/index.ts';
import { checkPostFields } from '../../src/post/fields.ts';
import { JOB_PROPERTY_NAMES, fieldOf } from '../../src/post/select.ts';
import type { Job } from '../../src/plan/types.ts';
import { runInProcess } from '../helpers/cli.ts';
import { tempDir } from '../helpers/manifests.ts';

const MANIFEST = [
  'name: fields',
  'provider: openai',
  'model: sora-2',
  'defaults: { seconds: 4 }',
  'matrix:',
  '  aspect: ["16:9", "9:16"]',
  'shots:',
  '  - id: a',
  '    prompt: "hello {place}"',
  '    vars: { place: "there" }',
  'post:',
  '  - stitch: { group_by: aspct }',
  '  - grid: { group_by: [id, place], order_by: "model, providr", label: [provider, modle] }',
  '  - thumbnails: { sheet: { per: group, group_by: place } }',
].join('\n');

describe('post-step field names', () => {
  it('the loader records every referenced field with its line and column', async () => {
    const dir = await tempDir('shotlist-fields-');
    const file = join(dir, 'm.yaml');
    await writeFile(file, `${MANIFEST}\n`);
    const manifest = await loadManifest(file);
    const refs = (manifest.postFieldRefs ?? []).map((r) => `${r.where}=${r.name}@${r.source.line}:${r.source.col}`);
    expect(refs).toEqual([
      'post[0].stitch.group_by=aspct@12:25',
      'post[1].grid.group_by[0]=id@13:24',
      'post[1].grid.group_by[1]=place@13:28',
      'post[1].grid.order_by=model@13:46',
      'post[1].grid.order_by=providr@13:46',
      'post[1].grid.label[0]=provider@13:72',
      'post[1].grid.label[1]=modle@13:82',
      'post[2].thumbnails.sheet.group_by=place@14:50',
    ]);

    const res = await runInProcess(['plan', file]);
    expect(res.code).toBe(2);
    const lines = res.err.split('\n').filter((l) => l.includes('unknown field'));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain(`${file}:12:25: post[0].stitch.group_by: unknown field "aspct" (did you mean "aspect"?)`);
    expect(lines[1]).toContain('"providr" (did you mean "provider"?)');
    expect(lines[2]).toContain('post[1].grid.label[1]: unknown field "modle" (did you mean "model"?)');
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts every built-in job property and any key the jobs carry in fields', () => {
    const job = { fields: { place: 'x', product: 'y' } } as unknown as Job;
    const refs = [...JOB_PROPERTY_NAMES, 'place', 'product'].map((name) => ({
      name,
      where: 'post[0]',
      source: { file: 'm', line: 1, col: 1 },
    }));
    expect(checkPostFields(refs, [job])).toEqual([]);
    expect(checkPostFields([{ name: 'nope', where: 'post[0].grid.group_by', source: { file: 'm', line: 3, col: 7 } }], [job])).toEqual([
      expect.objectContaining({ file: 'm', line: 3, col: 7, message: expect.stringContaining('unknown field "nope"') }),
    ]);
  });

  it('every built-in name resolves to a value on a real job', () => {
    const job: Job = {
      id: 'j',
      shotId: 's',
      baseId: 'b',
      take: 1,
      index: 0,
      provider: 'openai',
      model: 'sora-2',
      wireModel: 'sora-2',
      tier: 'standard',
      prompt: 'p',
      seconds: 4,
      aspect: '16:9',
      resolution: '720p',
      size: { width: 1280, height: 720 },
      seed: 7,
      params: {},
      fields: {},
      cost: { usd: 0.4, credits: null },
      source: { file: 'm', line: 1, col: 1 },
    };
    for (const name of JOB_PROPERTY_NAMES) expect(fieldOf(job, name), name).not.toBe('');
  });

  it('thumbnails.at must be seconds or a percentage', async () => {
    const dir = await tempDir('shotlist-at-');
    const file = join(dir, 'm.yaml');
    await writeFile(
      file,
      'name: at\nprovider: openai\nmodel: sora-2\nshots:\n  - prompt: "x"\n    seconds: 4\npost:\n  - thumbnails: { at: "later" }\n',
    );
    const res = await runInProcess(['validate', file]);
    expect(res.code).toBe(2);
    expect(res.err).toContain(`${file}:8:23: post[0].thumbnails.at: expected seconds (e.g. 1.5) or a percentage (e.g. "50%")`);
    await writeFile(
      file,
      'name: at\nprovider: openai\nmodel: sora-2\nshots:\n  - prompt: "x"\n    seconds: 4\npost:\n  - thumbnails: { at: "25%" }\n',
    );
    expect((await runInProcess(['validate', file])).code).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});
