/**
 * Issue 13, "One request type": one GenerationRequest inferred from the zod shot fields, shared by
 * Shot, Job and job ids; camelCase in code, snake_case on disk, mapped in one place.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  generationRequestSchema,
  pickRequest,
  REQUEST_COLUMNS,
  REQUEST_FIELDS,
  requestToDisk,
  type GenerationRequest,
} from '../../src/manifest/request.ts';
import { shotFieldSchemas } from '../../src/manifest/schema.ts';
import type { Shot } from '../../src/manifest/types.ts';
import type { Job } from '../../src/plan/types.ts';
import { jobId } from '../../src/plan/job-id.ts';
import { buildPlan } from '../../src/plan/build.ts';
import { loadCatalog } from '../../src/catalog/load.ts';
import { manifest, shot } from './helpers.ts';

const camel = (s: string) => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

describe('GenerationRequest', () => {
  it('REQUEST_FIELDS is the one mapping: every request field of the zod schema, camelCase in code', () => {
    expect(REQUEST_FIELDS.map((f) => f.disk).sort()).toEqual(Object.keys(generationRequestSchema.shape).sort());
    for (const f of REQUEST_FIELDS) {
      expect(f.code).toBe(camel(f.disk));
      expect(Object.keys(shotFieldSchemas)).toContain(f.disk); // the manifest's own field names
    }
    expect(REQUEST_COLUMNS).toContain('negative_prompt');
    expect(REQUEST_COLUMNS).not.toContain('params');
  });

  it('Shot and Job are GenerationRequests (one shape, no hand-written copies)', () => {
    expectTypeOf<Shot>().toMatchTypeOf<GenerationRequest>();
    expectTypeOf<Omit<Job, 'tier'>>().toMatchTypeOf<Omit<GenerationRequest, 'tier'>>();
    expectTypeOf<Job['negativePrompt']>().toEqualTypeOf<string | undefined>();
  });

  it('a planned job carries the shot request with the neutral model id; on disk it is snake_case', async () => {
    const catalog = await loadCatalog();
    const s = shot({
      id: 'a',
      provider: 'sorapi',
      model: 'sora-2',
      seconds: 8,
      seed: 3,
      guidance: 7.5,
      negativePrompt: 'blur',
      prompt: 'A cat',
    });
    const plan = buildPlan(manifest([s]), catalog, { today: '2026-11-21', allowUnpriced: true });
    expect(plan.errors).toEqual([]);
    const job = plan.jobs[0]!;
    expect(pickRequest(job)).toEqual({ ...pickRequest(s), model: 'sora-2', tier: 'standard' });
    expect(requestToDisk(job)).toMatchObject({ negative_prompt: 'blur', seed: 3, guidance: 7.5, provider: 'sorapi' });
    expect(requestToDisk(job)).not.toHaveProperty('negativePrompt');
    // One name in code: the snake_case alias is gone from the job.
    expect(job.negativePrompt).toBe('blur');
    expect(job).not.toHaveProperty('negative_prompt');
  });

  it('job ids did not change with the rename (same hash input as before)', () => {
    const r = {
      provider: 'sorapi',
      model: 'sora-2',
      prompt: 'A "cat"',
      seconds: 10,
      aspect: '16:9' as const,
      resolution: '720p' as const,
      size: { width: 1280, height: 720 },
      tier: 'standard' as const,
      image: 'img/a.png',
      seed: 7,
      negativePrompt: 'blur',
      guidance: 7.5,
      params: { b: 1, a: [2] },
      take: 2,
    };
    // Computed with the pre-rename code (negative_prompt): resume must keep matching old runs.
    expect(jobId(r)).toBe('3d11b0da1b0d');
  });
});
