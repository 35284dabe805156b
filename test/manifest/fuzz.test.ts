/**
 * Robustness fuzzer: "bad input gets a clear error and costs nothing". Seeded mutants of the example
 * manifests, the overnight CSV, malformed fixtures and an extra catalog file go through the CLI's own
 * front half (loadAndPlan) and, for a sample, through `shotlist plan` in-process. Every outcome must
 * be a sane plan or an InputError / NotApprovedError whose diagnostics point inside an existing file
 * (line ≤ its lines, col ≤ that line's length + 1), with a message free of internals. No timing
 * is asserted here (that belongs in bench/): the property a time limit stood for — a giant plan is
 * refused before it is expanded — is asserted structurally in load.test.ts ("job limit").
 * Regressions it found live in test/fixtures/malformed (49-68) and fuzz-regressions.test.ts.
 * Set FUZZ_DUMP=<dir> to keep failing mutants, FUZZ_MUTANTS=<n> / FUZZ_SEED=<n> to search wider,
 * FUZZ_LOG=<file> to collect every diagnostic message (to review their wording).
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAndPlan, type PlanFlags } from '../../src/cli/context.ts';
import { InputError, NotApprovedError, type Diagnostic } from '../../src/errors.ts';
import type { Plan } from '../../src/plan/types.ts';
import { runInProcess, ROOT } from '../helpers/cli.ts';
import { CSV_MUTATORS, makeRng, mutateStructure, pick, TEXT_MUTATORS, type Rng } from './fuzz-mutate.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
/** Kept small so `npm test` stays fast; FUZZ_MUTANTS=2000 searches wider by hand. */
const MUTANTS = Number(process.env.FUZZ_MUTANTS ?? 40);

interface Case {
  label: string;
  /** Files to write into the work dir (relative name → text, or raw bytes for encoding cases). */
  files: Record<string, string | Uint8Array>;
  manifest: string;
  flags?: PlanFlags;
}

