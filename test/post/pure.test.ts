import { describe, expect, it } from 'vitest';
import { filterValue } from '../../src/media/filtergraph.ts';
import { lastProgressTime, progressReporter } from '../../src/post/progress.ts';
import { fieldOf, groupBy, orderBy, slugify } from '../../src/post/select.ts';
import { canStreamCopy, normalizeTarget } from '../../src/post/stitch.ts';
import { resolveAt } from '../../src/post/thumbnails.ts';
import type { ProbeResult } from '../../src/media/ffmpeg.ts';
import type { RunEvent } from '../../src/run/events.ts';
import { makeJob } from '../media/helpers.ts';

const p = (over: Partial<ProbeResult['video']> = {}, audio: ProbeResult['audio'] | null = undefined): ProbeResult => ({
  durationS: 1,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  video: { codec: 'h264', width: 160, height: 90, fps: 24, pixFmt: 'yuv420p', ...over },
  audio: audio === null ? undefined : (audio ?? { codec: 'aac', sampleRate: 44100, channels: 1, layout: 'mono' }),
});

describe('stream-copy decision', () => {
  it('copies only when codec, size, fps, pixel format and audio agree', () => {
    expect(canStreamCopy([p(), p(), p()])).toBe(true);
    expect(canStreamCopy([p(), p({ width: 320 })])).toBe(false);
    expect(canStreamCopy([p(), p({ fps: 30 })])).toBe(false);
    expect(canStreamCopy([p(), p({ pixFmt: 'yuv444p' })])).toBe(false);
    expect(canStreamCopy([p(), p({ codec: 'hevc' })])).toBe(false);
    expect(canStreamCopy([p(), p({}, null)])).toBe(false);
    expect(canStreamCopy([p({}, null), p({}, null)])).toBe(true);
    expect(canStreamCopy([p(), p({}, { codec: 'aac', sampleRate: 48000, channels: 1, layout: 'mono' })])).toBe(false);
  });
  it('normalizes to the most common size and frame rate', () => {
    expect(normalizeTarget([p({ width: 90, height: 160 }), p(), p({ fps: 30 })])).toEqual({ width: 160, height: 90, fps: 24 });
    expect(normalizeTarget([p({ width: 161, height: 91 })])).toMatchObject({ width: 162, height: 92 });
  });
});

describe('helpers', () => {
  it('resolves poster times from seconds and percentages, inside the clip', () => {
    expect(resolveAt('50%', 4)).toBe(2);
    expect(resolveAt(1, 4)).toBe(1);
    expect(resolveAt('1.5', 4)).toBe(1.5);
    expect(resolveAt(10, 4)).toBeCloseTo(3.9);
    expect(resolveAt(undefined, 2)).toBe(1);
    expect(resolveAt(-1, 2)).toBe(0);
  });
  it('parses ffmpeg progress and throttles events', () => {
    expect(lastProgressTime('frame=1 time=00:00:01.50 bitrate=1\rframe=2 time=00:01:02.25 x')).toBeCloseTo(62.25);
    expect(lastProgressTime('no time here')).toBeUndefined();
    const events: RunEvent[] = [];
    let t = 0;
    const onErr = progressReporter({ events: (e) => events.push(e), now: () => t, step: 'stitch', output: 'o', totalS: 10 });
    onErr('time=00:00:02.00');
    t = 100;
    onErr('time=00:00:04.00'); // within 250 ms: dropped
    t = 400;
    onErr('time=00:00:08.00');
    onErr('time=00:00:20.00');
    expect(events.map((e) => (e.kind === 'post.progress' ? e.fraction : -1))).toEqual([0.2, 0.8]);
  });
  it('escapes filter values at both levels', () => {
    // level 1 escapes ' and : for the option parser; level 2 escapes those backslashes and ' again for the graph
    expect(filterValue("/a b/it's:x.ttf")).toBe("/a b/it\\\\\\'s\\\\:x.ttf");
    expect(filterValue('/plain/path.txt')).toBe('/plain/path.txt');
  });
  it('reads fields, groups and orders', () => {
    const a = makeJob({ id: 'a', shot: 'hero@model=x', seed: 7, fields: { lang: 'en' } });
    expect(fieldOf(a, 'size')).toBe('160x90');
    expect(fieldOf(a, 'baseId')).toBe('hero');
    expect(fieldOf(a, 'seed')).toBe('7');
    expect(fieldOf(a, 'lang')).toBe('en');
    expect(fieldOf(a, 'nope')).toBe('');
    const items = ['b', 'a', 'c'].map((id, i) => ({
      job: makeJob({ id, seed: [10, 9, 10][i], fields: { g: i < 2 ? 'one' : 'two' } }),
      record: {} as never,
    }));
    expect(groupBy(items, ['g', 'seed']).map((g) => [g.key, g.slug, g.items.length])).toEqual([
      ['one · 10', 'one-10', 1],
      ['one · 9', 'one-9', 1],
      ['two · 10', 'two-10', 1],
    ]);
    expect(orderBy(items, ['seed', 'id']).map((i) => i.job.id)).toEqual(['a', 'b', 'c']);
    expect(slugify('1280x720')).toBe('1280x720');
    expect(slugify('../../etc')).toBe('etc');
    expect(slugify('')).toBe('group');
  });
});
