/**
 * Issue 11, "Manifest authoring": each observation from the report as a test. Diagnostics are
 * compared as `line:col message` so positions are checked with the wording.
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/load.ts';
import { loadAndPlan } from '../../src/cli/context.ts';
import { InputError } from '../../src/errors.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shotlist-authoring-'));
});

async function write(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, text);
  return p;
}

function lines(e: unknown): string[] {
  if (e instanceof InputError) return e.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
  throw e;
}

async function loadProblems(p: string): Promise<string[]> {
  try {
    await loadManifest(p);
  } catch (e) {
    return lines(e);
  }
  throw new Error('expected an InputError');
}

async function planProblems(name: string): Promise<string[]> {
  try {
    await loadAndPlan(name, dir, {});
  } catch (e) {
    return lines(e);
  }
  throw new Error('expected an InputError');
}

describe('paired matrix axes', () => {
  it('a list of maps sets several fields together', async () => {
    const p = await write(
      'paired.yaml',
      `defaults: { seconds: 8 }
matrix:
  engine:
    - { provider: fal, model: veo-3.1, mood: stormy }
    - { provider: replicate, model: kling-v3, mood: calm }
shots:
  - id: hero
    prompt: "A {mood} sea"
`,
    );
    const m = await loadManifest(p);
    expect(m.shots.map((s) => [s.id, s.provider, s.model, s.prompt])).toEqual([
      ['hero@engine=fal/veo-3.1/stormy', 'fal', 'veo-3.1', 'A stormy sea'],
      ['hero@engine=replicate/kling-v3/calm', 'replicate', 'kling-v3', 'A calm sea'],
    ]);
    expect(m.shots[0]!.matrix).toEqual({ engine: 'fal/veo-3.1/stormy' });
    expect(m.shots[1]!.vars).toEqual({ mood: 'calm' });
  });

  it('crosses with plain axes and points field errors at the entry', async () => {
    await write(
      'paired-plan.yaml',
      `defaults: { seconds: 8 }
matrix:
  aspect: ["16:9", "9:16"]
  engine:
    - { provider: fal, model: veo-3.1 }
    - { provider: replicate, model: nope-model }
shots:
  - id: hero
    prompt: "A sea"
`,
    );
    const d = await planProblems('paired-plan.yaml');
    // One line for the bad entry, however many aspects it is crossed with.
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(/^6:7 shot "hero": replicate has no model "nope-model".*\(2 expansions\)$/);
  });

  it('rejects entries that set different fields, forbidden keys and wrong types, at the entry', async () => {
    const p = await write(
      'paired-bad.yaml',
      `provider: fal
matrix:
  engine:
    - { provider: fal, model: veo-3.1 }
    - { model: kling-v3 }
    - { provider: fal, model: veo-3.1, seconds: four }
  other:
    - { id: x }
shots:
  - { prompt: "A sea" }
`,
    );
    expect(await loadProblems(p)).toEqual([
      '5:7 matrix.engine[1]: sets model, but matrix.engine[0] sets model, provider (every entry of a paired axis sets the same fields)',
      '6:49 matrix.engine[2].seconds: expected a number, got string "four"',
      '6:7 matrix.engine[2]: sets model, provider, seconds, but matrix.engine[0] sets model, provider (every entry of a paired axis sets the same fields)',
      '8:7 matrix.other[0]: "id" cannot be set by a matrix',
    ]);
  });

  it('two axes may not set the same field', async () => {
    const p = await write(
      'paired-clash.yaml',
      `matrix:
  model: [sora-2]
  engine:
    - { provider: openai, model: sora-2-pro }
shots:
  - { prompt: "A sea" }
`,
    );
    expect(await loadProblems(p)).toEqual(['3:3 matrix: "engine" sets model, which the axis "model" also sets']);
  });
});

describe('one error per source position', () => {
  it('3 problems crossed with a matrix are 3 lines, each with the count of expansions', async () => {
    await write(
      'repeat.yaml',
      `provider: openai
model: sora-2
matrix:
  aspect: ["16:9", "9:16"]
  seconds: [4, 8, 5]
  resolution: [720p, 1080p]
shots:
  - id: a
    prompt: "A cat"
`,
    );
    const d = (await planProblems('repeat.yaml')).sort();
    expect(d).toEqual([
      expect.stringMatching(/^5:3 shot "a": openai\/sora-2 does not offer 5 s clips .*\(4 expansions\)$/),
      expect.stringMatching(/^6:3 shot "a": openai\/sora-2 does not offer 1080p .*\(6 expansions\)$/),
    ]);
  });

  it('duplicate CSV rows: one line per duplicate row, not one per expansion', async () => {
    await write('dups.csv', 'prompt\nA cat\nA cat\nA cat\nA dog\n');
    await write(
      'dups.yaml',
      `provider: openai
model: sora-2
matrix: { aspect: ["16:9", "9:16"], seconds: [4, 8] }
shots:
  - from: dups.csv
`,
    );
    const d = await planProblems('dups.yaml');
    expect(d).toEqual([
      expect.stringMatching(/^3:1 shot "row-2".* same generation as shot "row-1" .*\(4 expansions\)$/),
      expect.stringMatching(/^4:1 shot "row-3".* same generation as shot "row-1" .*\(4 expansions\)$/),
    ]);
  });
});

describe('template errors at the template', () => {
  it('a placeholder typo on a from: template is reported once, at the template, with did you mean', async () => {
    await write('rows.csv', 'subject,setting\ncat,roof\ndog,park\nfox,wood\n');
    const p = await write(
      'typo.yaml',
      `provider: openai
model: sora-2
shots:
  - from: rows.csv
    prompt: "A {subjet} on a {setting}"
`,
    );
    expect(await loadProblems(p)).toEqual(['5:13 prompt placeholder {subjet} has no value (did you mean {subject}?) (3 shots)']);
  });

  it('a typo in defaults.prompt points at defaults', async () => {
    const p = await write(
      'typo2.yaml',
      `provider: openai
model: sora-2
defaults:
  prompt: "A {animl}"
shots:
  - vars: { animal: cat }
  - vars: { animal: dog }
`,
    );
    expect(await loadProblems(p)).toEqual(['4:11 prompt placeholder {animl} has no value (did you mean {animal}?) (2 shots)']);
  });
});

describe('independent checks in one pass', () => {
  it('a schema error does not hide a bad placeholder, a missing image or a duplicate id elsewhere', async () => {
    const p = await write(
      'multi.yaml',
      `provider: openai
model: sora-2
shots:
  - { id: a, prompt: "A cat", seconds: four }
  - { id: b, prompt: "A {nope}" }
  - { id: c, prompt: "A dog", image: missing.png }
  - { id: c, prompt: "A cow" }
post:
  - stitch: { order: [a, b, zz] }
  - nope: {}
`,
    );
    const d = await loadProblems(p);
    expect(d).toEqual([
      '4:40 shots[0].seconds: expected a number, got string "four"',
      expect.stringMatching(/^10:5 post\[1\]: unknown post-step "nope" \(one of thumbnails, stitch, /),
      '5:22 shot "b": prompt placeholder {nope} has no value (define it under vars, in the matrix or as a CSV column)',
      '6:38 shot "c": image file not found: missing.png (looked at missing.png next to the manifest)',
      expect.stringMatching(/^7:11 duplicate shot id "c" \(first defined at .*multi.yaml:6:5\)$/),
      '9:29 post[0].stitch.order[2]: no shot "zz"',
    ]);
  });

  it('an unknown top-level key does not hide shot problems', async () => {
    const p = await write('multi2.yaml', `provider: openai\nmodel: sora-2\nnmae: x\nshots:\n  - { prompt: "A {x}" }\n`);
    const d = await loadProblems(p);
    expect(d).toEqual([
      expect.stringMatching(/^3:1 unknown key "nmae" \(did you mean "name"\?\)/),
      expect.stringMatching(/^5:15 shot "shot-1": prompt placeholder \{x\}/),
    ]);
  });
});

describe('CSV columns', () => {
  it('a column that is neither a field nor used by a template is an error with did you mean', async () => {
    await write('secs.csv', 'prompt,secs\nA cat,4\nA dog,4\n');
    const p = await write('secs.yaml', 'provider: openai\nmodel: sora-2\nshots:\n  - from: secs.csv\n');
    expect(await loadProblems(p)).toEqual([
      `1:8 unknown column "secs": not a shot field and no template uses {secs} (did you mean "seconds"? name it "vars.secs" to keep it as a variable)`,
    ]);
  });

  it('a column used by a template, by a post-step, or named vars.* is fine', async () => {
    await write('cols.csv', 'prompt,subject,campaign,vars.note\nA {subject},cat,spring,x\n');
    const p = await write(
      'cols.yaml',
      'provider: openai\nmodel: sora-2\nshots:\n  - from: cols.csv\npost:\n  - stitch: { group_by: campaign }\n',
    );
    const m = await loadManifest(p);
    expect(m.shots[0]!.prompt).toBe('A cat');
  });

  it('the same rule holds for a CSV manifest', async () => {
    const p = await write('alone.csv', 'prompt,secs\nA cat,4\n');
    await expect(loadManifest(p, { provider: 'openai', model: 'sora-2' }).catch(lines)).resolves.toEqual([
      `1:8 unknown column "secs": not a shot field and no template uses {secs} (did you mean "seconds"? name it "vars.secs" to keep it as a variable)`,
    ]);
  });
});

describe('Unicode format characters in prompts', () => {
  it.each([
    ['200B', 'ZERO WIDTH SPACE'],
    ['00AD', 'SOFT HYPHEN'],
    ['202E', 'RIGHT-TO-LEFT OVERRIDE'],
    ['2060', 'WORD JOINER'],
  ])('U+%s is refused with its code point', async (hex, label) => {
    const ch = String.fromCodePoint(parseInt(hex, 16));
    await write(
      `cf-${hex}.yaml`,
      `provider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\nshots:\n  - { id: a, prompt: "A c${ch}at" }\n`,
    );
    expect(await planProblems(`cf-${hex}.yaml`)).toEqual([
      `5:22 shot "a": prompt contains an invisible format character (U+${hex} ${label} at character 4); remove it`,
    ]);
  });

  it('emoji joined with U+200D stay allowed', async () => {
    await write(
      'zwj.yaml',
      'provider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\nshots:\n  - { id: a, prompt: "A family 👨\u200d👩\u200d👧 at dinner" }\n',
    );
    const r = await loadAndPlan('zwj.yaml', dir, {});
    expect(r.plan.jobs).toHaveLength(1);
  });
});

describe('stitch order', () => {
  it('names an unknown shot: error at the entry with did you mean', async () => {
    const p = await write(
      'order.yaml',
      `provider: openai
model: sora-2
shots:
  - { id: intro, prompt: "A" }
  - { id: outro, prompt: "B" }
post:
  - stitch: { order: [intro, outr0] }
`,
    );
    expect(await loadProblems(p)).toEqual(['7:30 post[0].stitch.order[1]: no shot "outr0" (did you mean "outro"?)']);
  });

  it('accepts shot ids, expanded ids and base ids', async () => {
    const p = await write(
      'order-ok.yaml',
      `provider: openai\nmodel: sora-2\nmatrix: { aspect: ["16:9", "9:16"] }\nshots:\n  - { id: intro, prompt: "A" }\npost:\n  - stitch: { order: [intro, "intro@aspect=9:16"] }\n`,
    );
    await expect(loadManifest(p)).resolves.toBeDefined();
  });
});

describe('names', () => {
  it('allow letters, digits and marks of any script (NFC)', async () => {
    const p = await write('uni.yaml', 'name: "u\u0308nï-Straße_東京.v2"\nprovider: openai\nmodel: sora-2\nshots:\n  - { prompt: "A" }\n');
    expect((await loadManifest(p)).name).toBe('ünï-Straße_東京.v2');
  });

  it.each([
    ['..', 'is not a usable directory name'],
    ['.hidden', 'may not start with "."'],
    ['a/b', '"/" (U+002F) is not allowed'],
    ['ünï-🎬', '"🎬" (U+1F3AC) is not allowed'],
    ['CON', 'is reserved on Windows'],
    ['nul.txt', 'is reserved on Windows'],
    ['trail.', 'may not end with "." or a space'],
    ['x'.repeat(81), 'at most 80 characters'],
  ])('refuse %j at plan time', async (name, phrase) => {
    const p = await write('bad-name.yaml', `name: ${JSON.stringify(name)}\nprovider: openai\nmodel: sora-2\nshots:\n  - { prompt: "A" }\n`);
    const d = await loadProblems(p);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(/^1:7 name: /);
    expect(d[0]).toContain(phrase);
  });

  it('a default name from an odd file name is made safe', async () => {
    const p = await write('...yaml', 'provider: openai\nmodel: sora-2\nshots:\n  - { prompt: "A" }\n');
    const m = await loadManifest(p);
    expect(m.name).not.toMatch(/^\.|\.\.|[/\\]/);
    expect(m.name.length).toBeGreaterThan(0);
  });
});