let work: string;
const bases: Record<string, string> = {};
let csvBase = '';
let catalogBase = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'shotlist-fuzz-'));
  for (const n of ['campaign', 'compare', 'demo', 'overnight'])
    bases[`${n}.yaml`] = readFileSync(join(ROOT, 'pipelines', `${n}.yaml`), 'utf8');
  writeFileSync(join(work, 'overnight.csv'), readFileSync(join(ROOT, 'pipelines/overnight.csv')));
  // A short CSV keeps each CSV mutant cheap; the full one is covered by the overnight.yaml base.
  csvBase = readFileSync(join(ROOT, 'pipelines/overnight.csv'), 'utf8').split('\n').slice(0, 25).join('\n') + '\n';
  const fixtures = join(ROOT, 'test/fixtures/malformed');
  cpSync(join(fixtures, 'data'), join(work, 'data'), { recursive: true });
  for (const n of [
    '05-unknown-top-key.yaml',
    '14-duplicate-id.yaml',
    '16-missing-image.yaml',
    '20-csv-field-count.yaml',
    '25-post-unknown-step.yaml',
    '30-matrix-bad-value.yaml',
    '31-pricing-both-rates.yaml',
    '41-plan-local-image-url-only.yaml',
  ]) {
    bases[n] = readFileSync(join(fixtures, n), 'utf8');
  }
  catalogBase = readFileSync(join(ROOT, 'src/catalog/data/openai.yaml'), 'utf8');
  mkdirSync(join(work, 'emptydir'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const SMALL = 'name: small\nprovider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\nshots:\n  - id: a\n    prompt: "A cat"\n';
const CSV_WRAPPER = (csv: string) =>
  `provider: fal\nmodel: wan-2.7\nshots:\n  - from: ${csv}\n    prompt: "A {subject} in a {setting}, {style}"\n`;

function mutateText(t: string, r: Rng, label: string[]): string {
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    if (r() < 0.35) {
      const s = mutateStructure(t, r);
      if (s !== undefined) {
        label.push('struct');
        t = s;
        continue;
      }
    }
    const name = pick(r, Object.keys(TEXT_MUTATORS));
    label.push(name);
    t = TEXT_MUTATORS[name]!(t, r);
  }
  return t;
}

function randomCases(): Case[] {
  const r = makeRng(SEED);
  const cases: Case[] = [];
  const baseNames = Object.keys(bases);
  for (let i = 0; i < MUTANTS; i++) {
    const kind = r();
    const label: string[] = [];
    if (kind < 0.62) {
      const b = pick(r, baseNames);
      label.push(b);
      const text = mutateText(bases[b]!, r, label);
      cases.push({ label: `#${i} ${label.join('+')}`, files: { [`m${i}.yaml`]: text }, manifest: `m${i}.yaml` });
    } else if (kind < 0.84) {
      let csv = csvBase;
      const n = 1 + Math.floor(r() * 2);
      for (let k = 0; k < n; k++) {
        const name = pick(r, Object.keys(CSV_MUTATORS));
        label.push(name);
        csv = CSV_MUTATORS[name]!(csv, r);
      }
      // Half through a YAML wrapper, half as a CSV manifest with --provider/--model.
      if (r() < 0.5)
        cases.push({
          label: `#${i} csv-wrapped ${label.join('+')}`,
          files: { [`m${i}.csv`]: csv, [`m${i}.yaml`]: CSV_WRAPPER(`m${i}.csv`) },
          manifest: `m${i}.yaml`,
        });
      else {
        const withPrompt = csv
          .replace(/^(\ufeff?)([^\r\n]*)/, (_m, bom: string, h: string) => `${bom}prompt,${h}`)
          .replace(/\n(?=[^\n])/g, '\nA {subject},');
        cases.push({
          label: `#${i} csv-manifest ${label.join('+')}`,
          files: { [`m${i}.csv`]: withPrompt },
          manifest: `m${i}.csv`,
          flags: { provider: 'fal', model: 'wan-2.7' },
        });
      }
    } else {
      const cat = mutateText(catalogBase, r, label);
      const viaManifest = r() < 0.5;
      const files: Record<string, string> = {
        [`c${i}.yaml`]: cat,
        [`m${i}.yaml`]: viaManifest ? SMALL.replace('shots:', `catalog: c${i}.yaml\nshots:`) : SMALL,
      };
      cases.push({
        label: `#${i} catalog(${viaManifest ? 'manifest' : '--catalog'}) ${label.join('+')}`,
        files,
        manifest: `m${i}.yaml`,
        flags: viaManifest ? {} : { catalog: [`c${i}.yaml`] },
      });
    }
  }
  return cases;
}

/** Hand-picked structural cases the random walk would rarely hit. */
function targetedCases(): Case[] {
  const head = 'provider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\n';
  const dims = (n: number, k: number) =>
    Array.from({ length: n }, (_, i) => `  v${i}: [${Array.from({ length: k }, (_, j) => j).join(', ')}]`).join('\n');
  const vars = (n: number) => Array.from({ length: n }, (_, i) => `{v${i}}`).join(' ');
  const yaml: Record<string, string> = {
    'takes-0': `${head}shots:\n  - { prompt: a, takes: 0 }\n`,
    'takes-1e9': `${head}shots:\n  - { prompt: a, takes: 1000000000 }\n`,
    'takes-neg': `${head}defaults: { takes: -1 }\nshots:\n  - { prompt: a }\n`,
    'takes-frac': `${head}shots:\n  - { prompt: a, takes: 1.5 }\n`,
    'matrix-empty-list': `${head}matrix: { aspect: [] }\nshots:\n  - { prompt: a }\n`,
    'matrix-empty-map': `${head}matrix: {}\nshots:\n  - { prompt: a }\n`,
    'matrix-null': `${head}matrix:\nshots:\n  - { prompt: a }\n`,
    'matrix-giant-global': `${head}matrix:\n${dims(10, 10)}\nshots:\n  - prompt: "${vars(10)}"\n`,
    'matrix-giant-shot': `${head}shots:\n  - prompt: "${vars(9)}"\n    takes: 1000\n    matrix:\n${dims(9, 10).replace(/^/gm, '    ')}\n`,
    'matrix-giant-bad': `${head}matrix:\n${dims(10, 10)}\nshots:\n  - prompt: "{nope} ${vars(10)}"\n`,
    'matrix-many-shots-takes': `${head}matrix:\n${dims(3, 10)}\nshots:\n${Array.from({ length: 200 }, (_, i) => `  - { prompt: "s${i} ${vars(3)}", takes: 1000 }`).join('\n')}\n`,
    'from-missing': `${head}shots:\n  - from: nope.csv\n`,
    'from-dir': `${head}shots:\n  - from: emptydir\n`,
    'from-dot': `${head}shots:\n  - from: .\n`,
    'from-self': `${head}shots:\n  - from: from-self.yaml\n`,
    'from-empty': `${head}shots:\n  - from: ""\n`,
    'catalog-dir': `${head}catalog: emptydir\nshots:\n  - { prompt: a }\n`,
    'catalog-self': `${head}catalog: catalog-self.yaml\nshots:\n  - { prompt: a }\n`,
    'multi-doc': `${head}shots:\n  - { prompt: a }\n---\nshots: []\n`,
    'billion-laughs': TEXT_MUTATORS.billionLaughs!(`${head}shots:\n  - { prompt: a }\n`, Math.random),
    'alias-in-shots': `${head}x-a: &p { prompt: a }\nshots:\n  - *p\n  - *p\n`,
    'merge-key': `${head}shots:\n  - &s { id: a, prompt: a }\n  - { <<: *s, id: b }\n`,
    'binary-prompt': `${head}shots:\n  - prompt: !!binary aGVsbG8=\n`,
    'timestamp-id': `${head}shots:\n  - { id: !!timestamp 2001-12-14, prompt: a }\n`,
    'set-params': `${head}shots:\n  - prompt: a\n    params: !!set { x, y }\n`,
    'complex-key': `${head}shots:\n  - prompt: a\n    ? [x, y]\n    : 1\n`,
    'placeholder-proto': `${head}shots:\n  - { prompt: "a {constructor} {toString} {__proto__} {hasOwnProperty}" }\n`,
    'vars-proto': `${head}shots:\n  - { prompt: "a {__proto__}", vars: { __proto__: x } }\n`,
    'seconds-inf': `${head}shots:\n  - { prompt: a, seconds: .inf }\n`,
    'guidance-nan': `${head}shots:\n  - { prompt: a, guidance: .nan }\n`,
    'seed-huge': `${head}shots:\n  - { prompt: a, seed: 1e400 }\n`,
    'long-prompt': `${head}shots:\n  - prompt: "${'x'.repeat(200_000)}"\n`,
    'deep-params': `${head}shots:\n  - prompt: a\n    params: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\n`,
    'deep-seq': `${head}shots:\n  - prompt: a\n    params: { a: ${'['.repeat(3000)}${']'.repeat(3000)} }\n`,
    // More problems than are reported (the cap) — 300 is enough; yaml parses flow maps slowly.
    'many-shots-bad': `${head}shots:\n${Array.from({ length: 300 }, () => '  - { prompt: "", seconds: x }').join('\n')}\n`,
    'empty-file': '',
    'bom-only': '\ufeff',
    'nul-bytes': `${head}shots:\n  - { prompt: "a\u0000b" }\n\u0000\n`,
    'cr-only': `${head}shots:\n  - { prompt: a, seconds: x }\n`.replace(/\n/g, '\r'),
    tabs: `${head}shots:\n\t- { prompt: a }\n`,
    'price-unit-overflow': `${head}pricing: [{ provider: openai, model: sora-2, usd_per_clip: 1e308 }]\nshots:\n  - { prompt: a }\n`,
    'price-total-overflow': `${head}pricing: [{ provider: openai, model: sora-2, usd_per_clip: 1e306 }]\nshots:\n  - { prompt: a, takes: 1000 }\n`,
  };
  const csvHead = 'prompt,subject,setting,style,aspect,seconds';
  const csv: Record<string, string> = {
    'csv-ragged': `${csvHead}\na,b,c,d,16:9,4,extra\na,b\n`,
    'csv-only-header': `${csvHead}\n`,
    'csv-nul': `${csvHead}\na\u0000,b,c,d,16:9,4\n`,
    'csv-proto-columns': 'prompt,constructor,__proto__,toString,hasOwnProperty\na,b,c,d,e\n',
    'csv-cr-only': `${csvHead}\ra,b,c,d,16:9,x\r"a,b\r`,
    'csv-unclosed-quote': `${csvHead}\n"a,b,c,d,16:9,4\na,b,c,d,16:9,4\n`,
    'csv-takes-1e9': `prompt,takes\na,1000000000\n`,
    'csv-takes-huge-total': `prompt,takes\n${Array.from({ length: 3000 }, (_, i) => `p${i},1000`).join('\n')}\n`,
  };
  const out: Case[] = [];
  // Encodings: a spreadsheet's Latin-1 CSV, UTF-16 exports, stray bytes that are not UTF-8.
  const latin1 = (t: string) => Buffer.from(t, 'latin1');
  const utf16 = (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]);
  const small = `${head}shots:\n  - { prompt: "Café" }\n`;
  out.push({ label: 'enc latin1 manifest', files: { 'enc1.yaml': latin1(small) }, manifest: 'enc1.yaml' });
  out.push({ label: 'enc utf16 manifest', files: { 'enc2.yaml': utf16(small) }, manifest: 'enc2.yaml' });
  out.push({
    label: 'enc stray bytes',
    files: { 'enc3.yaml': Buffer.concat([Buffer.from(small), Buffer.from([0xc3, 0x28, 0xa0, 0xf0, 0x28])]) },
    manifest: 'enc3.yaml',
  });
  out.push({
    label: 'enc latin1 csv',
    files: { 'enc4.csv': latin1('prompt\nCafé\n'), 'enc4.yaml': `${head}shots:\n  - from: enc4.csv\n` },
    manifest: 'enc4.yaml',
  });
  out.push({
    label: 'enc utf16 csv manifest',
    files: { 'enc5.csv': utf16('prompt\nA cat\n') },
    manifest: 'enc5.csv',
    flags: { provider: 'openai', model: 'sora-2' },
  });
  out.push({
    label: 'enc utf16 catalog',
    files: { 'enc6.yaml': utf16('provider: openai\n'), 'enc6-m.yaml': SMALL },
    manifest: 'enc6-m.yaml',
    flags: { catalog: ['enc6.yaml'] },
  });
  for (const [n, t] of Object.entries(yaml)) out.push({ label: n, files: { [`${n}.yaml`]: t }, manifest: `${n}.yaml` });
  for (const [n, t] of Object.entries(csv)) {
    out.push({
      label: `${n} (wrapped)`,
      files: { [`${n}.csv`]: t, [`${n}.yaml`]: `${head}shots:\n  - from: ${n}.csv\n` },
      manifest: `${n}.yaml`,
    });
    out.push({
      label: `${n} (manifest)`,
      files: { [`${n}-m.csv`]: t },
      manifest: `${n}-m.csv`,
      flags: { provider: 'openai', model: 'sora-2' },
    });
  }
  const catalogs: Record<string, string> = {
    'cat-empty': '',
    'cat-list': '- a\n- b\n',
    'cat-new-provider-incomplete': 'provider: acme\nmodels:\n  - id: x\n',
    'cat-model-incomplete': 'provider: openai\nmodels:\n  - id: brand-new\n    wire_id: bn\n',
    'cat-bad-price': 'provider: openai\nmodels:\n  - id: sora-2\n    price: { kind: per_second, unit: usd, by_resolution: { 720p: -1 } }\n',
    'cat-providers-list': 'providers:\n  - provider: openai\n    models:\n      - id: new-one\n  - provider: zzz\n',
    'cat-laughs': TEXT_MUTATORS.billionLaughs!('provider: openai\n', Math.random),
  };
  // Each malformed catalog through one of the two routes, alternating (both routes are covered).
  Object.entries(catalogs).forEach(([n, t], i) => {
    if (i % 2 === 0)
      out.push({
        label: `${n} (--catalog)`,
        files: { [`${n}.yaml`]: t, [`${n}-m.yaml`]: SMALL },
        manifest: `${n}-m.yaml`,
        flags: { catalog: [`${n}.yaml`] },
      });
    else
      out.push({
        label: `${n} (manifest catalog:)`,
        files: { [`${n}.yaml`]: t, [`${n}-mm.yaml`]: SMALL.replace('shots:', `catalog: ${n}.yaml\nshots:`) },
        manifest: `${n}-mm.yaml`,
      });
  });
  return out;
}

