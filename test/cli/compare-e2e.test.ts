/** pipelines/compare.yaml: the same prompts through all six providers on the emulator, end to end. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';
import { runCli } from '../helpers/cli.ts';

interface ResultsJson {
  jobs: Array<{ id: string; provider: string; state: string }>;
}

describe('the model-comparison pipeline on the emulator', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs every provider, downloads every clip and makes one comparison grid per prompt', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shotlist-compare-'));
    const out = join(dir, 'compare');
    const res = await runCli(['run', 'pipelines/compare.yaml', '--emulate', '--yes', '--out', out]);
    expect(res.stderr).not.toContain('internal error');
    expect(res.code).toBe(0);
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as ResultsJson;
    expect(new Set(results.jobs.map((j) => j.provider))).toEqual(new Set(PROVIDER_NAMES));
    expect(results.jobs.every((j) => j.state === 'downloaded')).toBe(true);
    const clips = (await readdir(join(out, 'clips'))).filter((f) => f.endsWith('.mp4'));
    expect(clips).toHaveLength(results.jobs.length);
    const grids = (await readdir(join(out, 'post'))).filter((f) => f.startsWith('grid') && f.endsWith('.mp4'));
    expect(grids.length).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
