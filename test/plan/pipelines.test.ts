import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/load.ts';
import { loadCatalog } from '../../src/catalog/load.ts';
import { buildPlan } from '../../src/plan/build.ts';

const dir = fileURLToPath(new URL('../../pipelines/', import.meta.url));
const today = '2026-11-21';

describe('example pipelines plan without errors', () => {
  it.each([
    ['campaign.yaml', 8],
    ['compare.yaml', 18],
    ['overnight.yaml', 300],
  ])('%s', async (file, jobs) => {
    const m = await loadManifest(join(dir, file));
    const plan = buildPlan(m, await loadCatalog({ extraFiles: m.catalogFiles }), { today });
    expect(plan.errors).toEqual([]);
    expect(plan.totals.jobs).toBe(jobs);
    expect(plan.totals.unpriced).toBe(0);
    expect(plan.totals.usd).toBeLessThanOrEqual(m.budget.max_usd ?? Infinity);
  });
  it('compare.yaml covers all six providers', async () => {
    const m = await loadManifest(join(dir, 'compare.yaml'));
    expect(new Set(m.shots.map((s) => s.provider)).size).toBe(6);
  });
});
