import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/load.ts';
import { InputError } from '../../src/errors.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shotlist-manifest-'));
});

async function write(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, text);
  return p;
}

async function diagnostics(p: string): Promise<string[]> {
  try {
    await loadManifest(p);
  } catch (e) {
    if (e instanceof InputError) return e.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('loadManifest (YAML)', () => {
  it('applies defaults, top-level provider/model and the matrix cross product', async () => {
    const p = await write(
      'm1.yaml',
      `name: spring
provider: apidot
model: sora-2
defaults: { seconds: 4 }
matrix:
  aspect: ["16:9", "9:16"]
  model: [sora-2, sora-2-pro]
shots:
  - id: hero
    prompt: "A {product} at night"
    vars: { product: car }
  - prompt: "Rain"
    aspect: "9:16"
    takes: 2
`,
    );
    const m = await loadManifest(p);
    expect(m.name).toBe('spring');
    expect(m.shots.map((s) => s.id)).toEqual([
      'hero@aspect=16:9,model=sora-2',
      'hero@aspect=16:9,model=sora-2-pro',
      'hero@aspect=9:16,model=sora-2',
      'hero@aspect=9:16,model=sora-2-pro',
      // an explicit field pins that dimension
      'shot-2@model=sora-2',
      'shot-2@model=sora-2-pro',
    ]);
    const hero = m.shots[2]!;
    expect(hero).toMatchObject({
      baseId: 'hero',
      provider: 'apidot',
      model: 'sora-2',
      prompt: 'A car at night',
      seconds: 4,
      aspect: '9:16',
      resolution: '720p',
      takes: 1,
    });
    expect(hero.matrix).toEqual({ aspect: '9:16', model: 'sora-2' });
    expect(hero.source).toMatchObject({ line: 9, col: 5 });
    expect(m.shots[4]).toMatchObject({ aspect: '9:16', takes: 2, index: 4 });
  });

  it('fills templates from matrix variables and shot fields, supports {{ }} escapes', async () => {
    const p = await write(
      'm2.yaml',
      `provider: fal
model: wan-2.7
matrix: { mood: [calm, stormy] }
shots:
  - id: sea
    prompt: "A {mood} sea, {seconds} seconds {{literal}}"
    seconds: 5
    seed: 7
    negative_prompt: "no {mood} boats"
    params: { enable_prompt_expansion: false }
`,
    );
    const m = await loadManifest(p);
    expect(m.name).toBe('m2');
    expect(m.shots.map((s) => s.prompt)).toEqual(['A calm sea, 5 seconds {literal}', 'A stormy sea, 5 seconds {literal}']);
    expect(m.shots[0]!.vars).toEqual({ mood: 'calm' });
    expect(m.shots[1]!.negativePrompt).toBe('no stormy boats');
    expect(m.shots[0]!.params).toEqual({ enable_prompt_expansion: false });
    expect(m.shots[0]!.seed).toBe(7);
  });

  it('reads shots from CSV (columns are fields, unknown columns are vars, ids default to row-N)', async () => {
    await write(
      'shots.csv',
      'id,prompt,seconds,aspect,color,params.style\nc1,"A {color} cube",4,9:16,red,flat\n,"multi\nline {color}",12,,blue,\n',
    );
    const p = await write(
      'm3.yaml',
      'provider: apidot\nmodel: sora-2\nshots:\n  - from: shots.csv\n    resolution: 720p\n  - id: last\n    prompt: end\n',
    );
    const m = await loadManifest(p);
    expect(m.shots.map((s) => s.id)).toEqual(['c1', 'row-2', 'last']);
    expect(m.shots[0]).toMatchObject({
      prompt: 'A red cube',
      seconds: 4,
      aspect: '9:16',
      vars: { color: 'red' },
      params: { style: 'flat' },
    });
    expect(m.shots[1]).toMatchObject({ prompt: 'multi\nline blue', seconds: 12, aspect: '16:9' });
    expect(m.shots[0]!.source).toMatchObject({ line: 2, col: 1 });
    expect(m.shots[1]!.source).toMatchObject({ line: 3, col: 1 });
    expect(m.shots[0]!.source.file).toMatch(/shots\.csv$/);
  });

  it('lets the from: item give the prompt template for a CSV of variables', async () => {
    await write('products.csv', 'product,setting\nbike,beach\nkettle,kitchen\n');
    const p = await write(
      'm11.yaml',
      'provider: fal\nmodel: wan-2.7\nshots:\n  - from: products.csv\n    prompt: "A {product} on a {setting}"\n    seconds: 5\n',
    );
    const m = await loadManifest(p);
    expect(m.shots.map((s) => [s.id, s.prompt, s.seconds])).toEqual([
      ['row-1', 'A bike on a beach', 5],
      ['row-2', 'A kettle on a kitchen', 5],
    ]);
  });

  it('reports CSV errors at the CSV line:col, after a quoted multi-line row', async () => {
    await write('bad.csv', 'prompt,seconds\n"two\nlines",4\nok,x\n');
    const p = await write('m4.yaml', 'provider: apidot\nmodel: sora-2\nshots:\n  - from: bad.csv\n');
    expect(await diagnostics(p)).toEqual(['4:4 seconds: expected a positive integer, got "x"']);
  });

  it('collects every diagnostic at once', async () => {
    const p = await write(
      'm5.yaml',
      'provider: openai\nmodel: sora-2\nshots:\n  - prompt: 1\n    secs: 4\n  - prompt: ok\n    aspect: wide\n',
    );
    const d = await diagnostics(p);
    expect(d).toHaveLength(3);
    expect(d.join('\n')).toContain('5:5 shots[0]: unknown key "secs" (did you mean "seconds"?)');
    expect(d.join('\n')).toContain('4:13 shots[0].prompt: expected a string, got integer 1');
    expect(d.join('\n')).toContain('7:13 shots[1].aspect: must be one of');
  });

  it('parses post steps, pricing, providers, budget and catalog paths', async () => {
    await write('extra.yaml', 'provider: sorapi\n');
    const p = await write(
      'm6.yaml',
      `provider: sorapi
model: sora-2
catalog: [extra.yaml]
budget: { max_usd: 3 }
pricing: [{ model: sora-2, usd_per_second: 0.1 }]
providers: { sorapi: { base_url: "http://127.0.0.1:1234", limits: { max_in_flight: 1 } } }
post:
  - thumbnails:
  - stitch: { group_by: aspect }
  - grid: { group_by: [model, aspect], label: [model] }
  - contact_sheet: { cols: 4 }
shots: [{ prompt: hi }]
`,
    );
    const m = await loadManifest(p);
    expect(m.post).toEqual([
      { kind: 'thumbnails' },
      { kind: 'stitch', group_by: 'aspect' },
      { kind: 'grid', group_by: ['model', 'aspect'], label: ['model'] },
      { kind: 'contact_sheet', cols: 4 },
    ]);
    expect(m.pricing).toEqual([{ model: 'sora-2', usd_per_second: 0.1 }]);
    expect(m.providers.sorapi).toEqual({ base_url: 'http://127.0.0.1:1234', limits: { max_in_flight: 1 } });
    expect(m.budget).toEqual({ max_usd: 3 });
    expect(m.budgetSource).toMatchObject({ line: 4, col: 20 });
    expect(m.catalogFiles).toEqual([join(dir, 'extra.yaml')]);
  });

  it('resolves local images relative to the manifest and keeps URLs', async () => {
    await write('img/frame.png', 'x');
    const p = await write(
      'm7.yaml',
      'provider: openai\nmodel: sora-2\nshots:\n  - { prompt: a, image: img/frame.png }\n  - { prompt: b, image: "https://example.com/x.png" }\n',
    );
    const m = await loadManifest(p);
    expect(m.shots[0]!.image).toBe(join(dir, 'img/frame.png'));
    expect(m.shots[1]!.image).toBe('https://example.com/x.png');
  });

  it('reports a missing manifest file', async () => {
    await expect(loadManifest(join(dir, 'nope.yaml'))).rejects.toThrow(/cannot read manifest/);
  });
});

describe('matrix details', () => {
  it('combines a shot matrix with the global one; CSV group fields pin dimensions', async () => {
    await write('g.csv', 'prompt\nwaves\n');
    const p = await write(
      'm8.yaml',
      `provider: fal
model: wan-2.7
matrix: { aspect: [16:9, 9:16], seconds: [5, 10] }
shots:
  - id: s
    prompt: "{look} city"
    matrix: { look: [dusk, dawn] }
  - from: g.csv
    seconds: 2
    matrix: { resolution: [720p, 1080p] }
`,
    );
    const m = await loadManifest(p);
    expect(m.shots.filter((s) => s.baseId === 's')).toHaveLength(8);
    expect(m.shots[0]!.id).toBe('s@look=dusk,aspect=16:9,seconds=5');
    expect(m.shots[0]!.prompt).toBe('dusk city');
    const rows = m.shots.filter((s) => s.baseId === 'row-1');
    // seconds pinned by the from-item; aspect × resolution expanded
    expect(rows.map((s) => s.id)).toEqual([
      'row-1@resolution=720p,aspect=16:9',
      'row-1@resolution=720p,aspect=9:16',
      'row-1@resolution=1080p,aspect=16:9',
      'row-1@resolution=1080p,aspect=9:16',
    ]);
    expect(rows.every((s) => s.seconds === 2)).toBe(true);
  });
  it('supports YAML anchors and numeric/boolean vars', async () => {
    const p = await write(
      'm9.yaml',
      'provider: fal\nmodel: wan-2.7\nshots:\n  - id: a\n    prompt: &p "{n} cats, {b}"\n    vars: { n: 3, b: true }\n  - id: b\n    prompt: *p\n    vars: { n: 4, b: false }\n',
    );
    const m = await loadManifest(p);
    expect(m.shots.map((s) => s.prompt)).toEqual(['3 cats, true', '4 cats, false']);
  });
  it('rejects matrix keys that cannot vary', async () => {
    const p = await write('m10.yaml', 'provider: fal\nmodel: wan-2.7\nmatrix: { id: [a, b] }\nshots: [{ prompt: x }]\n');
    expect(await diagnostics(p)).toEqual(['3:11 matrix: "id" cannot be a matrix key']);
  });
});

describe('loadManifest (CSV manifest)', () => {
  it('takes provider/model from options', async () => {
    const p = await write('batch one.csv', 'prompt,seconds\nA,4\nB,8\n');
    const m = await loadManifest(p, { provider: 'apidot', model: 'sora-2' });
    expect(m.name).toBe('batch-one');
    expect(m.shots.map((s) => [s.id, s.provider, s.model, s.seconds])).toEqual([
      ['row-1', 'apidot', 'sora-2', 4],
      ['row-2', 'apidot', 'sora-2', 8],
    ]);
  });
  it('without a provider every row is an error at its line', async () => {
    const p = await write('noprov.csv', 'prompt\nA\n');
    expect(await diagnostics(p)).toEqual([
      '2:1 shot "row-1": no provider (set "provider:" at the top, in defaults, or on the shot)',
      '2:1 shot "row-1": no model (set "model:" at the top, in defaults, or on the shot)',
    ]);
  });
  it('a header without rows is an error', async () => {
    const p = await write('empty.csv', 'prompt,seconds\n');
    expect(await diagnostics(p)).toEqual(['2:1 CSV has a header but no rows']);
  });
  it('reports bad quoting with a clear message', async () => {
    const p = await write('q.csv', 'prompt\n"unterminated\n');
    const d = await diagnostics(p);
    expect(d[0]).toMatch(/^2:1 CSV bad quoting/);
  });
});

describe('many errors', () => {
  it('are capped with a summary line', async () => {
    const p = await write('many.csv', 'prompt,seconds\n' + 'x,bad\n'.repeat(50) + 'y\n'.repeat(0));
    const rows = 'prompt\n' + Array.from({ length: 300 }, (_, i) => `p${i}`).join('\n') + '\n';
    const q = await write('noprov-many.csv', rows);
    const d = await diagnostics(q);
    expect(d).toHaveLength(101);
    expect(d[100]).toMatch(/^52:1 stopped checking .*noprov-many\.csv here after 100 problems$/);
    expect((await diagnostics(p)).length).toBe(50);
    const y = await write('many.yaml', 'provider: fal\nmodel: wan-2.7\nshots:\n' + '  - seconds: 5\n'.repeat(250));
    const yd = await diagnostics(y);
    expect(yd).toHaveLength(201);
    expect(yd[200]).toMatch(/… and 50 more problem\(s\)$/);
  });
});

describe('field positions for plan-time errors', () => {
  it('point at the shot field, the matrix key or the defaults entry that set the value', async () => {
    const { loadCatalog } = await import('../../src/catalog/load.ts');
    const { buildPlan } = await import('../../src/plan/build.ts');
    const p = await write(
      'fp.yaml',
      `provider: openai
model: sora-2
defaults:
  seconds: 5
matrix:
  resolution: [720p, 1080p]
shots:
  - id: a
    prompt: x
    seconds: 4
  - id: b
    prompt: y
`,
    );
    const m = await loadManifest(p);
    const plan = buildPlan(m, await loadCatalog(), { today: '2026-11-21' });
    expect(
      plan.errors.map(
        (e) => `${e.line}:${e.col} ${e.message.split(': ')[0]} ${e.message.includes('does not offer 1080p') ? '1080p' : 'secs'}`,
      ),
    ).toEqual([
      // One line per position (issue 11): the matrix key's problem names both shots it affects.
      '6:3 shots "a", "b" 1080p', // matrix key
      '4:12 shot "b" secs', // defaults.seconds, in both of b's expansions
    ]);
    expect(plan.errors[0]!.message).toMatch(/\(2 expansions\)$/);
  });
});

describe('job limit', () => {
  it('is checked before expansion: a 1e12-job shot creates no shot at all and one diagnostic', async () => {
    const { expandShot, MAX_JOBS } = await import('../../src/manifest/expand.ts');
    const at = { file: 'm.yaml', line: 1, col: 1 };
    const dim = (key: string) => ({ key, isField: false, values: Array.from({ length: 1000 }, (_, i) => i), pos: at });
    const out: unknown[] = [];
    // A shot list that refuses pushes: expansion must not even start.
    const guarded = new Proxy(out, {
      get: (t, k) =>
        k === 'push'
          ? () => {
              throw new Error('expanded past the job limit');
            }
          : Reflect.get(t, k),
    });
    const ctx = {
      defaults: { seconds: 4, aspect: '16:9' as const, resolution: '720p' as const, takes: 1, provider: 'openai', model: 'sora-2' },
      globalMatrix: [dim('a'), dim('b'), dim('c')],
      manifestDir: '/',
      fileExists: () => true,
      diagnostics: [] as Array<{ message: string }>,
      usedPlaceholders: new Set<string>(),
      ids: new Map(),
      out: guarded as never,
      groupBases: new Map(),
    };
    expandShot({ defaultId: 'shot-1', fields: { prompt: '{a}{b}{c}', takes: 1000 }, matrix: [], pos: () => at }, ctx as never);
    expect(out).toHaveLength(0);
    expect(ctx.diagnostics).toHaveLength(1);
    expect(ctx.diagnostics[0]!.message).toContain(`more than ${MAX_JOBS} jobs`);
    expect(ctx.diagnostics[0]!.message).toContain('1000000000000 job(s)');
  });
});
