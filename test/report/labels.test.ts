/** Issue 12: "three tiles all labelled fal · wan-2.7 · 720p · $0.40"; sora-2 vs sora-2-pro cut to the same text. */
import { describe, expect, it } from 'vitest';
import { groupLabels } from '../../src/report/labels.ts';
import { captionLayout } from '../../src/post/grid.ts';
import { fieldOf } from '../../src/post/select.ts';
import type { Job } from '../../src/plan/types.ts';
import { makeJob } from '../media/helpers.ts';

const get = (j: Job, f: string): string => fieldOf(j, f);

describe('group labels', () => {
  it('takes of one request are told apart by take, not by the fields they share', () => {
    const jobs = [1, 2, 3].map((take) => makeJob({ id: `t${take}`, take, provider: 'fal', model: 'wan-2.7', usd: 0.4 }));
    expect(groupLabels(jobs, get)).toEqual(['take 1', 'take 2', 'take 3']);
  });

  it('a model bake-off reads the models (and the prices where they differ)', () => {
    const jobs = [
      makeJob({ id: 'a', provider: 'openai', model: 'sora-2', usd: 0.4, width: 720, height: 1280 }),
      makeJob({ id: 'b', provider: 'openai', model: 'sora-2-pro', usd: 1.2, width: 720, height: 1280 }),
    ];
    expect(groupLabels(jobs, get)).toEqual(['sora-2 · $0.40', 'sora-2-pro · $1.20']);
  });

  it('uses a {field} template or a field list, and still makes labels distinct', () => {
    const jobs = [1, 2].map((take) => makeJob({ id: `j${take}`, take, seed: 7 }));
    expect(groupLabels(jobs, get, '{model} #{take}')).toEqual(['sora-2 #1', 'sora-2 #2']);
    expect(groupLabels(jobs, get, ['model'])).toEqual(['sora-2 · take 1', 'sora-2 · take 2']);
    expect(groupLabels(jobs, get, '{model}')).toEqual(['sora-2 · take 1', 'sora-2 · take 2']);
  });

  it('labels are distinct within every group, whatever differs', () => {
    const variants: Job[][] = [
      [makeJob({ id: 'x1', seed: 1 }), makeJob({ id: 'x2', seed: 2 })],
      [makeJob({ id: 'y1', width: 1280, height: 720 }), makeJob({ id: 'y2', width: 720, height: 1280 })],
      [makeJob({ id: 'z1', prompt: 'a red car' }), makeJob({ id: 'z2', prompt: 'a blue car' })],
      [makeJob({ id: 'w1', fields: { lang: 'en' } }), makeJob({ id: 'w2', fields: { lang: 'de' } })],
      [makeJob({ id: 'v1' }), makeJob({ id: 'v2' })], // identical requests: the job id decides
    ];
    for (const jobs of variants) {
      const labels = groupLabels(jobs, get, undefined, Object.keys(jobs[0]!.fields));
      expect(new Set(labels).size, labels.join(' | ')).toBe(jobs.length);
    }
  });
});

describe('caption bar', () => {
  it('fits a long label in a narrow portrait tile without cutting it', () => {
    const labels = ['openai · sora-2 · 720p · seed 42 · take 1 · $0.40', 'openai · sora-2-pro · 720p · seed 42 · take 1 · $1.20'];
    const c = captionLayout(labels, 180, 320);
    const text = c.lines.map((l) => l.join(' · '));
    expect(text).toEqual(labels);
    for (const lines of c.lines) for (const line of lines) expect(line.length * c.fontSize * 0.6).toBeLessThanOrEqual(180);
    expect(c.barHeight).toBeGreaterThan(c.fontSize);
  });
});
