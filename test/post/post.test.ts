import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdir, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { probe } from '../../src/media/ffmpeg.ts';
import { runPostSteps as runAllPostSteps, type RunPostOptions } from '../../src/post/runner.ts';

/** The listed steps' outputs; the default QC step is covered by qc.test.ts. */
const runPostSteps = async (o: RunPostOptions) => (await runAllPostSteps(o)).filter((x) => x.step !== 'qc');
import type { RunEvent } from '../../src/run/events.ts';
import type { ReportItem } from '../../src/report/types.ts';
import { makeClip, makeItem, tempRunDir, removeTempDirs } from '../media/helpers.ts';

afterAll(removeTempDirs);

const collect = () => {
  const events: RunEvent[] = [];
  return { events, sink: (e: RunEvent) => void events.push(e) };
};

describe('stitch', () => {
  it('stream-copies compatible clips; duration is the sum of the inputs', async () => {
    const dir = await tempRunDir();
    // Ten joins: AAC priming made each join drift ~20 ms before the list pinned durations.
    const seconds = [1, 2, 0.5, 1, 1.5, 1, 0.5, 2, 1, 1];
    const items = await Promise.all(seconds.map((s, i) => makeItem(dir, { id: `c${i}`, index: i, seconds: s })));
    const { sink } = collect();
    const out = await runPostSteps({ runDir: dir, steps: [{ kind: 'stitch' }], items, events: sink });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'made', method: 'copy', output: 'post/stitch.mp4', inputs: items.map((it) => it.job.id) });
    const p = await probe(join(dir, 'post/stitch.mp4'));
    expect(Math.abs(p.durationS - 11.5)).toBeLessThanOrEqual(0.1);
    expect(p.video).toMatchObject({ width: 160, height: 90 });
    expect(p.audio).toBeDefined();
  });

  it('normalizes mixed sizes and a clip without audio, re-encoding to the common size', async () => {
    const dir = await tempRunDir();
    const items = await Promise.all([
      makeItem(dir, { id: 'n1', index: 0, seconds: 1 }),
      makeItem(dir, { id: 'n2', index: 1, seconds: 1.5, width: 90, height: 160 }),
      makeItem(dir, { id: 'n3', index: 2, seconds: 1, audio: false, fps: 30 }),
      makeItem(dir, { id: 'n4', index: 3, seconds: 1, width: 240, height: 136 }),
    ]);
    const { events, sink } = collect();
    const out = await runPostSteps({ runDir: dir, steps: [{ kind: 'stitch', name: 'cut' }], items, events: sink });
    expect(out[0]).toMatchObject({ kind: 'made', method: 'reencode', output: 'post/cut.mp4' });
    const p = await probe(join(dir, 'post/cut.mp4'));
    expect(Math.abs(p.durationS - 4.5)).toBeLessThanOrEqual(0.1);
    expect(p.video).toMatchObject({ width: 160, height: 90, codec: 'h264' });
    expect(p.audio).toMatchObject({ channels: 2, sampleRate: 48000 });
    expect(events.some((e) => e.kind === 'post.progress' && e.fraction > 0 && e.fraction <= 1)).toBe(true);
    expect(events.filter((e) => e.kind === 'post.finished' && e.step === 'stitch')).toHaveLength(1);
  });

  it('groups by a field, selects and orders explicitly', async () => {
    const dir = await tempRunDir();
    const items = await Promise.all([
      makeItem(dir, { id: 'g1', shot: 'intro', index: 0, fields: { lang: 'en' } }),
      makeItem(dir, { id: 'g2', shot: 'outro', index: 1, fields: { lang: 'en' } }),
      makeItem(dir, { id: 'g3', shot: 'intro', index: 2, fields: { lang: 'de' }, seconds: 2 }),
      makeItem(dir, { id: 'g4', shot: 'skip', index: 3, fields: { lang: 'de' } }),
    ]);
    const out = await runPostSteps({
      runDir: dir,
      steps: [{ kind: 'stitch', group_by: 'lang', select: { ids: ['intro', 'outro'] }, order: ['outro', 'intro'] }],
      items,
      events: () => {},
    });
    expect(out.map((o) => [o.output, o.inputs])).toEqual([
      ['post/stitch-en.mp4', ['g2', 'g1']],
      ['post/stitch-de.mp4', ['g3']],
    ]);
    expect((await probe(join(dir, 'post/stitch-de.mp4'))).durationS).toBeCloseTo(2, 0);
  });

  it('leaves out failed, missing and corrupt clips, reports them, and still makes the output', async () => {
    const dir = await tempRunDir();
    const items = await Promise.all([
      makeItem(dir, { id: 'ok1', index: 0 }),
      makeItem(dir, { id: 'bad', index: 1 }),
      makeItem(dir, { id: 'gone', index: 2, noFile: true }),
      makeItem(dir, { id: 'fail', index: 3, state: 'failed' }),
      makeItem(dir, { id: 'short', index: 4 }),
      makeItem(dir, { id: 'ok2', index: 5 }),
    ]);
    // `bad`: garbage with the recorded size (only ffprobe can tell); `short`: truncated after download.
    const bad = items[1]!.record.clip!;
    await writeFile(join(dir, bad.path), Buffer.alloc(bad.bytes, 7));
    await truncate(join(dir, items[4]!.record.clip!.path), 500);
    const { events, sink } = collect();
    const out = await runPostSteps({ runDir: dir, steps: [], items, events: sink });
    const stitch = out.find((o) => o.step === 'stitch')!;
    expect(stitch).toMatchObject({ kind: 'made', inputs: ['ok1', 'ok2'] });
    expect(stitch.excluded?.map((e) => e.job).sort()).toEqual(['bad', 'fail', 'gone', 'short']);
    expect(stitch.excluded?.find((e) => e.job === 'bad')?.reason).toMatch(/corrupt/);
    expect(stitch.excluded?.find((e) => e.job === 'short')?.reason).toMatch(/corrupt.*500 bytes/);
    expect(stitch.excluded?.find((e) => e.job === 'gone')?.reason).toMatch(/missing/);
    expect(stitch.excluded?.find((e) => e.job === 'fail')?.reason).toMatch(/failed: moderation_blocked/);
    expect(stitch.message).toMatch(/left out 4/);
    expect(out.filter((o) => o.step === 'thumbnails').map((o) => o.output)).toEqual(['thumbs/ok1.jpg', 'thumbs/ok2.jpg']);
    expect(events.some((e) => e.kind === 'post.failed')).toBe(false);
  });

  it('reports a group with no usable clip as skipped, and a failing output without stopping the others', async () => {
    const dir = await tempRunDir();
    const items = await Promise.all([
      makeItem(dir, { id: 'x1', index: 0, fields: { g: 'a' }, state: 'failed' }),
      makeItem(dir, { id: 'y1', index: 1, fields: { g: 'b' } }),
      makeItem(dir, { id: 'z1', index: 2, fields: { g: 'c' } }),
    ]);
    // A directory where group b's output should go: the rename into place fails.
    await mkdir(join(dir, 'post/stitch-b.mp4'), { recursive: true });
    const { events, sink } = collect();
    const out = await runPostSteps({ runDir: dir, steps: [{ kind: 'stitch', group_by: 'g' }], items, events: sink });
    expect(out.map((o) => [o.output, o.kind])).toEqual([
      ['post/stitch-a.mp4', 'skipped'],
      ['post/stitch-b.mp4', 'failed'],
      ['post/stitch-c.mp4', 'made'],
    ]);
    expect(out[0]!.message).toMatch(/no usable clips.*x1 \(failed/);
    expect(out[1]!.message).toBeTruthy();
    expect(events.filter((e) => e.kind === 'post.failed').map((e) => e.kind === 'post.failed' && e.output)).toEqual(['post/stitch-b.mp4']);
    expect(existsSync(join(dir, 'post/stitch-c.mp4'))).toBe(true);
  });
});

