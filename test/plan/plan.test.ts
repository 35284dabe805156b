import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.ts';
import { buildPlan } from '../../src/plan/build.ts';
import { diffPlan } from '../../src/plan/diff.ts';
import { planToJson } from '../../src/plan/json.ts';
import { manifest, shot } from './helpers.ts';

const catalog = await loadCatalog();
const today = '2026-11-21';

describe('buildPlan', () => {
  it('expands takes, prices jobs, groups cost lines and totals them', () => {
    const m = manifest([
      shot({ id: 'a', provider: 'apidot', model: 'sora-2', seconds: 12, takes: 2 }),
      shot({ id: 'b', provider: 'apidot', model: 'sora-2-pro', seconds: 8, resolution: '1080p', prompt: 'b' }),
      shot({ id: 'c', provider: 'apidot', model: 'sora-2', seconds: 12, aspect: '9:16', prompt: 'c' }),
      shot({ id: 'd', provider: 'fal', model: 'sora-2-pro', seconds: 4, resolution: '1080p', prompt: 'd' }),
    ]);
    const plan = buildPlan(m, catalog, { today });
    expect(plan.errors).toEqual([]);
    expect(plan.jobs.map((j) => [j.shotId, j.take])).toEqual([
      ['a', 1],
      ['a', 2],
      ['b', 1],
      ['c', 1],
      ['d', 1],
    ]);
    expect(plan.lines.map((l) => [l.provider, l.model, l.size, l.seconds, l.jobs, l.unit.usd, l.subtotal.usd, l.subtotal.credits])).toEqual(
      [
        ['apidot', 'sora-2', '1280x720', 12, 2, 0.72, 1.44, 288],
        ['apidot', 'sora-2', '720x1280', 12, 1, 0.72, 0.72, 144],
        ['apidot', 'sora-2-pro', '1920x1080', 8, 1, 4.48, 4.48, 896],
        ['fal', 'sora-2-pro', '1920x1080', 4, 1, 2, 2, null],
      ],
    );
    // 3 × 0.72 + 4.48 + 2.00
    expect(plan.totals).toEqual({ usd: 8.64, credits: 1328, jobs: 5, unpriced: 0 });
    expect(plan.warnings.some((w) => w.includes('RETIRED') && w.includes('fal/sora-2-pro'))).toBe(true);
  });

  it('fills Job fields for grouping and labels', () => {
    const m = manifest([
      shot({
        id: 'h@aspect=9:16',
        baseId: 'h',
        aspect: '9:16',
        vars: { product: 'car' },
        matrix: { aspect: '9:16' },
        takes: 2,
        provider: 'apidot',
        model: 'sora-2-official',
      }),
    ]);
    const [j1, j2] = buildPlan(m, catalog, { today }).jobs;
    expect(j1!.fields).toMatchObject({
      shot: 'h@aspect=9:16',
      id: 'h',
      provider: 'apidot',
      model: 'sora-2',
      aspect: '9:16',
      seconds: '8',
      size: '720x1280',
      product: 'car',
      take: '1',
      tier: 'standard',
    });
    expect(j2!.fields.take).toBe('2');
    expect(j1!.wireModel).toBe('sora-2-official');
  });

  it('uses the image app id when a shot has an image (fal)', () => {
    const m = manifest([shot({ id: 'i', provider: 'fal', model: 'sora-2', image: 'https://x/y.png' })]);
    expect(buildPlan(m, catalog, { today }).jobs[0]!.wireModel).toBe('fal-ai/sora-2/image-to-video');
  });

  it('local images: accepted where the provider uploads them (fal, Replicate, OpenAI); refused naming the field and the alternative elsewhere', () => {
    const local = '/proj/ref.png';
    const ok = buildPlan(
      manifest([
        shot({ id: 'f', provider: 'fal', model: 'veo-3.1', image: local, prompt: 'f' }),
        shot({ id: 'r', provider: 'replicate', model: 'veo-3.1', image: local, prompt: 'r' }),
      ]),
      catalog,
      { today, allowUnpriced: true },
    );
    expect(ok.errors).toEqual([]);
    const refused = buildPlan(manifest([shot({ id: 'a', provider: 'apidot', model: 'veo-3.1', image: local })]), catalog, {
      today,
      allowUnpriced: true,
    });
    expect(refused.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/apidot\/veo-3\.1 takes the image as a URL and has no upload facility; .*host it .*or use fal \/ replicate/),
    ]);
  });

  it('loudly warns about retired models and not about current ones', () => {
    const retired = buildPlan(manifest([shot({ id: 'a' })]), catalog, { today });
    expect(retired.warnings).toEqual([
      expect.stringMatching(
        /^RETIRED MODEL: openai\/sora-2 was retired on 2026-09-24.*Use a current model instead, e\.g\. fal\/veo-3\.1\.$/,
      ),
    ]);
    // Without a catalog successor: a live model of the same provider and tier is named.
    const falRetired = buildPlan(manifest([shot({ id: 'a', provider: 'fal', model: 'sora-2' })]), catalog, { today });
    expect(falRetired.warnings).toEqual([
      expect.stringMatching(/^RETIRED MODEL: fal\/sora-2 was retired on 2026-09-24.*e\.g\. fal\/(?!sora)[\w.-]+\.$/),
    ]);
    // Every reseller's Sora 2 is dated too, and suggests something current.
    for (const provider of ['apidot', 'sorapi', 'apixo']) {
      const w = buildPlan(manifest([shot({ id: 'a', provider, model: 'sora-2', seconds: 4 })]), catalog, { today }).warnings;
      expect(w, provider).toEqual([
        expect.stringMatching(new RegExp(`^RETIRED MODEL: ${provider}/sora-2 was retired on 2026-09-24.*e\\.g\\. \\w+/(?!sora)`)),
      ]);
    }
    const before = buildPlan(manifest([shot({ id: 'a' })]), catalog, { today: '2026-01-01' });
    expect(before.warnings).toEqual(['openai/sora-2 will be retired on 2026-09-24.']);
    const current = buildPlan(manifest([shot({ id: 'a', provider: 'fal', model: 'wan-2.7', seconds: 5 })]), catalog, { today });
    expect(current.warnings).toEqual([]);
  });

  it('makes unpriced jobs an error unless priced by the manifest or explicitly allowed', () => {
    const s = shot({ id: 'a', provider: 'sorapi', model: 'sora-2', takes: 2 });
    const strict = buildPlan(manifest([s]), catalog, { today });
    expect(strict.errors).toHaveLength(1);
    expect(strict.errors[0]!.message).toContain('sorapi/sora-2 at 720p, 8 s has no price (2 jobs)');
    const allowed = buildPlan(manifest([s]), catalog, { today, allowUnpriced: true });
    expect(allowed.errors).toEqual([]);
    expect(allowed.totals).toMatchObject({ usd: 0, jobs: 2, unpriced: 2 });
    expect(allowed.jobs[0]!.cost).toEqual({ usd: null, credits: null });
    expect(allowed.lines[0]!.subtotal.usd).toBeNull();
    const priced = buildPlan(manifest([s], { pricing: [{ provider: 'sorapi', model: 'sora-2', usd_per_second: 0.05 }] }), catalog, {
      today,
    });
    expect(priced.errors).toEqual([]);
    expect(priced.totals.usd).toBe(0.8);
    const perClip = buildPlan(manifest([s], { pricing: [{ model: 'sora-2-latest', usd_per_clip: 0.3 }] }), catalog, { today });
    expect(perClip.totals.usd).toBe(0.6);
  });

  it('errors when the total exceeds budget.max_usd', () => {
    const m = manifest([shot({ id: 'a', takes: 3 })], { budget: { max_usd: 2 }, budgetSource: { file: 'm.yaml', line: 3, col: 10 } });
    const plan = buildPlan(m, catalog, { today });
    expect(plan.errors).toEqual([]);
    expect(plan.overBudget).toEqual({
      totalUsd: 2.4,
      maxUsd: 2,
      diagnostic: { file: 'm.yaml', line: 3, col: 10, message: 'plan total $2.40 exceeds budget.max_usd $2.00' },
    });
    const ok = buildPlan({ ...m, budget: { max_usd: 2.4 } }, catalog, { today });
    expect(ok.errors).toEqual([]);
    expect(ok.overBudget).toBeUndefined();
  });

  it('validates against the model and names the shot, its position and what is accepted', () => {
    const plan = buildPlan(
      manifest([
        shot({ id: 'd', seconds: 5, source: { file: 'm.yaml', line: 4, col: 5 } }),
        shot({ id: 'r', resolution: '1080p', prompt: 'r' }),
        shot({ id: 'au', provider: 'apidot', model: 'sora-2-pro', aspect: 'auto', prompt: 'au' }),
        shot({ id: 'g', provider: 'apidot', model: 'sora-2', guidance: 3, prompt: 'g' }),
        shot({ id: 'n', provider: 'fal', model: 'happy-horse', seconds: 5, image: 'https://x/y.png', prompt: 'n' }),
        shot({ id: 'm', provider: 'openai', model: 'sora-3', prompt: 'm' }),
        shot({ id: 'ok', provider: 'sorapi', model: 'sora-2', seed: 1, guidance: 7.5, negativePrompt: 'blur', prompt: 'ok' }),
      ]),
      catalog,
      { today, allowUnpriced: true },
    );
    const msgs = plan.errors.map((e) => e.message);
    expect(plan.errors[0]).toMatchObject({ file: 'm.yaml', line: 4, col: 5 });
    expect(msgs).toEqual([
      'shot "d": openai/sora-2 does not offer 5 s clips (accepts 4, 8, 12 s)',
      'shot "r": openai/sora-2 does not offer 1080p (accepts 720p); openai/sora-2-pro does',
      'shot "au": aspect auto needs an image (the provider takes the aspect from it); set image: or use 16:9 / 9:16',
      'shot "g": apidot/sora-2 does not support guidance (remove it)',
      'shot "n": fal/happy-horse does not accept a reference image (text-to-video only)',
      'shot "m": openai has no model "sora-3" (did you mean "sora-2"?); it offers sora-2, sora-2-pro',
    ]);
    expect(plan.jobs.map((j) => j.shotId)).toEqual(['ok']);
  });

  it('refuses prompts with invisible control characters (tabs and line breaks are fine)', () => {
    const plan = buildPlan(
      manifest([shot({ id: 'nul', prompt: 'a red\u0000 ball' }), shot({ id: 'ok', prompt: 'line one\n\tline two' })]),
      catalog,
      { today },
    );
    expect(plan.errors.map((e) => e.message)).toEqual([
      'shot "nul": prompt contains an invisible control character (U+0000 at character 6); remove it',
    ]);
  });

  it('runs the injected validateJob once per shot and reports its messages', () => {
    const seen: string[] = [];
    const plan = buildPlan(manifest([shot({ id: 'a', takes: 3 })]), catalog, {
      today,
      validateJob: (job) => (seen.push(job.id), ['size must match input_reference']),
    });
    expect(seen).toHaveLength(1);
    expect(plan.errors.map((e) => e.message)).toEqual(['shot "a": size must match input_reference']);
    expect(plan.jobs).toEqual([]);
  });
});

