/** Money safety at the door: no TTY and no --yes spends nothing (exit 3); invalid input exits 2 and sends nothing. */
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.ts';
import type { EmulatorHandle } from '../../src/emulator/types.ts';
import { emulatorEnv, ROOT, runCli, runInProcess, TEST_KEY } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';

describe('approval and bad input cost nothing', () => {
  let emulator: EmulatorHandle;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    emulator = await startEmulator({ render: 'shared' });
    dir = await tempDir('shotlist-approve-');
    env = emulatorEnv(emulator);
  });
  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a run with no TTY and no --yes prints the plan, exits 3 and sends no request', async () => {
    const manifest = await writeOpenaiManifest(dir, 2);
    const res = await runCli(['run', manifest, '--out', join(dir, 'r1')], { env });
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/total/i);
    expect(res.stderr).toMatch(/--yes/);
    expect(emulator.counts().total).toBe(0);
  });

  it('--max-usd below the plan total exits 3 and sends no request', async () => {
    const manifest = await writeOpenaiManifest(dir, 2);
    const res = await runInProcess(['run', manifest, '--max-usd', '0.5', '--out', join(dir, 'r2')], { env });
    expect(res.code).toBe(3);
    expect(res.err).toMatch(/max-usd/);
    expect(emulator.counts().total).toBe(0);
  });

  it('an invalid manifest exits 2 with file:line:col', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nprovider: openai\nmodel: sora-2\nshots:\n  - id: a\n    prompt: "ok"\n    seconds: "four"\n');
    const res = await runCli(['run', file, '--yes', '--out', join(dir, 'r3')], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:\\d+: `));
    expect(emulator.counts().total).toBe(0);
  });

  it('every manifest in the malformed corpus exits 2 with a position and sends nothing', async () => {
    const corpus = join(ROOT, 'test/fixtures/malformed');
    const files = (await readdir(corpus)).filter((f) => /\.(ya?ml|csv)$/.test(f)).sort();
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const f of files) {
      const path = join(corpus, f);
      const args = ['run', path, '--yes', '--out', join(dir, 'corpus', f)];
      if (f.endsWith('.csv')) args.push('--provider', 'apidot', '--model', 'sora-2');
      const res = await runInProcess(args, { env, cwd: corpus });
      expect(res.code, `${f}: ${res.err}`).toBe(2);
      expect(res.err, f).toMatch(/:\d+:\d+: /);
    }
    expect(emulator.counts().total).toBe(0);
  });

  it('keys never reach the run directory', async () => {
    const manifest = await writeOpenaiManifest(dir, 1);
    const out = join(dir, 'r4');
    const res = await runInProcess(['run', manifest, '--yes', '--out', out], { env });
    expect(res.code).toBe(0);
    const files = await readdir(out, { recursive: true });
    for (const f of files) {
      if (!/\.(json|ndjson|yaml|html|csv|journal)$/.test(f)) continue;
      expect(await readFile(join(out, f), 'utf8'), f).not.toContain(TEST_KEY);
    }
    expect(res.out + res.err).not.toContain(TEST_KEY);
  });
});

describe('budget.max_usd', () => {
  it('a plan over the manifest budget is shown, then refused with exit 3 and the budget line', async () => {
    const dir = await tempDir('shotlist-budget-');
    const manifest = await writeOpenaiManifest(dir, 3, 'budget: { max_usd: 1 }');
    const res = await runInProcess(['run', manifest, '--yes', '--out', join(dir, 'out')]);
    expect(res.code).toBe(3);
    expect(res.out).toContain('$1.20');
    expect(res.err).toMatch(/manifest\.yaml:\d+:\d+: plan total \$1\.20 exceeds budget\.max_usd \$1\.00/);
    const plan = await runInProcess(['plan', manifest]);
    expect(plan.code).toBe(3);
    await rm(dir, { recursive: true, force: true });
  });
});
