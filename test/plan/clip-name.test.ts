/** Issue 11: clips were named `clips/5a0834b4f18f.mp4`; now `output.name` (default `{id}_{aspect}_{model}_{take}`), safe and unique. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';
import { clipNames, safeStem, unknownClipNameFields } from '../../src/plan/clip-name.ts';
import { makeJob } from '../run/helpers.ts';

describe('clip names', () => {
  it('default template: shot id, aspect, model and take, readable', () => {
    const jobs = [makeJob(0, { baseId: 'hero', take: 1 }), makeJob(1, { baseId: 'hero', aspect: '9:16', take: 2 })];
    expect([...clipNames(jobs).values()]).toEqual(['hero_16x9_sora-2_1', 'hero_9x16_sora-2_2']);
  });

  it('every documented field fills in; an unknown one is reported', () => {
    const job = makeJob(0, { baseId: 'hero', seed: 42, provider: 'fal', model: 'veo-3.1', seconds: 4 });
    const tpl = '{shot}-{provider}-{model}-{seed}-{duration}-{seconds}-{resolution}-{job}';
    expect(clipNames([job], tpl).get(job.id)).toBe(`hero-fal-veo-3.1-42-4s-4-720p-${job.id.slice(0, 6)}`);
    expect(unknownClipNameFields(tpl)).toEqual([]);
    expect(unknownClipNameFields('{id}_{secs}')).toEqual(['secs']);
  });

  it('is one safe path segment: no separators or reserved characters, no leading dot, no device name, bounded, Unicode kept', () => {
    expect(safeStem('../../etc/passwd')).toBe('etc-passwd');
    expect(safeStem('a\\b:c*d?e"f<g>h|i\u0000j k')).toBe('a-b-c-d-e-f-g-h-i-j-k');
    expect(safeStem('Café ünï 🎬 東京')).toBe('Café-ünï-🎬-東京');
    expect(safeStem('CON')).toBe('_CON');
    expect(safeStem('...')).toBe('clip');
    expect(Array.from(safeStem('🎬'.repeat(300)))).toHaveLength(80);
    const job = makeJob(0, { baseId: '../x' });
    expect(clipNames([job], '{id}/{model}').get(job.id)).toBe('x-sora-2');
  });

  it('unique: names that collide (also only by case) get the short job id appended', () => {
    const a = makeJob(0, { id: 'aaaaaa111111', baseId: 'Hero' });
    const b = makeJob(1, { id: 'bbbbbb222222', baseId: 'hero' });
    const c = makeJob(2, { baseId: 'detail' });
    const names = clipNames([a, b, c]);
    expect(names.get(a.id)).toBe(`Hero_16x9_sora-2_1_${a.id.slice(0, 6)}`);
    expect(names.get(b.id)).toBe(`hero_16x9_sora-2_1_${b.id.slice(0, 6)}`);
    expect(names.get(c.id)).toBe('detail_16x9_sora-2_1');
    expect(new Set([...names.values()].map((n) => n.toLowerCase())).size).toBe(3);
  });

  it('output.name in the manifest names the clips; an unknown field is an error at output.name (exit 2)', async () => {
    const dir = await tempDir();
    await writeOpenaiManifest(dir, 2, 'output: { name: "{provider}-{id}-take{take}" }');
    const ok = await runInProcess(['plan', 'manifest.yaml', '--json'], { cwd: dir });
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).jobs.map((j: { clip: string }) => j.clip)).toEqual([
      'clips/openai-s0-take1.mp4',
      'clips/openai-s1-take1.mp4',
    ]);
    await writeFile(
      join(dir, 'manifest.yaml'),
      (await import('node:fs')).readFileSync(join(dir, 'manifest.yaml'), 'utf8').replace('{take}', '{tkae}'),
    );
    const bad = await runInProcess(['plan', 'manifest.yaml'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/manifest\.yaml:\d+:\d+: output\.name: unknown field \{tkae\}/);
  });
});
