/**
 * Focused regressions for what the manifest fuzzer (fuzz.test.ts) found that the malformed corpus
 * (test/fixtures/malformed, one first diagnostic per file) cannot express.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadAndPlan } from '../../src/cli/context.ts';
import { InputError } from '../../src/errors.ts';
import { parseYaml } from '../../src/manifest/positions.ts';
import { runInProcess } from '../helpers/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shotlist-fuzzreg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function diagnostics(file: string, text: string, flags = {}): Promise<string[]> {
  await writeFile(join(dir, file), text);
  try {
    await loadAndPlan(file, dir, flags);
    return [];
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return e.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`);
  }
}

describe('fuzzer regressions', () => {
  it('YAML error positions stay on the right line after error recovery', () => {
    // yaml's LineCounter skipped the newline inside the bad token: errors landed on line 2, col 33+
    // of a 16-character line.
    const text = '  submit_per_min: 20\nprovider: openai\n  polls_per_min: 120';
    const { errors } = parseYaml(text, 'x.yaml');
    expect(errors.length).toBeGreaterThan(2);
    const lines = text.split('\n');
    for (const d of errors) {
      expect(d.line).toBeLessThanOrEqual(lines.length);
      expect(d.col).toBeLessThanOrEqual(lines[d.line - 1]!.length + 1);
    }
    expect(errors.map((d) => `${d.line}:${d.col}`)).toContain('3:16');
  });

  it('a YAML error at the end of a CRLF line points just past its last character', () => {
    const text = 'post:\r\n  - grid: { group_by: [id, aspectorder_by: model }\r\n';
    const { errors } = parseYaml(text, 'x.yaml');
    expect(errors.length).toBeGreaterThan(0);
    for (const d of errors) expect(d.col, d.message).toBeLessThanOrEqual(text.split(/\r\n/)[d.line - 1]!.length + 1);
  });

  it('a NUL byte in an image, from: or catalog: path is an ordinary "not found"', async () => {
    await writeFile(join(dir, 'nul.csv'), 'prompt,image\nA cat,a\u0000b.png\n');
    const head = 'provider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\n';
    expect(await diagnostics('nul1.yaml', `${head}shots:\n  - from: nul.csv\n`)).toEqual([
      expect.stringMatching(/^2:7 shot "row-1": image file not found/),
    ]);
    expect(await diagnostics('nul2.yaml', `${head}shots:\n  - from: "x\\0.csv"\n`)).toEqual([
      expect.stringMatching(/^5:11 shots\[0\]\.from: cannot read the CSV file/),
    ]);
    expect(await diagnostics('nul3.yaml', `${head}catalog: "x\\0.yaml"\nshots:\n  - prompt: a\n`)).toEqual([
      '4:10 catalog file not found: x\u0000.yaml',
    ]);
  });

  it('a lone-CR YAML file is read line by line, like an editor shows it', () => {
    const { errors, value } = parseYaml('a: 1\rb: 2\r', 'x.yaml');
    expect(errors).toEqual([]);
    expect(value).toEqual({ a: 1, b: 2 });
  });

  it('CSV columns named like Object.prototype members are template variables, not a crash', async () => {
    await writeFile(join(dir, 'proto.csv'), 'prompt,constructor,toString\n"A {constructor} and {toString}",x,z\n');
    const text = 'provider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\nshots:\n  - from: proto.csv\n';
    await writeFile(join(dir, 'proto.yaml'), text);
    const { plan } = await loadAndPlan('proto.yaml', dir, {});
    expect(plan.jobs.map((j) => j.prompt)).toEqual(['A x and z']);
    // A column no template uses is an error (issue 11), positioned, even when named like a prototype key.
    await writeFile(join(dir, 'proto2.csv'), 'prompt,__proto__\nA cat,y\n');
    const d = await diagnostics('proto2.yaml', text.replace('proto.csv', 'proto2.csv'));
    expect(d).toEqual([expect.stringMatching(/^1:8 unknown column "__proto__"/)]);
  });

  it('{toString} and {__proto__} placeholders are reported, never filled from Object.prototype', async () => {
    const d = await diagnostics(
      'ph.yaml',
      'provider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\nshots:\n  - prompt: "A {toString} {__proto__}"\n',
    );
    expect(d.join('\n')).toMatch(/placeholder \{toString\}, \{__proto__\} has no value/);
  });

  it('parsing never makes yaml print a warning itself (library code does not print)', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      parseYaml('? [a, b]\n: 1\nc: !unknown x\n', 'x.yaml');
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('absurdly deep nesting is a positioned error or a value, never a stack overflow message', async () => {
    const deep = `${'{a: '.repeat(6000)}1${'}'.repeat(6000)}`;
    const d = await diagnostics(
      'deep.yaml',
      `provider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\nshots:\n  - prompt: a\n    params: ${deep}\n`,
    );
    for (const m of d) expect(m).not.toMatch(/call stack/i);
  });

  it('a 1e9-job matrix is refused before it is expanded', async () => {
    const dims = Array.from({ length: 9 }, (_, i) => `  v${i}: [a, b, c, d, e, f, g, h, i, j]`).join('\n');
    const ph = Array.from({ length: 9 }, (_, i) => `{v${i}}`).join(' ');
    const d = await diagnostics(
      'big.yaml',
      `provider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\nmatrix:\n${dims}\nshots:\n  - prompt: "${ph}"\n    takes: 1000\n`,
    );
    expect(d).toEqual([expect.stringMatching(/^15:5 shot "shot-1": expands to 1000000000000 job\(s\).*more than 200000 jobs/)]);
  });

  it('--catalog with a malformed file: exit 2, positioned in the catalog file, nothing sent', async () => {
    await writeFile(join(dir, 'm.yaml'), 'provider: openai\nmodel: sora-2\ndefaults: { seconds: 4 }\nshots:\n  - prompt: "A cat"\n');
    const cases: Record<string, RegExp> = {
      'syntax.yaml': /syntax\.yaml:3:1: YAML syntax/,
      'incomplete.yaml': /incomplete\.yaml:3:5: catalog: model "openai\/x" is incomplete \(missing wire_id/,
      'newprov.yaml': /newprov\.yaml:1:11: catalog: new provider "acme" needs as_of/,
      'badfield.yaml': /badfield\.yaml:4:20: models\[0\]\.durations\[1\]: expected a number, got string "four"/,
      'list.yaml': /list\.yaml:1:1: catalog file must be a YAML map/,
      'bomb.yaml': /bomb\.yaml:2:\d+: YAML: aliases/,
    };
    await writeFile(join(dir, 'syntax.yaml'), 'provider: openai\nmodels: [\n');
    await writeFile(join(dir, 'incomplete.yaml'), 'provider: openai\nmodels:\n  - id: x\n');
    await writeFile(join(dir, 'newprov.yaml'), 'provider: acme\nmodels: []\n');
    await writeFile(join(dir, 'badfield.yaml'), 'provider: openai\nmodels:\n  - id: sora-2\n    durations: [4, four]\n');
    await writeFile(join(dir, 'list.yaml'), '- provider: openai\n');
    await writeFile(
      join(dir, 'bomb.yaml'),
      'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n',
    );
    // A --catalog path that is missing or a directory has no position to give: usage error, exit 2.
    cases.nope = /error: --catalog nope: file not found/;
    cases['.'] = /error: --catalog \.: not a file/;
    for (const [file, want] of Object.entries(cases)) {
      const { code, err } = await runInProcess(['plan', 'm.yaml', '--catalog', file], { cwd: dir });
      expect(code, `${file}: ${err}`).toBe(2);
      expect(err, file).toMatch(want);
      if (file !== 'nope' && file !== '.') expect(err, file).toContain('nothing was sent');
      expect(err, file).not.toMatch(/internal error/);
    }
  });
});
