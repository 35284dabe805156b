import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/load.ts';
import { loadCatalog } from '../../src/catalog/load.ts';
import { buildPlan } from '../../src/plan/build.ts';
import { InputError, type Diagnostic } from '../../src/errors.ts';

const dir = fileURLToPath(new URL('../fixtures/malformed/', import.meta.url));
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  cases: Record<string, { stage: 'load' | 'plan'; file: string; line: number; col: number; phrase: string }>;
};

async function firstDiagnostic(file: string): Promise<{ stage: 'load' | 'plan'; d: Diagnostic | undefined }> {
  try {
    const m = await loadManifest(file);
    const plan = buildPlan(m, await loadCatalog({ extraFiles: m.catalogFiles }), { today: '2026-11-21' });
    return { stage: 'plan', d: plan.errors[0] };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    expect(e.exitCode).toBe(2);
    return { stage: 'load', d: e.diagnostics[0] };
  }
}

describe('malformed manifest corpus', () => {
  const cases = Object.entries(expected.cases);
  it('has at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
  it.each(cases)('%s', async (name, want) => {
    const { stage, d } = await firstDiagnostic(join(dir, name));
    expect(stage).toBe(want.stage);
    expect(d).toBeDefined();
    expect(`${basename(d!.file)}:${d!.line}:${d!.col}`).toBe(`${want.file}:${want.line}:${want.col}`);
    expect(d!.message).toContain(want.phrase);
  });
});
