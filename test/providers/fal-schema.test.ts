import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import { falApp, toFalRequest } from '../../src/providers/fal.ts';
import { catalogJobs, vendored } from './schema-helpers.ts';
import { makeJob } from './helpers.ts';

const specs = vendored('fal');
let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

describe('fal requests against the vendored app schemas (specs/fal)', () => {
  it('every vendored schema names its source and the date it was taken', () => {
    expect(specs.size).toBeGreaterThanOrEqual(19);
    for (const s of specs.values()) {
      expect(s.schema['x-source'].length, s.id).toBeGreaterThan(10);
      expect(s.schema['x-retrieved'], s.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('every catalog model × duration × aspect × resolution × (text | image) maps to a request its app schema accepts, sending only declared fields', () => {
    let checked = 0;
    for (const m of catalog.provider('fal')!.models) {
      for (const job of catalogJobs('fal', m)) {
        const r = toFalRequest(job, {});
        expect(r.ok, `${m.id} ${job.seconds}s ${job.aspect} ${job.resolution}`).toBe(true);
        if (!r.ok) continue;
        const app = falApp(job);
        const spec = specs.get(app);
        expect(spec, `no vendored schema for ${app}`).toBeDefined();
        const body = r.request.json as Record<string, unknown>;
        const label = `${app} ${JSON.stringify(body)}`;
        expect(spec!.validate(body), `${label}: ${spec!.errors()}`).toBe(true);
        for (const k of Object.keys(body)) expect(Object.keys(spec!.schema.properties), `${label}: field ${k}`).toContain(k);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('Sora 2 duration is the string enum and pro resolution is 720p | 1080p, never 1024p', () => {
    const j = makeJob({ provider: 'fal', wireModel: 'fal-ai/sora-2/text-to-video/pro', tier: 'pro', seconds: 8, resolution: '1080p' });
    const r = toFalRequest(j, {});
    expect(r.ok && r.request.json).toMatchObject({ duration: '8', resolution: '1080p' });
    expect(specs.get('fal-ai/sora-2/text-to-video/pro')!.validate({ prompt: 'x', duration: 8 })).toBe(false);
    expect(specs.get('fal-ai/sora-2/text-to-video/pro')!.validate({ prompt: 'x', resolution: '1024p' })).toBe(false);
    expect(catalog.resolve('fal', 'sora-2-pro')!.resolutions).not.toContain('1024p');
  });

  it('a callback URL carries the job reference so a late callback finds its job', () => {
    const r = toFalRequest(makeJob({ provider: 'fal', wireModel: 'fal-ai/veo3.1', seconds: 8 }), {
      callbackUrl: 'https://cb.example/callbacks/fal',
    });
    expect(r.ok && r.request.query).toEqual({ fal_webhook: 'https://cb.example/callbacks/fal?job=job123abc456' });
  });
});
