/**
 * Budget modes: --max-usd over the plan is refused unless --fit, which takes jobs in manifest order
 * while they fit and defers the rest; a re-run approves only the added cost; unpriced is never $0.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSpend } from '../../src/cli/format.ts';
import { fitInOrder } from '../../src/cli/fit.ts';
import { selectJobs } from '../../src/cli/only.ts';
import { startEmulator } from '../../src/emulator/index.ts';
import type { EmulatorHandle } from '../../src/emulator/types.ts';
import type { Job } from '../../src/plan/types.ts';
import { emulatorEnv, runInProcess } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';

describe('--max-usd, --fit and re-plan approval (emulator)', () => {
  let emulator: EmulatorHandle;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    emulator = await startEmulator({ render: 'shared' });
    dir = await tempDir('shotlist-fit-');
    env = emulatorEnv(emulator);
  });
  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('over --max-usd without --fit: exit 3, says --fit, sends nothing', async () => {
    const manifest = await writeOpenaiManifest(dir, 5); // 5 × $0.40 = $2.00
    const res = await runInProcess(['run', manifest, '--max-usd', '1', '--out', join(dir, 'refused')], { env });
    expect(res.code).toBe(3);
    expect(res.err).toMatch(/--fit/);
    expect(emulator.counts().total).toBe(0);
  });

  it('--fit runs what fits in manifest order and defers the rest; the re-run approves only the added cost', async () => {
    const manifest = await writeOpenaiManifest(dir, 5);
    const out = join(dir, 'fit');
    const first = await runInProcess(['run', manifest, '--max-usd', '1', '--fit', '--out', out], { env });
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/3 deferred \(\$1\.20\)/);
    expect(emulator.counts('openai').creates).toBe(2);
    const prompts = emulator.tasks('openai').map((t) => t.prompt);
    expect(prompts.every((p) => /number [01],/.test(p))).toBe(true); // the first two shots, in order
    const status = JSON.parse((await runInProcess(['status', out, '--json'], { env })).out) as { spent_usd: number };
    expect(status.spent_usd).toBe(0.8);

    // $1.20 added; the whole plan is $2.00: --max-usd 1.20 approves the added cost.
    const second = await runInProcess(['run', manifest, '--max-usd', '1.2', '--out', out], { env });
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/Added cost: \$1\.20/);
    expect(emulator.counts('openai').creates).toBe(5);
    const after = JSON.parse((await runInProcess(['status', out, '--json'], { env })).out) as {
      spent_usd: number;
      counts: Record<string, number>;
    };
    expect(after.spent_usd).toBe(2);
    expect(after.counts.downloaded).toBe(5);
  });
});

const job = (id: string, usd: number | null, extra: Partial<Job> = {}): Job =>
  ({ id, shotId: id, baseId: id, provider: 'openai', model: 'sora-2', wireModel: 'sora-2', cost: { usd, credits: null }, ...extra }) as Job;

describe('pure pieces', () => {
  it('fitInOrder stops at the first job that does not fit (manifest order, no reordering)', () => {
    const r = fitInOrder([job('a', 0.4), job('b', 0.4), job('c', 0.8), job('d', 0.1)], 1);
    expect(r.taken.map((j) => j.id)).toEqual(['a', 'b']);
    expect(r.deferred.map((j) => j.id)).toEqual(['c', 'd']);
    expect(r.takenUsd).toBe(0.8);
    expect(r.deferredUsd).toBe(0.9);
  });
  it('unpriced is counted, never $0', () => {
    expect(formatSpend(1.5, 0)).toBe('$1.50');
    expect(formatSpend(1.5, 2)).toBe('$1.50 + 2 unpriced');
    expect(formatSpend(0, 3)).toBe('3 unpriced');
  });
  it('--only: shot ids, provider=, model=, rows=A..B; a selector matching nothing is an error', () => {
    const jobs = [job('a', 1, { provider: 'fal' }), job('b', 1), job('c', 1, { model: 'veo-3.1' }), job('d', 1)];
    expect(selectJobs(jobs, ['a,c']).map((j) => j.id)).toEqual(['a', 'c']);
    expect(selectJobs(jobs, ['provider=fal']).map((j) => j.id)).toEqual(['a']);
    expect(selectJobs(jobs, ['model=veo-3.1']).map((j) => j.id)).toEqual(['c']);
    expect(selectJobs(jobs, ['rows=2..3']).map((j) => j.id)).toEqual(['b', 'c']);
    expect(() => selectJobs(jobs, ['zzz'])).toThrow(/--only zzz matches no job/);
    expect(() => selectJobs(jobs, ['rows=3..1'])).toThrow(/rows=A..B/);
  });
});

describe('failures: the summary groups them by reason; retry sends them again with a fresh approval', () => {
  it('run --json reports failures by reason; retry without approval sends nothing; retry --yes resubmits exactly the failed jobs', async () => {
    const emulator = await startEmulator({ render: 'shared', faults: { openai: { taskFailRate: 1 } } });
    const dir = await tempDir('shotlist-retry-');
    try {
      const env = emulatorEnv(emulator);
      const manifest = await writeOpenaiManifest(dir, 2);
      const out = join(dir, 'run');
      const first = await runInProcess(['run', manifest, '--yes', '--json', '--out', out], { env });
      expect(first.code).toBe(1);
      const summary = JSON.parse(first.out) as {
        exit_code: number;
        failures: Array<{ reason: string; count: number; jobs: string[] }>;
        counts: Record<string, number>;
      };
      expect(summary.exit_code).toBe(1);
      expect(summary.counts.failed).toBe(2);
      expect(summary.failures).toHaveLength(1);
      expect(summary.failures[0]!.count).toBe(2);
      expect(summary.failures[0]!.jobs).toHaveLength(2);
      expect(emulator.counts('openai').creates).toBe(2);

      const refused = await runInProcess(['retry', out], { env });
      expect(refused.code).toBe(3);
      expect(refused.out).toMatch(/retry: 2 job\(s\) \(failed, expired\), new attempts cost \$0\.80/);
      expect(emulator.counts('openai').creates).toBe(2);

      const again = await runInProcess(['retry', out, '--yes'], { env });
      expect(again.code).toBe(1); // they fail again (the emulator fails every task)
      expect(again.out).toMatch(/failures by reason:/);
      expect(again.out).toMatch(/retry them with: shotlist retry /);
      expect(emulator.counts('openai').creates).toBe(4);
    } finally {
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('plan --json', () => {
  it('over budget: the verdict is in the JSON, stderr says why, exit 3; jobs carry prompt, aspect, seed and params', async () => {
    const dir = await tempDir('shotlist-planjson-');
    const manifest = await writeOpenaiManifest(dir, 3, 'budget: { max_usd: 1 }');
    const res = await runInProcess(['plan', manifest, '--json']);
    expect(res.code).toBe(3);
    expect(res.err).toMatch(/exceeds budget\.max_usd \$1\.00/);
    const plan = JSON.parse(res.out);
    expect(plan.budget).toMatchObject({ verdict: 'over_budget', total_usd: 1.2, max_usd: 1 });
    expect(plan.jobs[0]).toMatchObject({ prompt: expect.stringContaining('Test shot number 0'), aspect: '16:9', seed: null, params: {} });
    expect(plan.changes).toBeNull();
    await rm(dir, { recursive: true, force: true });
  });
});