/** Every field (shot, defaults, top level, post step) × a set of wrong-typed values. */
function fieldSweepCases(): Case[] {
  const wrong = ['~', '[]', '{}', '-1', '0', '1e309', '""', '"x y"', 'true', '!!binary aGk=', '[{a: 1}]', '.nan'];
  const shotFields = [
    'id',
    'prompt',
    'seconds',
    'aspect',
    'resolution',
    'tier',
    'image',
    'seed',
    'negative_prompt',
    'guidance',
    'provider',
    'model',
    'takes',
    'vars',
    'params',
    'matrix',
  ];
  const topFields = ['name', 'provider', 'model', 'defaults', 'matrix', 'budget', 'providers', 'pricing', 'catalog', 'post', 'shots'];
  const out: Case[] = [];
  const shot = (f: string, v: string) => {
    const fields: Record<string, string> = { prompt: '"A {x}"', vars: '{ x: cat }', [f]: v };
    return `name: sweep\nprovider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\nshots:\n  - ${Object.entries(fields)
      .map(([k, x]) => `${k}: ${x}`)
      .join('\n    ')}\n`;
  };
  const top = (f: string, v: string) => {
    const base: Record<string, string> = {
      name: 'sweep',
      provider: 'openai',
      model: 'sora-2',
      defaults: '{ seconds: 4 }',
      shots: '[{ prompt: "A cat" }]',
    };
    base[f] = v;
    return (
      Object.entries(base)
        .map(([k, x]) => `${k}: ${x}`)
        .join('\n') + '\n'
    );
  };
  // Each field meets every third wrong value, rotating, so every value and every field is covered
  // at a third of the cost of the full product (FUZZ_SWEEP=all runs all of it).
  let n = 0;
  const take = () => process.env.FUZZ_SWEEP === 'all' || n++ % 3 === 0;
  for (const v of wrong) {
    for (const f of shotFields)
      if (take()) out.push({ label: `sweep shots[0].${f}=${v}`, files: { 'sweep.yaml': shot(f, v) }, manifest: 'sweep.yaml' });
    for (const f of shotFields.filter((x) => x !== 'id' && x !== 'matrix' && x !== 'seconds'))
      if (take())
        out.push({
          label: `sweep defaults.${f}=${v}`,
          files: { 'sweep.yaml': top('defaults', `{ seconds: 4, ${f}: ${v} }`) },
          manifest: 'sweep.yaml',
        });
    for (const f of topFields)
      if (take()) out.push({ label: `sweep ${f}=${v}`, files: { 'sweep.yaml': top(f, v) }, manifest: 'sweep.yaml' });
    for (const k of ['thumbnails', 'stitch', 'grid', 'contact_sheet'])
      if (take())
        out.push({ label: `sweep post ${k}=${v}`, files: { 'sweep.yaml': top('post', `[{ ${k}: ${v} }]`) }, manifest: 'sweep.yaml' });
    out.push({ label: `sweep matrix.aspect=[${v}]`, files: { 'sweep.yaml': top('matrix', `{ aspect: [${v}] }`) }, manifest: 'sweep.yaml' });
    out.push({ label: `sweep budget.max_usd=${v}`, files: { 'sweep.yaml': top('budget', `{ max_usd: ${v} }`) }, manifest: 'sweep.yaml' });
    out.push({
      label: `sweep pricing=${v}`,
      files: { 'sweep.yaml': top('pricing', `[{ model: sora-2, usd_per_clip: ${v} }]`) },
      manifest: 'sweep.yaml',
    });
  }
  return out;
}

