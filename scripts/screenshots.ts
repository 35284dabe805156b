/**
 * Refreshes the report screenshots in docs/ from the demo run, and checks the report at the two
 * widths it is reviewed at (no horizontal overflow, no clipped badges or labels).
 *   node --import tsx scripts/screenshots.ts [run-dir]     (default runs/demo)
 * Without a run there, runs the demo on the emulator first (`npm start`, about 3 minutes);
 * with one, re-renders its report (`shotlist post`) so the screenshots show the current code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const runDir = resolve(process.argv[2] ?? join(root, 'runs', 'demo'));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

// SHOTLIST_TSX: run the sources, not a dist/ build that may be older.
const cli = (args: string[]): void => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'shotlist.js'), ...args], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, SHOTLIST_TSX: '1' },
  });
  if (r.status !== 0) throw new Error(`shotlist ${args.join(' ')} exited ${r.status}`);
};
if (existsSync(join(runDir, 'results.json'))) cli(['post', runDir]);
else cli(['run', join(root, 'pipelines', 'demo.yaml'), '--emulate', '--yes', '--out', runDir]);

/** Elements whose content does not fit (the same check as test/report/browser.test.ts). */
function overflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) bad.push(`page ${doc.scrollWidth} > ${doc.clientWidth}`);
    document.querySelectorAll('.badge, .tile .label, .kv dd, .title .who, .toolbar label, .ref figcaption').forEach((el) => {
      const e = el as HTMLElement;
      if (e.offsetParent && e.scrollWidth > e.clientWidth + 1) bad.push(`${e.className || e.tagName}: ${e.textContent}`);
    });
    return bad;
  });
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  await mkdir(join(root, 'docs'), { recursive: true });
  for (const [width, file] of [
    [1280, 'report.png'],
    [390, 'report-mobile.png'],
  ] as const) {
    const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(join(runDir, 'report.html')).href);
    // Every row and poster in the page (lazy loading would leave the lower half blank in a full-page shot).
    await page.evaluate(() => (window as unknown as { shotlistReport: { loadAll(): void } }).shotlistReport.loadAll());
    await page.waitForFunction(() => Array.from(document.querySelectorAll('video')).every((v) => v.readyState >= 1 || v.error), null, {
      timeout: 30_000,
    });
    const radio = page.locator('input[type=radio]').first();
    if (await radio.count()) await radio.check();
    const bad = await overflow(page);
    if (bad.length) throw new Error(`report at ${width} px: ${bad.join('; ')}`);
    await page.evaluate(() => window.scrollTo(0, 0)); // checking a pick scrolled; the sticky toolbar belongs on top
    await page.screenshot({ path: join(root, 'docs', file), fullPage: true });
    console.log(`docs/${file}: ${width} px, no overflow`);
    await page.close();
  }
} finally {
  await browser.close();
}