describe('diffPlan', () => {
  const m = manifest([shot({ id: 'a', takes: 2 }), shot({ id: 'b', prompt: 'b' })]);
  const plan = buildPlan(m, catalog, { today });
  it('splits kept / added / dropped and prices the added jobs', () => {
    const [j1, j2, j3] = plan.jobs;
    const d = diffPlan([j1!.id, 'gone00000000'], plan);
    expect(d.kept.map((j) => j.id)).toEqual([j1!.id]);
    expect(d.added.map((j) => j.id)).toEqual([j2!.id, j3!.id]);
    expect(d.dropped).toEqual(['gone00000000']);
    expect(d.addedUsd).toBe(1.6);
  });
  it('an identical plan adds nothing', () => {
    const d = diffPlan(new Set(plan.jobs.map((j) => j.id)), plan);
    expect([d.kept.length, d.added.length, d.dropped.length, d.addedUsd]).toEqual([3, 0, 0, 0]);
  });
});

describe('planToJson', () => {
  it('prints exactly the documented shape', () => {
    const plan = buildPlan(manifest([shot({ id: 'a' }), shot({ id: 's', provider: 'sorapi', prompt: 's' })]), catalog, {
      today,
      allowUnpriced: true,
    });
    const json = JSON.parse(planToJson(plan));
    expect(Object.keys(json)).toEqual(['jobs', 'totals', 'warnings']);
    expect(json.jobs[0]).toEqual({
      id: plan.jobs[0]!.id,
      shot: 'a',
      provider: 'openai',
      model: 'sora-2',
      seconds: 8,
      size: '1280x720',
      cost: { usd: 0.8, credits: null },
    });
    expect(json.jobs[1].cost).toEqual({ usd: null, credits: null });
    expect(json.totals).toEqual({ usd: 0.8, credits: 0, jobs: 2 });
    expect(json.warnings.length).toBeGreaterThan(0);
  });
});

describe('ETA', () => {
  it('is bounded by max_in_flight × render time and by the submit rate, providers in parallel', async () => {
    const { estimateEta, formatDuration } = await import('../../src/plan/eta.ts');
    // openai: max_in_flight 8, render 120 s, 20 submits/min, burst 5
    const jobs = buildPlan(manifest([shot({ id: 'a', takes: 16 })]), catalog, { today }).jobs;
    expect(estimateEta(jobs, catalog).seconds).toBe(240); // 2 waves × 120 s
    // with max_in_flight raised, the submit rate binds: (16 - 5) / 20 min + 120 s = 153 s
    expect(estimateEta(jobs, catalog, { openai: { limits: { max_in_flight: 100 } } }).seconds).toBe(153);
    expect(formatDuration(153)).toBe('3 min');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3 h 05 min');
  });
});
