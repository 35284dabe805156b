/** Issue 11: `shotlist init [dir] --use campaign|bakeoff|overnight` scaffolds a manifest that validates and plans as written, and never overwrites. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.ts';
import { tempDir } from '../helpers/manifests.ts';

describe('shotlist init', () => {
  it.each([
    ['campaign', 'campaign.yaml', 6, /image: product\.png/],
    ['bakeoff', 'bakeoff.yaml', 16, /engine:.*\n\s+- \{ provider: fal, model: veo-3\.1 \}/],
    ['overnight', 'overnight.yaml', 200, /from: overnight\.csv/],
  ])('--use %s writes a commented manifest that validates and plans (%s, %i jobs)', async (use, file, jobs, shape) => {
    const dir = await tempDir();
    const init = await runInProcess(['init', 'w', '--use', use], { cwd: dir });
    expect(init.code, init.err).toBe(0);
    expect(init.out).toContain(`next: npx shotlist plan ${join('w', file)}`);
    const text = await readFile(join(dir, 'w', file), 'utf8');
    expect(text).toMatch(/^# /); // commented for a first reader
    expect(text).toMatch(shape);
    const plan = await runInProcess(['plan', join('w', file), '--json'], { cwd: dir });
    expect(plan.code, plan.err).toBe(0);
    const json = JSON.parse(plan.out);
    expect(json.totals.jobs).toBe(jobs);
    expect(json.budget.verdict).toBe('ok');
    if (use === 'bakeoff') expect(new Set(json.jobs.map((j: { provider: string }) => j.provider)).size).toBe(4);
    if (use === 'campaign') {
      expect(json.jobs.every((j: { image?: unknown }) => j.image !== undefined)).toBe(true);
      // Readable clip names (output.name default), unique within the plan.
      const clips = json.jobs.map((j: { clip: string }) => j.clip);
      expect(clips).toContain('clips/detail_9x16_veo-3.1_2.mp4');
      expect(new Set(clips).size).toBe(clips.length);
    }
  });

  it('refuses to overwrite anything (exit 2, nothing written) and rejects an unknown use', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'product.png'), 'mine');
    const res = await runInProcess(['init', '--use', 'campaign'], { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/product\.png already exists .*nothing was written/);
    expect(await readFile(join(dir, 'product.png'), 'utf8')).toBe('mine');
    await expect(readFile(join(dir, 'campaign.yaml'), 'utf8')).rejects.toThrow();
    expect((await runInProcess(['init', '--use', 'party'], { cwd: dir })).code).toBe(2);
    expect((await runInProcess(['init'], { cwd: dir })).err).toMatch(/required option '--use/);
  });
});
