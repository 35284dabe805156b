import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/emulator/fault-spec.ts';

describe('parseFaultSpec (shotlist emulate --faults)', () => {
  it('reads inline JSON per provider', () => {
    expect(parseFaultSpec('{"openai":{"rate429":0.2,"retryAfterS":2},"fal":{"truncateRate":0.5}}')).toEqual({
      ok: true,
      faults: { openai: { rate429: 0.2, retryAfterS: 2 }, fal: { truncateRate: 0.5 } },
    });
  });
  it('reads a YAML file', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'faults-')), 'faults.yaml');
    await writeFile(file, 'apidot:\n  rate5xx: 0.1\n  latencyMs: 50\n');
    expect(parseFaultSpec(file)).toEqual({ ok: true, faults: { apidot: { rate5xx: 0.1, latencyMs: 50 } } });
  });
  it('refuses typos, unknown providers and rates outside [0, 1]', () => {
    expect(parseFaultSpec('{"openai":{"rate249":0.2}}')).toMatchObject({ ok: false, message: expect.stringContaining('rate249') });
    expect(parseFaultSpec('{"sora":{"rate429":0.2}}')).toMatchObject({ ok: false });
    expect(parseFaultSpec('{"openai":{"rate429":2}}')).toMatchObject({ ok: false, message: expect.stringContaining('openai.rate429') });
    expect(parseFaultSpec('{not json')).toMatchObject({ ok: false });
  });
});
