import { beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.ts';
import type { Catalog } from '../../src/catalog/types.ts';
import { toReplicateRequest } from '../../src/providers/replicate.ts';
import { catalogJobs, vendored } from './schema-helpers.ts';
import { makeJob } from './helpers.ts';

const specs = vendored('replicate');
let catalog: Catalog;
beforeAll(async () => {
  catalog = await loadCatalog();
});

describe('Replicate requests against the vendored model schemas (specs/replicate)', () => {
  it('every catalog model has a vendored schema with its source and date', () => {
    for (const m of catalog.provider('replicate')!.models) {
      const s = specs.get(m.wire_id);
      expect(s, m.wire_id).toBeDefined();
      expect(s!.schema['x-source']).toMatch(/replicate\.com/);
      expect(s!.schema['x-retrieved']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('every catalog model × duration × aspect × resolution × (text | image) maps to an input its schema accepts, sending only declared fields', () => {
    let checked = 0;
    for (const m of catalog.provider('replicate')!.models) {
      const spec = specs.get(m.wire_id)!;
      for (const job of catalogJobs('replicate', m)) {
        const r = toReplicateRequest(job, { callbackUrl: 'https://cb.example/callbacks/replicate' });
        expect(r.ok, `${m.id} ${job.seconds}s ${job.aspect} ${job.resolution}`).toBe(true);
        if (!r.ok) continue;
        const body = r.request.json as { input: Record<string, unknown>; webhook?: string };
        const label = `${m.wire_id} ${JSON.stringify(body.input)}`;
        expect(spec.validate(body.input), `${label}: ${spec.errors()}`).toBe(true);
        for (const k of Object.keys(body.input)) expect(Object.keys(spec.schema.properties), `${label}: field ${k}`).toContain(k);
        expect(body.webhook).toBe(`https://cb.example/callbacks/replicate?job=${job.id}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('Sora 2 Pro 1024p is resolution "high"; seconds is an integer from 4 | 8 | 12', () => {
    const r = toReplicateRequest(
      makeJob({ provider: 'replicate', wireModel: 'openai/sora-2-pro', tier: 'pro', seconds: 8, resolution: '1024p' }),
      {},
    );
    expect(r.ok && (r.request.json as { input: unknown }).input).toMatchObject({
      seconds: 8,
      resolution: 'high',
      aspect_ratio: 'landscape',
    });
    expect(specs.get('openai/sora-2-pro')!.validate({ prompt: 'x', seconds: '8' })).toBe(false);
  });
});
