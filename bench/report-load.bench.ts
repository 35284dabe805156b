/**
 * Report load at scale (issue 12): synthetic results of 1,000 and 10,000 jobs (no clips needed)
 * rendered to report.html and opened in Chromium. Prints, median of 3 page loads each:
 * first contentful paint, interactive (the inline script has run: DOMContentLoaded end), and how
 * long a filter change and a keyboard step take in the page once it is open.
 * Run: node --import tsx bench/report-load.bench.ts [--quick]   (--quick: 1,000 jobs only)
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { writeReportOf } from '../src/report/html.ts';
import { syntheticResults } from '../test/helpers/report.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`skipped: no Chromium at ${CHROMIUM}`);
  process.exit(0);
}
const sizes = process.argv.includes('--quick') ? [1000] : [1000, 10_000];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Sample {
  fcp: number;
  interactive: number;
  filter: number;
  key: number;
  media: number;
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const dir = await mkdtemp(join(tmpdir(), 'shotlist-report-load-'));
try {
  console.log('jobs    html MB  first paint  interactive  filter  key step  media elements');
  for (const n of sizes) {
    const sub = join(dir, String(n));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(sub);
    await writeReportOf(sub, syntheticResults(n));
    const mb = (await stat(join(sub, 'report.html'))).size / 1e6;
    const samples: Sample[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(join(sub, 'report.html')).href, { waitUntil: 'load' });
      samples.push(
        await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
          const select = document.querySelector<HTMLSelectElement>('select[data-filter=qc]');
          let t = performance.now();
          if (select) {
            select.value = 'flagged';
            select.dispatchEvent(new Event('change'));
            void document.body.offsetHeight;
            select.value = '';
            select.dispatchEvent(new Event('change'));
            void document.body.offsetHeight;
          }
          const filter = (performance.now() - t) / 2;
          t = performance.now();
          document.dispatchEvent(new KeyboardEvent('keydown', { key: 'j', bubbles: true }));
          void document.body.offsetHeight;
          const key = performance.now() - t;
          return { fcp, interactive: nav.domContentLoadedEventEnd, filter, key, media: document.querySelectorAll('video, img').length };
        }),
      );
      await page.close();
    }
    const m = (k: keyof Sample): string => `${Math.round(median(samples.map((s) => s[k])))}`;
    console.log(
      `${String(n).padEnd(7)} ${mb.toFixed(1).padStart(7)}  ${`${m('fcp')} ms`.padStart(11)}  ${`${m('interactive')} ms`.padStart(11)}  ${`${m('filter')} ms`.padStart(6)}  ${`${m('key')} ms`.padStart(8)}  ${m('media').padStart(14)}`,
    );
  }
} finally {
  await browser.close();
  await rm(dir, { recursive: true, force: true });
}
