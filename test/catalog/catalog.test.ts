import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.ts';
import { InputError } from '../../src/errors.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';

describe('shipped catalog', () => {
  it('has one dated, sourced file per provider, in provider order', async () => {
    const c = await loadCatalog();
    expect(c.providers.map((p) => p.provider)).toEqual([...PROVIDER_NAMES]);
    for (const p of c.providers) {
      expect(p.as_of).toMatch(/^\d{4}-\d{2}/);
      expect(p.source.length).toBeGreaterThan(5);
      expect(p.models.length).toBeGreaterThan(0);
      for (const m of p.models) expect(m.provider).toBe(p.provider);
    }
  });
  it('lists Sora 2 on every provider and current models on fal, APIDot and Replicate', async () => {
    const c = await loadCatalog();
    for (const p of PROVIDER_NAMES) expect(c.resolve(p, 'sora-2'), p).toBeDefined();
    for (const p of ['fal', 'apidot', 'replicate']) {
      expect(c.resolve(p, 'veo-3.1'), p).toBeDefined();
      expect(c.resolve(p, 'seedance-2'), p).toBeDefined();
    }
    expect(c.resolve('fal', 'kling-v3')).toBeDefined();
    expect(c.resolve('replicate', 'kling-v3')).toBeDefined();
    expect(c.resolve('fal', 'wan-2.7')).toBeDefined();
    expect(c.resolve('apidot', 'wan-2.7')).toBeDefined();
    expect(c.resolve('openai', 'sora-2')!.sunset).toBe('2026-09-24');
  });
  it('resolves neutral ids and wire ids (and fal image app ids)', async () => {
    const c = await loadCatalog();
    expect(c.resolve('apidot', 'sora-2-official')!.id).toBe('sora-2');
    expect(c.resolve('apidot', 'sora-2')!.wire_id).toBe('sora-2-official');
    expect(c.resolve('fal', 'fal-ai/sora-2/image-to-video/pro')!.id).toBe('sora-2-pro');
    expect(c.resolve('openai', 'nope')).toBeUndefined();
    expect(c.resolve('nope', 'sora-2')).toBeUndefined();
    expect(c.provider('apidot')!.usd_per_credit).toBe(0.005);
  });
});

describe('extra catalog files', () => {
  it('override fields of existing models, add models and providers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shotlist-catalog-'));
    const f = join(dir, 'extra.yaml');
    await writeFile(
      f,
      `providers:
  - provider: sorapi
    limits: { max_in_flight: 7 }
    models:
      - id: sora-2
        price: { kind: per_second, unit: usd, by_resolution: { 720p: 0.05 } }
      - id: my-model
        wire_id: my-model-wire
        tier: standard
        family: mine
        durations: [5]
        aspects: ["16:9"]
        resolutions: [720p]
        image: none
        supports: { seed: true, negative_prompt: false, guidance: false }
        max_prompt_chars: 100
        price: { kind: per_clip, unit: usd, by_duration: { "5": 0.25 } }
        render_seconds: 10
        result_url_ttl_s: 60
        charges_failures: false
`,
    );
    const c = await loadCatalog({ extraFiles: [f] });
    const sorapi = c.provider('sorapi')!;
    expect(sorapi.limits.max_in_flight).toBe(7);
    expect(sorapi.limits.submit_per_min).toBe(30);
    expect(c.resolve('sorapi', 'sora-2')!.price).toEqual({ kind: 'per_second', unit: 'usd', by_resolution: { '720p': 0.05 } });
    expect(c.resolve('sorapi', 'sora-2')!.wire_id).toBe('sora-2-latest');
    expect(c.resolve('sorapi', 'my-model-wire')!.id).toBe('my-model');
  });
  it('report schema errors with file:line:col', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shotlist-catalog-'));
    const f = join(dir, 'bad.yaml');
    await writeFile(f, 'provider: fal\nlimits:\n  max_in_flite: 3\n');
    const err = await loadCatalog({ extraFiles: [f] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    const d = (err as InputError).diagnostics[0]!;
    expect([d.file, d.line, d.col]).toEqual([f, 3, 3]);
    expect(d.message).toContain('did you mean "max_in_flight"');
  });
  it('reject an incomplete new model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shotlist-catalog-'));
    const f = join(dir, 'new.yaml');
    await writeFile(f, 'provider: fal\nmodels:\n  - id: brand-new\n    wire_id: x\n');
    await expect(loadCatalog({ extraFiles: [f] })).rejects.toThrow(/brand-new.*incomplete/);
  });
});