describe('idempotence', () => {
  let dir: string;
  let items: ReportItem[];
  beforeAll(async () => {
    dir = await tempRunDir();
    items = await Promise.all([
      makeItem(dir, { id: 'i1', index: 0, fields: { g: 'x' } }),
      makeItem(dir, { id: 'i2', index: 1, fields: { g: 'x' } }),
    ]);
  });

  it('skips up-to-date outputs on a re-run and leaves their files untouched', async () => {
    const steps = [{ kind: 'thumbnails' as const }, { kind: 'stitch' as const }, { kind: 'grid' as const, group_by: 'g' }];
    const first = await runPostSteps({ runDir: dir, steps, items, events: () => {} });
    expect(first.map((o) => o.kind)).toEqual(['made', 'made', 'made', 'made']);
    const mtimes = await Promise.all(first.map(async (o) => (await stat(join(dir, o.output))).mtimeMs));
    const { events, sink } = collect();
    const second = await runPostSteps({ runDir: dir, steps, items, events: sink });
    expect(second.map((o) => o.kind)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(await Promise.all(second.map(async (o) => (await stat(join(dir, o.output))).mtimeMs))).toEqual(mtimes);
    expect(events.every((e) => e.kind !== 'post.started')).toBe(true);
  });

  it('rebuilds an output whose input changed or whose file was deleted', async () => {
    await makeClip(join(dir, 'clips/i2.mp4'), { seconds: 2 });
    const s = await stat(join(dir, 'clips/i2.mp4'));
    const changed = items.map((it) =>
      it.job.id === 'i2' ? { ...it, record: { ...it.record, clip: { ...it.record.clip!, sha256: 'changed', bytes: s.size } } } : it,
    );
    const out = await runPostSteps({ runDir: dir, steps: [{ kind: 'stitch' }], items: changed, events: () => {} });
    expect(out[0]!.kind).toBe('made');
    expect(Math.abs((await probe(join(dir, 'post/stitch.mp4'))).durationS - 3)).toBeLessThanOrEqual(0.1);
  });
});

describe('abort', () => {
  it('stops an output mid-build, leaves no partial file and throws InterruptedError', async () => {
    const dir = await tempRunDir();
    const items = await Promise.all([makeItem(dir, { id: 'a1' }), makeItem(dir, { id: 'a2', index: 1, width: 90, height: 160 })]);
    const ac = new AbortController();
    const events: RunEvent[] = [];
    const run = runPostSteps({
      runDir: dir,
      steps: [{ kind: 'stitch' }],
      items,
      signal: ac.signal,
      events: (e) => {
        events.push(e);
        if (e.kind === 'post.started') ac.abort(); // ffmpeg is spawned with an aborted signal
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'InterruptedError' });
    expect(existsSync(join(dir, 'post/stitch.mp4'))).toBe(false);
    expect((await readdir(join(dir, 'post'))).filter((f) => f.includes('partial'))).toEqual([]);
    expect(events.some((e) => e.kind === 'post.failed')).toBe(false);
  });

  it('throws InterruptedError when the signal is already aborted', async () => {
    const dir = await tempRunDir();
    const items = [await makeItem(dir, { id: 'a1' })];
    const ac = new AbortController();
    ac.abort();
    await expect(runPostSteps({ runDir: dir, steps: [], items, events: () => {}, signal: ac.signal })).rejects.toMatchObject({
      name: 'InterruptedError',
    });
  });
});
