/** Issue 12: "A pick ends as a CSV download" — export turns picks into a delivery folder. */
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deliveryName, exportPicks, readPicks } from '../../src/post/export.ts';
import { buildResults } from '../../src/report/results.ts';
import { makeItem, removeTempDirs, tempRunDir } from '../media/helpers.ts';

afterAll(removeTempDirs);

// The header the report's "Export picks" button writes.
const PICKS =
  '\ufeffgroup,job_id,shot,provider,model,clip\r\nhero,h2,hero,openai,sora-2-pro,clips/h2.mp4\r\ntag,t1,tag,fal,wan-2.7,clips/t1.mp4\r\n';

describe('export', () => {
  it('reads picks from the report CSV', () => {
    expect(readPicks(PICKS)).toEqual(['h2', 't1']);
    expect(readPicks('id\nx\nx\n')).toEqual(['x']);
  });

  it('copies the picked clips under template names with a manifest of sources and sha256', async () => {
    const dir = await tempRunDir('shotlist-export-');
    const items = await Promise.all([
      makeItem(dir, { id: 'h1', shot: 'hero', index: 0, model: 'sora-2' }),
      makeItem(dir, { id: 'h2', shot: 'hero', index: 0, take: 2, model: 'sora-2-pro', usd: 1.2 }),
      makeItem(dir, { id: 't1', shot: 'tag', index: 1, provider: 'fal', model: 'wan-2.7', width: 90, height: 160 }),
    ]);
    const results = buildResults(items, [], { name: 'spring' });
    const out = join(dir, 'delivery');
    const res = await exportPicks({ runDir: dir, results, picks: readPicks(PICKS), outDir: out });
    if (res.kind !== 'ok') throw new Error(res.message);
    expect(res.files.map((f) => f.file)).toEqual(['spring_hero_16x9_1s_sora-2-pro_take2.mp4', 'spring_tag_9x16_1s_wan-2.7_take1.mp4']);
    expect((await readdir(out)).sort()).toEqual(['delivery.csv', 'delivery.json', ...res.files.map((f) => f.file)].sort());
    const manifest = JSON.parse(await readFile(join(out, 'delivery.json'), 'utf8'));
    const first = manifest.files[0];
    expect(first).toMatchObject({
      job: 'h2',
      shot: 'hero',
      provider: 'openai',
      model: 'sora-2-pro',
      cost_usd: 1.2,
      source: 'clips/h2.mp4',
    });
    const bytes = await readFile(join(out, first.file));
    expect(first.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(first.sha256).toBe(items[1]!.record.clip!.sha256);
  });

  it('refuses picks of jobs the run does not have, and names collide safely', async () => {
    const dir = await tempRunDir('shotlist-export-');
    const items = [await makeItem(dir, { id: 'a1', shot: 'a' })];
    const results = buildResults(items, [], { name: 'r' });
    const bad = await exportPicks({ runDir: dir, results, picks: ['nope'], outDir: join(dir, 'd') });
    expect(bad).toMatchObject({ kind: 'invalid', message: expect.stringContaining('nope') });
    expect(deliveryName('{brand}/../{shot}', results.jobs[0]!, '../x')).not.toMatch(/\.\.\/|\//);
  });
});
