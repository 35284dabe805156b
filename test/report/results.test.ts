import { describe, expect, it, afterAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { comparisonGroups } from '../../src/report/compare.ts';
import { esc, href, renderReport, writeReport } from '../../src/report/html.ts';
import { buildResults, probeClips as probeClipsOf, writeResults, type Results } from '../../src/report/results.ts';
import { neutralizeCell, resultsCsv } from '../../src/report/results-csv.ts';
import type { PostOutput } from '../../src/post/types.ts';
import { REQUEST_COLUMNS } from '../../src/manifest/request.ts';
import type { ReportItem } from '../../src/report/types.ts';
import { makeItem, makeJob, tempRunDir, removeTempDirs } from '../media/helpers.ts';

afterAll(removeTempDirs);

const NOW = Date.UTC(2026, 10, 21, 10, 0, 0);

function item(id: string, over: Partial<ReportItem['record']> = {}, spec: Parameters<typeof makeJob>[0] = { id }): ReportItem {
  const job = makeJob({ ...spec, id });
  return {
    job,
    record: {
      id,
      state: 'downloaded',
      attempts: 1,
      task: { id: `task-${id}` },
      reservedUsd: 0,
      spentUsd: job.cost.usd ?? 0,
      timings: { submittingAt: NOW - 60_000, submittedAt: NOW - 59_000, completedAt: NOW - 20_000, downloadedAt: NOW - 19_500 },
      clip: { path: `clips/${id}.mp4`, bytes: 1234, sha256: `sha-${id}`, durationS: 4, width: 1280, height: 720 },
      ...over,
    },
  };
}

const items: ReportItem[] = [
  item('j2', {}, { id: 'j2', shot: 'hero', index: 0, take: 2, usd: 0.1, seed: 7 }),
  item('j1', {}, { id: 'j1', shot: 'hero', index: 0, take: 1, usd: 0.2, prompt: 'Rain, "neon", and\na newline' }),
  item(
    'j3',
    {
      state: 'failed',
      clip: undefined,
      spentUsd: 0,
      error: { code: 'moderation_blocked', message: 'blocked, sorry' },
      timings: { submittingAt: NOW },
    },
    { id: 'j3', shot: 'tag', index: 1, usd: null },
  ),
];
const post: PostOutput[] = [
  { step: 'thumbnails', output: 'thumbs/j1.jpg', kind: 'made', inputs: ['j1'] },
  { step: 'thumbnails', output: 'thumbs/j2.jpg', kind: 'skipped', inputs: ['j2'], message: 'up to date' },
  { step: 'stitch', output: 'post/stitch-1280x720.mp4', kind: 'made', inputs: ['j1', 'j2'], group: '1280x720', method: 'copy' },
];

describe('results.json', () => {
  it('lists every job in manifest order with parameters, state, task, timings, cost, clip, thumbnail and error', async () => {
    const dir = await tempRunDir();
    const written = await writeResults(dir, items, post, { name: 'demo', now: () => NOW });
    const r = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results;
    expect(r).toEqual(JSON.parse(JSON.stringify(written)));
    expect(r.schema).toBe('shotlist.results/1');
    expect(r.generatedAt).toBe('2026-11-21T10:00:00.000Z');
    expect(r.jobs.map((j) => j.id)).toEqual(['j1', 'j2', 'j3']);
    const j1 = r.jobs[0]!;
    expect(j1).toMatchObject({
      shot: 'hero',
      take: 1,
      provider: 'openai',
      model: 'sora-2',
      state: 'downloaded',
      taskId: 'task-j1',
      parameters: { seconds: 1, aspect: '16:9', resolution: '720p', size: '160x90', seed: null },
      cost: { plannedUsd: 0.2, spentUsd: 0.2 },
      clip: { path: 'clips/j1.mp4', sha256: 'sha-j1', durationS: 4, width: 1280, height: 720, probe: null },
      thumbnail: 'thumbs/j1.jpg',
      error: null,
      timings: { submittedAt: '2026-11-21T09:59:01.000Z', generationS: 39, totalS: 40.5 },
    });
    expect(r.jobs[1]).toMatchObject({ thumbnail: 'thumbs/j2.jpg', parameters: { seed: 7 } });
    expect(r.jobs[2]).toMatchObject({
      state: 'failed',
      clip: null,
      thumbnail: null,
      error: { code: 'moderation_blocked' },
      cost: { plannedUsd: null },
    });
    expect(r.totals).toEqual({
      jobs: 3,
      states: { downloaded: 2, failed: 1 },
      plannedUsd: 0.3,
      spentUsd: 0.3,
      unpricedJobs: 1,
      clips: 2,
      clipSeconds: 8,
    });
    expect(r.post).toHaveLength(3);
  });
});

describe('results use the one request mapping (src/manifest/request.ts)', () => {
  it('parameters are every request field but provider/model/tier/prompt, snake_case, null when unset', () => {
    const it1 = item('p1', {}, { id: 'p1', seed: 9 });
    Object.assign(it1.job, { negativePrompt: 'blur', guidance: 6.5 });
    const r = buildResults([it1, item('p2')], [], { now: () => NOW });
    const [a, b] = r.jobs;
    expect(Object.keys(a!.parameters).sort()).toEqual(
      ['aspect', 'guidance', 'image', 'negative_prompt', 'params', 'resolution', 'seconds', 'seed', 'size'].sort(),
    );
    expect(a!.parameters).toMatchObject({
      negative_prompt: 'blur',
      guidance: 6.5,
      seed: 9,
      image: null,
      size: `${it1.job.size.width}x${it1.job.size.height}`,
    });
    expect(b!.parameters).toMatchObject({ negative_prompt: null, guidance: null, seed: null });
    const rows = parse(resultsCsv(r), { columns: true, bom: true }) as Array<Record<string, string>>;
    for (const col of REQUEST_COLUMNS) expect(Object.keys(rows[0]!)).toContain(col);
    expect(rows[0]).toMatchObject({ negative_prompt: 'blur', guidance: '6.5', seed: '9', tier: a!.tier, provider: a!.provider });
  });
});

describe('results.csv', () => {
  it('has one properly quoted row per job', async () => {
    const dir = await tempRunDir();
    await writeResults(dir, items, post, { now: () => NOW });
    const text = await readFile(join(dir, 'results.csv'), 'utf8');
    const rows = parse(text, { columns: true, bom: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.id)).toEqual(['j1', 'j2', 'j3']);
    expect(rows[0]).toMatchObject({
      prompt: 'Rain, "neon", and\na newline',
      state: 'downloaded',
      clip: 'clips/j1.mp4',
      planned_usd: '0.2',
    });
    expect(rows[2]).toMatchObject({
      state: 'failed',
      error_code: 'moderation_blocked',
      error_message: 'blocked, sorry',
      planned_usd: '',
      clip: '',
    });
    expect(text).toContain('"Rain, ""neon"", and\na newline"');
  });

  // Issue 12: "results.csv has no image column and no BOM (Excel garbles UTF-8)".
  it('starts with a UTF-8 BOM, has an image column and keeps non-ASCII text intact', async () => {
    const withImage = item('i1', {}, { id: 'i1', shot: 'café', prompt: 'Crème brûlée, 東京 at night' });
    withImage.job.image = 'refs/product shot.png';
    const bytes = Buffer.from(resultsCsv(buildResults([withImage], [], { now: () => NOW })), 'utf8');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { columns: true, bom: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toContain('image');
    expect(rows[0]).toMatchObject({ image: 'refs/product shot.png', shot: 'café', prompt: 'Crème brûlée, 東京 at night' });
  });

  it('neutralizes cells a spreadsheet would evaluate as a formula', async () => {
    const evil = item(
      'f1',
      { error: { code: '@SUM(A1)', message: '+cmd|calc' } },
      { id: 'f1', prompt: '=HYPERLINK("http://x","y")', shot: '-2+3' },
    );
    const rows = parse(resultsCsv(buildResults([evil], [], { now: () => NOW })), { columns: true, bom: true }) as Array<
      Record<string, string>
    >;
    expect(rows[0]).toMatchObject({
      prompt: `'=HYPERLINK("http://x","y")`,
      shot: "'-2+3",
      error_code: "'@SUM(A1)",
      error_message: "'+cmd|calc",
    });
    expect(neutralizeCell('\tx')).toBe("'\tx");
    expect(neutralizeCell(-1)).toBe(-1);
    expect(neutralizeCell('plain')).toBe('plain');
  });
});

describe('report.html (static checks)', () => {
  it('escapes user text and links files relatively', async () => {
    const evil = item(
      'e1',
      {},
      { id: 'e1', shot: 'x"><img src=x onerror=alert(1)>', prompt: '<script>alert(1)</script>', provider: 'a&b' },
    );
    const html = renderReport(buildResults([evil], [], { name: '<b>run</b>', now: () => NOW }));
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('<title>&#60;b&#62;run&#60;/b&#62; — shotlist report</title>');
    expect(html).toMatch(/src="clips\/e1\.mp4"/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(esc(`'"&<>`)).toBe('&#39;&#34;&#38;&#60;&#62;');
    expect(href('clips/a b#1.mp4')).toBe('clips/a%20b%231.mp4');
  });

  it('writes report.html with totals, failures and comparison rows', async () => {
    const dir = await tempRunDir();
    await writeReport(dir, items, post, { name: 'demo', now: () => NOW });
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('data-total="jobs" data-value="3"');
    expect(html).toContain('data-total="plannedUsd" data-value="0.3"');
    expect(html).toContain('Failures (1)');
    expect(html).toContain('post/stitch-1280x720.mp4');
    expect((html.match(/class="compare"/g) ?? []).length).toBe(1);
  });

  it('compares grid groups when there are grids, else shots with several clips', () => {
    const r = buildResults(items, post);
    expect(comparisonGroups(r)).toEqual([{ key: 'hero', title: 'hero', jobs: ['j1', 'j2'] }]);
    const withGrid = buildResults(items, [
      ...post,
      { step: 'grid', output: 'post/grid-hero.mp4', kind: 'made', inputs: ['j2', 'j1'], group: 'hero · 7' },
    ]);
    expect(comparisonGroups(withGrid)).toEqual([{ key: 'hero · 7', title: 'hero · 7', jobs: ['j2', 'j1'], grid: 'post/grid-hero.mp4' }]);
  });
});

describe('results.json clip probe', () => {
  it('records what each clip file holds, and null for an unreadable one', async () => {
    const dir = await tempRunDir();
    const good = await makeItem(dir, { id: 'p1', seconds: 1, fps: 25 });
    const gone = await makeItem(dir, { id: 'p2', index: 1, noFile: true });
    const r = await writeResults(dir, [good, gone], []);
    expect(r.jobs[0]!.clip!.probe).toMatchObject({
      video: { codec: 'h264', width: 160, height: 90, fps: 25, pixFmt: 'yuv420p' },
      audio: { codec: 'aac', channels: 1 },
    });
    expect(r.jobs[0]!.clip!.probe!.durationS).toBeCloseTo(1, 1);
    expect(r.jobs[1]!.clip!.probe).toBeNull();
  });

  it("reuses the download's recorded probe while the file is unchanged, and probes again once it changed", async () => {
    const { stat, utimes } = await import('node:fs/promises');
    const { makeClipResolver, probesOf } = await import('../../src/post/clips.ts');
    const dir = await tempRunDir();
    const it1 = await makeItem(dir, { id: 'q1', seconds: 1, fps: 25 });
    const clip = it1.record.clip!;
    const abs = join(dir, clip.path);
    const st = await stat(abs);
    // A marker no real probe returns: seen only when the recorded probe is used.
    const recorded = {
      durationS: 1,
      formatName: 'recorded-at-download',
      video: { codec: 'h264', width: 160, height: 90, fps: 25, pixFmt: 'yuv420p' },
    };
    clip.stamp = { mtimeMs: st.mtimeMs, ino: st.ino };
    clip.probe = recorded;
    expect((await probeClipsOf(dir, [it1])).get('q1')).toEqual(recorded);
    expect((await probesOf(makeClipResolver(dir, [it1]), [it1])).get('q1')).toEqual(recorded);
    // Touched since the download: the recorded probe no longer speaks for the file.
    await utimes(abs, new Date(), new Date(st.mtimeMs + 5000));
    expect((await probeClipsOf(dir, [it1])).get('q1')?.formatName).not.toBe('recorded-at-download');
    expect((await probesOf(makeClipResolver(dir, [it1]), [it1])).get('q1')?.formatName).not.toBe('recorded-at-download');
  });
});

describe('reference images (issue 12: "an image reference appears only as its file name")', () => {
  it('are downscaled into refs/ inside the run dir and shown as thumbnails; URLs and missing files keep the name only', async () => {
    const { runFfmpeg } = await import('../../src/media/ffmpeg.ts');
    const { referenceThumbs, REF_MAX_SIDE } = await import('../../src/report/refs.ts');
    const { probe } = await import('../../src/media/ffmpeg.ts');
    const dir = await tempRunDir('shotlist-refs-');
    const outside = await tempRunDir('shotlist-refs-src-');
    const image = join(outside, 'boards', 'frame 1.png');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(outside, 'boards'));
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=1280x720', '-frames:v', '1', image]);
    const jobs = [item('r1', {}, { id: 'r1' }), item('r2', {}, { id: 'r2' }), item('r3', {}, { id: 'r3' }), item('r4', {}, { id: 'r4' })];
    jobs[0]!.job.image = image;
    jobs[1]!.job.image = image; // shared: one thumbnail
    jobs[2]!.job.image = 'https://example.com/board.png';
    jobs[3]!.job.image = join(outside, 'gone.png');
    const refs = await referenceThumbs(dir, jobs);
    expect([...refs.keys()]).toEqual([image]);
    const rel = refs.get(image)!;
    expect(rel).toMatch(/^refs\/[0-9a-f]{16}\.jpg$/);
    const p = await probe(join(dir, rel));
    expect(Math.max(p.video!.width, p.video!.height)).toBe(REF_MAX_SIDE);
    const r = buildResults(jobs, [], { now: () => NOW, refs });
    expect(r.jobs.map((j) => j.imageThumbnail)).toEqual([rel, rel, null, null]);
    const html = renderReport(r);
    expect(html.match(/<figure class="ref"><img [^>]*src="refs\/[0-9a-f]{16}\.jpg"/g)).toHaveLength(2);
    expect(html).toContain('reference: frame 1.png');
    // Every link stays inside the run dir: relative, no parent steps, no absolute paths.
    for (const [, src] of html.matchAll(/\b(?:src|href|poster)="([^"]*)"/g)) expect(src).toMatch(/^(?![/\\]|[a-z]+:|.*\.\.)/i);
  });
});
