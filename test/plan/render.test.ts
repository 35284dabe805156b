import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load.ts';
import { buildPlan } from '../../src/plan/build.ts';
import { diffPlan } from '../../src/plan/diff.ts';
import { renderCatalog, renderPlan, catalogToJson } from '../../src/cli/render-plan.ts';
import { manifest, shot } from './helpers.ts';

const catalog = await loadCatalog();
const today = '2026-11-21';

describe('renderPlan', () => {
  const plan = buildPlan(
    manifest([
      shot({ id: 'a', provider: 'apidot', model: 'sora-2', seconds: 12, takes: 2 }),
      shot({ id: 'b', provider: 'sorapi', model: 'sora-2', prompt: 'b' }),
      shot({ id: 'c', prompt: 'c' }),
    ]),
    catalog,
    { today, allowUnpriced: true },
  );
  const text = renderPlan(plan);
  it('has one row per group with jobs, unit and subtotal', () => {
    expect(text).toMatch(/apidot\s+sora-2\s+1280x720\s+12s\s+2\s+\$0\.72 \/ 144 cr\s+\$1\.44 \/ 288 cr/);
    expect(text).toMatch(/sorapi\s+sora-2\s+1280x720\s+8s\s+1\s+unpriced\s+unpriced/);
    expect(text).toMatch(/openai\s+sora-2\s+1280x720\s+8s\s+1\s+\$0\.80\s+\$0\.80/);
  });
  it('shows totals, unpriced count and warnings', () => {
    expect(text).toContain('Total: $2.24 (288 credits) for 4 jobs');
    expect(text).toContain('Unpriced: 1 job not included in the total');
    expect(text).toContain('! RETIRED MODEL: openai/sora-2');
  });
  it('shows a diff with the added cost', () => {
    const d = diffPlan([plan.jobs[0]!.id, 'old000000000'], plan);
    const t = renderPlan(plan, d);
    expect(t).toContain('1 kept, 3 added, 1 dropped');
    expect(t).toContain('Added cost: $1.52');
    expect(t).toContain('- old000000000');
  });
  it('lists errors with file:line:col', () => {
    const bad = buildPlan(manifest([shot({ id: 'x', seconds: 5, source: { file: 'm.yaml', line: 9, col: 5 } })]), catalog, { today });
    expect(renderPlan(bad)).toContain('m.yaml:9:5: shot "x": openai/sora-2 does not offer 5 s clips');
  });
});

describe('renderCatalog', () => {
  it('shows every provider with its as-of date, limits and prices', () => {
    const t = renderCatalog(catalog);
    for (const p of catalog.providers) expect(t).toContain(`${p.provider}  (as of ${p.as_of}`);
    expect(t).toContain('12s 144 cr ($0.72)/clip');
    expect(t).toContain('sunset 2026-09-24');
    expect(t).toContain('1 credit = $0.005');
    const json = JSON.parse(catalogToJson(catalog));
    expect(json.providers).toHaveLength(6);
  });
});
