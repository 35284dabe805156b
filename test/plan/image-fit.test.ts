/**
 * `image_fit: pad | crop`: a reference image of another orientation than the clip is announced at
 * plan time as padded or cropped, the choice is part of the job's identity (crop only: pad keeps the
 * ids it always had), and the manifest field reaches the shot from YAML.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.ts';
import { loadManifest } from '../../src/manifest/load.ts';
import { buildPlan } from '../../src/plan/build.ts';
import { manifest, shot } from './helpers.ts';

const catalog = await loadCatalog();
const today = '2026-11-21';
const landscape = { width: 1280, height: 720 };
const plan = (over: Parameters<typeof shot>[0]) =>
  buildPlan(manifest([shot({ provider: 'fal', model: 'veo-3.1', image: '/proj/ref.png', ...over })]), catalog, {
    today,
    allowUnpriced: true,
    imageSize: (p) => (p === '/proj/ref.png' ? landscape : undefined),
  });

describe('image_fit at plan time', () => {
  it('a portrait job with a landscape reference says it is padded (default) or cropped', () => {
    const pad = plan({ id: 'p', aspect: '9:16' });
    expect(pad.errors).toEqual([]);
    expect(pad.warnings).toContain(
      'shot "p": reference image ref.png is 1280x720 (landscape) for a 9:16 clip: padded to 720x1280 with black bars (image_fit: crop fills the frame instead)',
    );
    expect(pad.jobs[0]!.imageFit).toBe('pad');
    const crop = plan({ id: 'p', aspect: '9:16', imageFit: 'crop' });
    expect(crop.warnings).toContain(
      'shot "p": reference image ref.png is 1280x720 (landscape) for a 9:16 clip: cropped to fill 720x1280, its edges cut (image_fit: pad keeps the whole image)',
    );
    expect(crop.jobs[0]!.imageFit).toBe('crop');
    // Crop sends other pixels: another job. Pad (explicit or default) keeps the id.
    expect(crop.jobs[0]!.id).not.toBe(pad.jobs[0]!.id);
    expect(plan({ id: 'p', aspect: '9:16', imageFit: 'pad' }).jobs[0]!.id).toBe(pad.jobs[0]!.id);
  });

  it('says nothing when the orientation matches, the size is unknown or there is no image', () => {
    expect(plan({ id: 'l', aspect: '16:9' }).warnings.filter((w) => w.includes('reference image'))).toEqual([]);
    expect(plan({ id: 'u', aspect: '9:16', image: '/proj/other.png' }).warnings.filter((w) => w.includes('reference image'))).toEqual([]);
    const none = plan({ id: 'n', aspect: '9:16', image: undefined });
    expect(none.jobs[0]!.imageFit).toBeUndefined();
  });

  it('reads image_fit from the manifest (shot and defaults) and refuses other values', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shotlist-fit-'));
    await writeFile(join(dir, 'ref.png'), 'x');
    const file = join(dir, 'm.yaml');
    await writeFile(
      file,
      [
        'name: fit',
        'provider: fal',
        'model: veo-3.1',
        'defaults: { image_fit: crop }',
        'shots:',
        '  - { id: a, prompt: "A", image: ref.png }',
        '  - { id: b, prompt: "B", image: ref.png, image_fit: pad }',
        '',
      ].join('\n'),
    );
    const m = await loadManifest(file);
    expect(m.shots.map((s) => [s.id, s.imageFit])).toEqual([
      ['a', 'crop'],
      ['b', 'pad'],
    ]);
    await writeFile(
      file,
      'name: fit\nprovider: fal\nmodel: veo-3.1\nshots:\n  - { id: a, prompt: "A", image: ref.png, image_fit: stretch }\n',
    );
    await expect(loadManifest(file)).rejects.toThrow(/image_fit/);
  });
});
