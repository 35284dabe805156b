import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.ts';
import { buildPlan } from '../../src/plan/build.ts';
import { canonicalJson, jobId, type JobRequest } from '../../src/plan/job-id.ts';
import { manifest, shot } from './helpers.ts';

const catalog = await loadCatalog();
const today = '2026-11-21';
const base: JobRequest = {
  provider: 'openai',
  model: 'sora-2',
  prompt: 'p',
  seconds: 8,
  aspect: '16:9',
  resolution: '720p',
  size: { width: 1280, height: 720 },
  tier: 'standard',
  params: {},
  take: 1,
};

describe('jobId', () => {
  it('is 12 hex chars and deterministic', () => {
    expect(jobId(base)).toMatch(/^[0-9a-f]{12}$/);
    expect(jobId({ ...base })).toBe(jobId(base));
  });
  it('changes with every generation parameter and the take', () => {
    const variants: Partial<JobRequest>[] = [
      { provider: 'fal' },
      { model: 'sora-2-pro' },
      { prompt: 'q' },
      { seconds: 4 },
      { aspect: '9:16' },
      { resolution: '1024p' },
      { size: { width: 720, height: 1280 } },
      { tier: 'pro' },
      { image: 'a.png' },
      { seed: 1 },
      { negativePrompt: 'n' },
      { guidance: 7.5 },
      { params: { x: 1 } },
      { take: 2 },
    ];
    const ids = new Set([jobId(base), ...variants.map((v) => jobId({ ...base, ...v }))]);
    expect(ids.size).toBe(variants.length + 1);
  });
  it('ignores params key order', () => {
    expect(jobId({ ...base, params: { a: 1, b: { d: 2, c: 3 } } })).toBe(jobId({ ...base, params: { b: { c: 3, d: 2 }, a: 1 } }));
    expect(canonicalJson({ b: 1, a: [{ z: 1, y: 2 }] })).toBe('{"a":[{"y":2,"z":1}],"b":1}');
  });
});

describe('job ids in a plan', () => {
  const a = shot({ id: 'a', prompt: 'first' });
  const b = shot({ id: 'b', prompt: 'second', takes: 2 });
  const ids = (m: ReturnType<typeof manifest>) => buildPlan(m, catalog, { today }).jobs.map((j) => j.id);

  it('survive renaming and reordering shots', () => {
    const before = ids(manifest([a, b]));
    const after = ids(
      manifest([
        { ...b, id: 'renamed', baseId: 'renamed' },
        { ...a, id: 'other', baseId: 'other' },
      ]),
    );
    expect(new Set(after)).toEqual(new Set(before));
    expect(before).toHaveLength(3);
  });
  it('do not change when the wire id is written instead of the neutral id', () => {
    const neutral = ids(manifest([shot({ id: 'x', provider: 'apidot', model: 'sora-2' })]));
    const wire = ids(manifest([shot({ id: 'x', provider: 'apidot', model: 'sora-2-official' })]));
    expect(wire).toEqual(neutral);
  });
  it('differ per take, and only the edited shot changes', () => {
    const before = ids(manifest([a, b]));
    const after = ids(manifest([{ ...a, prompt: 'first, edited' }, b]));
    expect(after.slice(1)).toEqual(before.slice(1));
    expect(after[0]).not.toBe(before[0]);
    expect(before[1]).not.toBe(before[2]);
  });
  it('hash local images relative to the manifest folder (moving the project keeps ids)', () => {
    const img = (dir: string) =>
      ids(manifest([shot({ id: 'i', provider: 'openai', image: `${dir}/img/f.png` })], { file: `${dir}/m.yaml` }));
    expect(img('/home/a/proj')).toEqual(img('/mnt/b/moved'));
  });
});