/** What is wrong with one diagnostic, or undefined. */
function diagnosticProblem(d: Diagnostic, texts: Map<string, string | null>): string | undefined {
  if (typeof d.message !== 'string' || d.message.trim() === '') return 'empty message';
  if (/\n\s+at |\[object Object\]|function \w*\(|Maximum call stack|is not a function|Cannot read prop/.test(d.message))
    return `internal detail in message: ${d.message.slice(0, 200)}`;
  if (!Number.isInteger(d.line) || !Number.isInteger(d.col) || d.line < 1 || d.col < 1) return `bad position ${d.line}:${d.col}`;
  if (!texts.has(d.file)) {
    let t: string | null = null;
    try {
      t = existsSync(d.file) ? readFileSync(d.file, 'utf8') : null;
    } catch {
      t = null; // a directory
    }
    texts.set(d.file, t);
  }
  const text = texts.get(d.file);
  if (text === null || text === undefined) return `diagnostic names a file that is not a readable file: ${d.file}`;
  const lines = text.split(/\r\n|\r|\n/);
  if (d.line > lines.length) return `line ${d.line} is past the end (${lines.length} lines): ${d.message.slice(0, 120)}`;
  const len = lines[d.line - 1]!.length;
  if (d.col > len + 1) return `col ${d.col} is past the end of line ${d.line} (length ${len}): ${d.message.slice(0, 120)}`;
  return undefined;
}

type Outcome = 'planned' | 'input-error' | 'not-approved';

/** A plan that was accepted must be sane: it is what gets priced, approved and paid for. */
function planProblem(plan: Plan): string | undefined {
  if (!Number.isFinite(plan.totals.usd) || plan.totals.usd < 0) return `total ${plan.totals.usd}`;
  for (const j of plan.jobs) {
    if (/\[object |function \w*\(|\bundefined\b/.test(j.prompt)) return `job ${j.id} prompt looks corrupted: ${j.prompt.slice(0, 80)}`;
    if (!Number.isInteger(j.seconds) || j.seconds <= 0) return `job ${j.id} seconds ${j.seconds}`;
    if (j.cost.usd !== null && !(Number.isFinite(j.cost.usd) && j.cost.usd >= 0)) return `job ${j.id} cost ${j.cost.usd}`;
    if (j.take < 1 || !Number.isInteger(j.take)) return `job ${j.id} take ${j.take}`;
  }
  return undefined;
}

async function runCase(c: Case): Promise<{ outcome?: Outcome; problem?: string }> {
  for (const [name, text] of Object.entries(c.files)) writeFileSync(join(work, name), text);
  try {
    const r = await loadAndPlan(c.manifest, work, c.flags ?? {});
    const bad = planProblem(r.plan);
    return bad ? { problem: `planned, but ${bad}` } : { outcome: 'planned' };
  } catch (e) {
    if (e instanceof InputError) {
      if (e.diagnostics.length === 0) return { problem: 'InputError without diagnostics' };
      const texts = new Map<string, string | null>();
      if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, e.diagnostics.map((d) => `${c.label}\t${d.message}\n`).join(''));
      for (const d of e.diagnostics) {
        const p = diagnosticProblem(d, texts);
        if (p) return { problem: `${basename(d.file)}:${d.line}:${d.col}: ${p}` };
      }
      return { outcome: 'input-error' };
    }
    if (e instanceof NotApprovedError) return { outcome: 'not-approved' };
    const err = e as Error;
    return {
      problem: `unexpected ${err?.name}: ${String(err?.stack ?? err)
        .split('\n')
        .slice(0, 3)
        .join(' | ')}`,
    };
  }
}

function dump(c: Case, problem: string): void {
  const dir = process.env.FUZZ_DUMP;
  if (!dir) return;
  const d = join(dir, c.label.replace(/[^\w.-]+/g, '_').slice(0, 80));
  mkdirSync(d, { recursive: true });
  for (const [name, text] of Object.entries(c.files)) writeFileSync(join(d, name), text);
  writeFileSync(join(d, 'PROBLEM.txt'), `${problem}\nmanifest: ${c.manifest}\nflags: ${JSON.stringify(c.flags ?? {})}\n`);
}

async function runAll(cases: Case[]): Promise<{ failures: string[]; counts: Record<string, number> }> {
  const failures: string[] = [];
  const counts: Record<string, number> = {};
  for (const c of cases) {
    const t0 = process.env.FUZZ_TIMES ? performance.now() : 0;
    const r = await runCase(c);
    if (process.env.FUZZ_TIMES) appendFileSync(process.env.FUZZ_TIMES, `${Math.round(performance.now() - t0)}\t${c.label}\n`);
    if (r.problem) {
      failures.push(`${c.label}: ${r.problem}`);
      dump(c, r.problem);
    } else counts[r.outcome!] = (counts[r.outcome!] ?? 0) + 1;
  }
  return { failures, counts };
}

describe('manifest fuzzer (bad input → positioned error, exit 2, nothing sent)', () => {
  it('targeted structural cases', async () => {
    const cases = targetedCases();
    const { failures, counts } = await runAll(cases);
    expect(failures).toEqual([]);
    // Nearly all of these are invalid: make sure the harness really exercised the error path.
    expect(counts['input-error'] ?? 0).toBeGreaterThan(cases.length * 0.7);
  });

  it('every field × wrong-typed values', async () => {
    const cases = fieldSweepCases();
    const { failures, counts } = await runAll(cases);
    expect(failures).toEqual([]);
    expect(counts['input-error'] ?? 0).toBeGreaterThan(cases.length * 0.7);
  });

  it(`${MUTANTS} seeded random mutants (seed ${SEED})`, async () => {
    const cases = randomCases();
    expect(cases.length).toBe(MUTANTS);
    const { failures, counts } = await runAll(cases);
    expect(failures).toEqual([]);
    // Both outcomes occur: mutants that still plan and mutants that are refused.
    expect(counts['input-error'] ?? 0).toBeGreaterThan(MUTANTS * 0.3);
    expect(counts.planned ?? 0).toBeGreaterThan(0);
  });

  it('the CLI maps a sample of mutants to exit 0/2/3 without an internal error', async () => {
    const cases = [...targetedCases().filter((_, i) => i % 6 === 0), ...randomCases().filter((_, i) => i % 10 === 0)];
    const bad: string[] = [];
    for (const c of cases) {
      for (const [name, text] of Object.entries(c.files)) writeFileSync(join(work, name), text);
      const args = ['plan', c.manifest, '--json', '--out', join(work, 'runs', 'x')];
      if (c.flags?.provider) args.push('--provider', c.flags.provider);
      if (c.flags?.model) args.push('--model', c.flags.model);
      for (const f of c.flags?.catalog ?? []) args.push('--catalog', f);
      const { code, err } = await runInProcess(args, { cwd: work });
      if (![0, 2, 3].includes(code) || /internal error|\n\s+at /.test(err)) bad.push(`${c.label}: exit ${code}: ${err.slice(0, 300)}`);
      if (code === 2 && !/nothing was sent/.test(err)) bad.push(`${c.label}: exit 2 without "nothing was sent"`);
    }
    expect(bad).toEqual([]);
  });
});
