/** The README's promise: the demo pipeline runs end to end against the emulator. */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/media/ffmpeg.ts';
import { runCli, runInProcess, type CliResult } from '../helpers/cli.ts';

interface PlanJson {
  jobs: Array<{ id: string; provider: string; model: string; seconds: number; size: string; clip?: string }>;
  totals: { usd: number; jobs: number };
  warnings: string[];
}

describe('npm start: the demo pipeline on the emulator', () => {
  let dir: string;
  let out: string;
  let result: CliResult;
  let plan: PlanJson;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shotlist-demo-'));
    out = join(dir, 'demo');
    const planned = await runInProcess(['plan', 'pipelines/demo.yaml', '--json']);
    expect(planned.code).toBe(0);
    plan = JSON.parse(planned.out) as PlanJson;
    result = await runCli(['run', 'pipelines/demo.yaml', '--emulate', '--yes', '--out', out]);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0', () => {
    expect(result.stderr + result.stdout).not.toContain('internal error');
    expect(result.code).toBe(0);
  });

  it('plans 2 aspects × four current models across fal, Replicate and APIDot, with no retirement warning', () => {
    expect(plan.jobs).toHaveLength(8);
    expect(plan.totals.jobs).toBe(plan.jobs.length);
    expect(new Set(plan.jobs.map((j) => j.provider))).toEqual(new Set(['fal', 'replicate', 'apidot']));
    expect(new Set(plan.jobs.map((j) => j.model))).toEqual(new Set(['veo-3.1', 'kling-v3', 'seedance-2-fast', 'wan-2.7']));
    expect(new Set(plan.jobs.map((j) => j.size))).toEqual(new Set(['1280x720', '720x1280']));
    expect(plan.warnings.filter((w) => /retire/i.test(w))).toEqual([]);
    expect(result.stdout + result.stderr).not.toMatch(/RETIRED|retired/);
  });

  it('downloads every planned clip at the requested size and duration', async () => {
    for (const job of plan.jobs) {
      const file = join(out, job.clip ?? `clips/${job.id}.mp4`);
      expect(existsSync(file), file).toBe(true);
      const p = await probe(file);
      expect(`${p.video?.width}x${p.video?.height}`).toBe(job.size);
      expect(Math.abs(p.durationS - job.seconds)).toBeLessThan(0.5);
    }
  });

  it('makes thumbnails, stitched videos, results.json and report.html', async () => {
    const thumbs = await readdir(join(out, 'thumbs'));
    expect(thumbs.filter((f) => f.endsWith('.jpg')).length).toBeGreaterThanOrEqual(plan.jobs.length);
    const post = await readdir(join(out, 'post'));
    const stitched = post.filter((f) => f.startsWith('stitch') && f.endsWith('.mp4'));
    expect(stitched.length).toBeGreaterThanOrEqual(2); // one per size: 1280x720 and 720x1280
    for (const f of stitched) {
      const p = await probe(join(out, 'post', f));
      expect(p.durationS).toBeGreaterThan(4 * 2 - 0.2);
    }
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as { jobs: unknown[] };
    expect(results.jobs).toHaveLength(plan.jobs.length);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    for (const job of plan.jobs) expect(html).toContain(job.id);
  });

  it('writes no API key anywhere in the run directory', async () => {
    const files = await readdir(out, { recursive: true });
    for (const f of files) {
      if (!/\.(json|ndjson|yaml|html|csv|journal)$/.test(f)) continue;
      const text = await readFile(join(out, f), 'utf8');
      expect(text, f).not.toContain('emulator-key');
    }
  });
});
