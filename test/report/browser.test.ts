/**
 * The report in real Chromium, opened from disk: videos load, totals match results.json,
 * filters work, synced playback, and picks export as CSV. Skips locally without Chromium;
 * fails in CI (CI=true) when it is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runPostSteps } from '../../src/post/runner.ts';
import { CARDS_PER_CHUNK, GROUPS_PER_CHUNK, writeReport, writeReportOf } from '../../src/report/html.ts';
import { syntheticResults } from '../helpers/report.ts';
import { writeResults, type Results } from '../../src/report/results.ts';
import { makeItem, tempRunDir, removeTempDirs } from '../media/helpers.ts';
import { writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { runInProcess } from '../helpers/cli.ts';
import { readQc } from '../../src/post/qc.ts';
import { runFfmpeg } from '../../src/media/ffmpeg.ts';

afterAll(removeTempDirs);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const mustRun = process.env.CI === 'true' || process.env.CI === '1';

describe.skipIf(!available && !mustRun)('report.html in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let results: Results;
  let dir: string;
  const requests: string[] = [];

  beforeAll(async () => {
    if (!available) throw new Error(`CI: Chromium is required for the report test but ${CHROMIUM} does not exist`);
    dir = await tempRunDir('shotlist-report-');
    const prompt = 'Neon street <script>alert(1)</script> & "rain"';
    const items = await Promise.all([
      makeItem(dir, { id: 'h1', shot: 'hero', index: 0, provider: 'openai', model: 'sora-2', prompt, seed: 1, seconds: 1.5, usd: 0.15 }),
      makeItem(dir, { id: 'h2', shot: 'hero', index: 0, provider: 'fal', model: 'veo-3', prompt, seed: 1, usd: 0.4 }),
      makeItem(dir, { id: 'h3', shot: 'hero', index: 0, provider: 'replicate', model: 'kling', prompt, seed: 1, usd: 0.25 }),
      makeItem(dir, { id: 'd1', shot: 'detail', index: 1, take: 1, provider: 'fal', model: 'veo-3', usd: 0.4 }),
      makeItem(dir, { id: 'd2', shot: 'detail', index: 1, take: 2, provider: 'fal', model: 'veo-3', usd: 0.4 }),
      makeItem(dir, { id: 'f1', shot: 'tagline', index: 2, provider: 'openai', model: 'sora-2', state: 'failed', usd: 0.1 }),
      // A defective (black) clip: QC flags it, the report shows a badge and can filter to it.
      makeItem(dir, {
        id: 'b1',
        shot: 'night',
        index: 3,
        provider: 'apidot',
        model: 'hailuo',
        video: 'color=c=black:size=160x90:rate=24:duration=1',
      }),
    ]);
    // A reference image outside the run dir: the report shows it as a thumbnail copied inside.
    const refDir = await tempRunDir('shotlist-report-ref-');
    const refImage = join(refDir, 'storyboard.png');
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360', '-frames:v', '1', refImage]);
    items[3]!.job.image = refImage;
    const post = await runPostSteps({
      runDir: dir,
      steps: [{ kind: 'thumbnails' }, { kind: 'grid', group_by: ['baseId', 'seed'], order_by: 'provider' }],
      items,
      events: () => {},
    });
    const qc = await readQc(dir);
    await writeResults(dir, items, post, { name: 'browser-test', qc });
    await writeReport(dir, items, post, { name: 'browser-test', qc });
    results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    page = await browser.newPage({ acceptDownloads: true });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('loads every video from disk and fetches nothing from the network', async () => {
    const count = await page.locator('video').count();
    // 5 job cards with clips + per comparison (3 hero tiles + grid, 2 detail tiles + grid) + grid output cards
    expect(count).toBeGreaterThanOrEqual(6 + 4 + 3);
    // Job-card videos load lazily (preload=none, src set near the viewport, for 10,000-job reports); load all here.
    expect(await page.locator('.card[data-job] video[preload="none"]').count()).toBe(6);
    await page.evaluate(() => (window as unknown as { shotlistReport: { loadAll(): void } }).shotlistReport.loadAll());
    await page.$$eval('video[preload="none"]', (vs) => vs.forEach((v) => ((v as HTMLVideoElement).preload = 'metadata')));
    await page.waitForFunction(() => Array.from(document.querySelectorAll('video')).every((v) => v.readyState >= 1 || v.error), null, {
      timeout: 120_000,
    });
    const states = await page.$$eval('video', (vs) =>
      vs.map((v) => ({ src: v.currentSrc, ready: v.readyState, err: v.error?.code ?? 0, d: v.duration })),
    );
    for (const s of states) {
      expect(s, s.src).toMatchObject({ err: 0 });
      expect(s.ready, s.src).toBeGreaterThanOrEqual(1);
      expect(s.d, s.src).toBeGreaterThan(0.5);
    }
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !/^(file|blob|data):/.test(u))).toEqual([]);
  });

  it('shows counts and totals that match results.json, and escapes user text', async () => {
    const total = async (k: string) => page.locator(`[data-total="${k}"]`).getAttribute('data-value');
    expect(Number(await total('jobs'))).toBe(results.totals.jobs);
    expect(Number(await total('plannedUsd'))).toBeCloseTo(results.totals.plannedUsd, 6);
    expect(Number(await total('spentUsd'))).toBeCloseTo(results.totals.spentUsd, 6);
    for (const [state, n] of Object.entries(results.totals.states)) expect(Number(await total(`state:${state}`))).toBe(n);
    expect(await page.locator('.card[data-job]').count()).toBe(results.jobs.length);
    expect(await page.locator('.failures li').count()).toBe(1);
    await expect.poll(() => page.locator('.failures').innerText()).toContain('moderation_blocked');
    // The prompt's <script> is text, not markup, and did not run.
    expect(await page.locator('.card[data-job="h1"] .prompt').textContent()).toBe('Neon street <script>alert(1)</script> & "rain"');
    expect(await page.locator('.card script').count()).toBe(0);
  });

  it('filters jobs by provider, model and state', async () => {
    const visible = () => page.locator('.card[data-job]:not(.hidden)').count();
    await page.selectOption('select[data-filter=provider]', 'fal');
    expect(await visible()).toBe(results.jobs.filter((j) => j.provider === 'fal').length);
    await page.selectOption('select[data-filter=model]', 'veo-3');
    expect(await visible()).toBe(3);
    await page.selectOption('select[data-filter=provider]', '');
    await page.selectOption('select[data-filter=model]', '');
    await page.selectOption('select[data-filter=state]', 'failed');
    expect(await visible()).toBe(1);
    expect(await page.locator('#shown').innerText()).toBe(`1 of ${results.jobs.length} jobs`);
    await page.selectOption('select[data-filter=state]', '');
    expect(await visible()).toBe(results.jobs.length);
  });

  it('plays and seeks a comparison row in sync', async () => {
    const row = page.locator('.compare').first();
    await row
      .locator('video')
      .first()
      .evaluate((v: HTMLVideoElement) => {
        v.currentTime = 0.5;
      });
    await expect
      .poll(() => row.locator('video').evaluateAll((vs) => vs.map((v) => Math.round((v as HTMLVideoElement).currentTime * 10) / 10)))
      .toEqual([0.5, 0.5, 0.5, 0.5]);
    await row
      .locator('video')
      .nth(1)
      .evaluate((v: HTMLVideoElement) => v.play());
    await expect.poll(() => row.locator('video').evaluateAll((vs) => vs.every((v) => !(v as HTMLVideoElement).paused))).toBe(true);
    await row
      .locator('video')
      .nth(2)
      .evaluate((v: HTMLVideoElement) => v.pause());
    await expect.poll(() => row.locator('video').evaluateAll((vs) => vs.every((v) => (v as HTMLVideoElement).paused))).toBe(true);
  });

  it('exports one pick per group as CSV', async () => {
    const groups = await page.locator('.compare[data-group]').evaluateAll((els) => els.map((e) => e.getAttribute('data-group')));
    expect(groups).toEqual(['hero · 1', 'detail', 'night']);
    await page.locator('.compare').nth(0).locator('input[value=h2]').check();
    await page.locator('.compare').nth(1).locator('input[value=d1]').check();
    await page.locator('.compare').nth(1).locator('input[value=d2]').check(); // a change of mind: radio keeps one
    expect(await page.locator('#pickcount').innerText()).toBe('2 of 3 groups picked');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-picks')]);
    expect(download.suggestedFilename()).toBe('browser-test-picks.csv');
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.trim().split('\r\n')).toEqual([
      'group,job_id,shot,provider,model,clip',
      'hero · 1,h2,hero,fal,veo-3,clips/h2.mp4',
      'detail,d2,detail,fal,veo-3,clips/d2.mp4',
    ]);
  });

  it('labels every tile distinctly within its group, in a caption below the picture', async () => {
    const labels = await page
      .locator('.compare')
      .evaluateAll((rows) => rows.map((r) => Array.from(r.querySelectorAll('.tile .label')).map((l) => l.textContent ?? '')));
    for (const group of labels) expect(new Set(group).size, group.join(' | ')).toBe(group.length);
    expect(labels[1]).toEqual(['take 1', 'take 2']);
  });

  it('shows an image reference as a thumbnail from inside the run dir', async () => {
    const img = page.locator('.card[data-job="d1"] .ref img');
    await img.scrollIntoViewIfNeeded(); // loading=lazy: it loads when it comes into view
    await expect.poll(() => img.evaluate((i: HTMLImageElement) => (i.complete ? i.naturalWidth : 0))).toBeGreaterThan(0);
    const src = await img.evaluate((i: HTMLImageElement) => i.src);
    expect(src.startsWith(pathToFileURL(join(dir, 'refs')).href + '/')).toBe(true);
    expect(await page.locator('.card[data-job="d1"] .ref figcaption').innerText()).toBe('reference: storyboard.png');
  });

  it('shows QC badges and filters to flagged clips', async () => {
    expect(await page.locator('.card[data-job="b1"] .qc-bad').textContent()).toContain('black');
    expect(await page.locator('.card[data-job="h1"] .qc-ok').count()).toBe(1);
    await page.selectOption('select[data-filter=qc]', 'flagged');
    expect(await page.locator('.card[data-job]:not(.hidden)').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-job')))).toEqual([
      'b1',
    ]);
    await page.selectOption('select[data-filter=qc]', '');
  });

  it('picks with the keyboard, keeps picks across a reload, and export delivers them', async () => {
    await page.keyboard.press('j');
    await page.keyboard.press('3');
    await page.keyboard.press('j');
    await page.keyboard.press('1');
    await page.reload();
    expect(
      await page.locator('input[type=radio][data-group]:checked').evaluateAll((rs) => rs.map((r) => (r as HTMLInputElement).value)),
    ).toEqual(['h3', 'd1']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-picks')]);
    const csv = await readFile((await download.path())!, 'utf8');
    await writeFile(join(dir, 'my picks.csv'), csv);
    // The picks made here go through `shotlist export` (in-process, as a user would call it).
    const cli = await runInProcess(['export', dir, '--picks', 'my picks.csv', '--brand', 'acme'], { cwd: dir });
    expect(cli, cli.err).toMatchObject({ code: 0 });
    expect(cli.out).toContain(`delivered 2 file(s) to ${join(dir, 'delivery')}`);
    const manifest = JSON.parse(await readFile(join(dir, 'delivery', 'delivery.json'), 'utf8')) as {
      files: Array<{ file: string; job: string; sha256: string; bytes: number; source: string }>;
    };
    expect(manifest.files.map((f) => [f.job, f.file])).toEqual([
      ['h3', 'acme_hero_16x9_1s_kling_take1.mp4'],
      ['d1', 'acme_detail_16x9_1s_veo-3_take1.mp4'],
    ]);
    expect((await readdir(join(dir, 'delivery'))).sort()).toEqual(
      ['delivery.csv', 'delivery.json', ...manifest.files.map((f) => f.file)].sort(),
    );
    for (const f of manifest.files) {
      const bytes = await readFile(join(dir, 'delivery', f.file));
      expect(createHash('sha256').update(bytes).digest('hex'), f.file).toBe(f.sha256);
      expect(bytes.length).toBe(f.bytes);
      // The delivered bytes are the clip the run downloaded, unchanged.
      expect(f.sha256).toBe(results.jobs.find((j) => j.id === f.job)?.clip?.sha256);
    }
    const csvRows = (await readFile(join(dir, 'delivery', 'delivery.csv'), 'utf8')).trim().split(/\r?\n/);
    expect(csvRows).toHaveLength(3);
  });

  it('opens a 1,000-job report with a bounded number of media elements, and still filters, counts and picks every job', async () => {
    const big = await tempRunDir('shotlist-report-1000-');
    await writeReportOf(big, syntheticResults(1000));
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await p.goto(pathToFileURL(join(big, 'report.html')).href);
      const initial = await p.evaluate(() => ({
        media: document.querySelectorAll('video, img').length,
        loading: Array.from(document.querySelectorAll('video')).filter((v) => v.getAttribute('src')).length,
        cards: document.querySelectorAll('.card[data-job]').length,
        groups: document.querySelectorAll('.compare[data-group]').length,
      }));
      // 1,000 cards and 250 groups of four exist, but only the first chunks are in the page and only
      // videos near the viewport have a source.
      expect(initial.media).toBeLessThanOrEqual(CARDS_PER_CHUNK + GROUPS_PER_CHUNK * 4);
      expect(initial.loading).toBeLessThanOrEqual(24);
      expect(initial.cards).toBe(CARDS_PER_CHUNK);
      expect(initial.groups).toBe(GROUPS_PER_CHUNK);
      // Counts and filters cover every job, rendered or not.
      expect(await p.locator('#shown').innerText()).toBe('1000 of 1000 jobs');
      expect(await p.locator('#pickcount').innerText()).toBe('0 of 250 groups picked');
      await p.selectOption('select[data-filter=qc]', 'flagged');
      expect(await p.locator('#shown').innerText()).toBe('24 of 1000 jobs');
      await p.selectOption('select[data-filter=qc]', '');
      // Scrolling to the end renders more rows; the keyboard reaches a group far down and picks in it.
      await p.evaluate(() => {
        (document.activeElement as HTMLElement | null)?.blur();
        window.scrollTo(0, document.documentElement.scrollHeight);
      });
      await expect.poll(() => p.locator('.card[data-job]').count()).toBeGreaterThan(CARDS_PER_CHUNK);
      for (let i = 0; i < GROUPS_PER_CHUNK + 2; i++) await p.keyboard.press('j'); // into the second chunk
      await p.keyboard.press('2');
      expect(await p.locator('.compare.current').getAttribute('data-group')).toBe(`shot-${String(GROUPS_PER_CHUNK + 1).padStart(5, '0')}`);
      expect(await p.locator('#pickcount').innerText()).toBe('1 of 250 groups picked');
      expect(await p.evaluate(() => (window as unknown as { shotlistPicksCsv(): string }).shotlistPicksCsv())).toContain(
        `shot-${String(GROUPS_PER_CHUNK + 1).padStart(5, '0')},job${String((GROUPS_PER_CHUNK + 1) * 4 + 1).padStart(6, '0')},`,
      );
    } finally {
      await p.close();
    }
  });

  for (const width of [1280, 390]) {
    it(`has no horizontal overflow or clipped text at ${width} px`, async () => {
      await page.setViewportSize({ width, height: 900 });
      const over = await page.evaluate(() => {
        const doc = document.documentElement;
        const bad: string[] = [];
        if (doc.scrollWidth > doc.clientWidth + 1) bad.push(`page ${doc.scrollWidth} > ${doc.clientWidth}`);
        document.querySelectorAll('.badge, .tile .label, .kv dd, .title .who, .toolbar label').forEach((el) => {
          const e = el as HTMLElement;
          if (e.offsetParent && e.scrollWidth > e.clientWidth + 1) bad.push(`${e.className || e.tagName}: ${e.textContent}`);
        });
        return bad;
      });
      expect(over).toEqual([]);
    });
  }
});
