/**
 * Renders a report over sample clips and screenshots it to docs/report.png.
 * Run: node --import tsx bench/report-screenshot.ts [out.png]
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { runPostSteps } from '../src/post/runner.ts';
import { writeReport } from '../src/report/html.ts';
import { writeResults } from '../src/report/results.ts';
import { makeItem, tempRunDir } from '../test/media/helpers.ts';

const out = resolve(process.argv[2] ?? 'docs/report.png');
const dir = await tempRunDir('shotlist-report-shot-');
const hero = 'A compact electric car on a rain-soaked neon street at night, slow dolly-in, reflections on wet asphalt';
const items = await Promise.all([
  makeItem(dir, {
    id: '3f9a1c02',
    shot: 'hero',
    index: 0,
    provider: 'openai',
    model: 'sora-2',
    prompt: hero,
    seed: 42,
    seconds: 2,
    width: 320,
    height: 180,
    source: 'testsrc2',
    usd: 0.2,
  }),
  makeItem(dir, {
    id: '7b21e4d9',
    shot: 'hero',
    index: 0,
    provider: 'fal',
    model: 'veo-3.1-fast',
    prompt: hero,
    seed: 42,
    seconds: 2,
    width: 320,
    height: 180,
    source: 'smptehdbars',
    usd: 0.3,
  }),
  makeItem(dir, {
    id: 'c0d4a8e1',
    shot: 'hero',
    index: 0,
    provider: 'replicate',
    model: 'kling-2.5',
    prompt: hero,
    seed: 42,
    seconds: 2.5,
    width: 320,
    height: 180,
    source: 'smptebars',
    usd: 0.35,
  }),
  makeItem(dir, {
    id: '19e5bb70',
    shot: 'detail',
    index: 1,
    take: 1,
    provider: 'apidot',
    model: 'sora-2-pro',
    prompt: 'Macro shot of the charging port lighting up <blue>',
    seconds: 2,
    width: 320,
    height: 180,
    source: 'rgbtestsrc',
    usd: 0.6,
  }),
  makeItem(dir, {
    id: '5a77f310',
    shot: 'detail',
    index: 1,
    take: 2,
    provider: 'apidot',
    model: 'sora-2-pro',
    prompt: 'Macro shot of the charging port lighting up <blue>',
    seconds: 2,
    width: 320,
    height: 180,
    source: 'testsrc',
    usd: 0.6,
  }),
  makeItem(dir, {
    id: 'e81f0a5c',
    shot: 'tagline',
    index: 2,
    provider: 'sorapi',
    model: 'sora-2',
    prompt: 'Logo reveal with the words "Drive the future" & a lens flare',
    state: 'failed',
    usd: 0.4,
  }),
]);
const post = await runPostSteps({
  runDir: dir,
  steps: [
    { kind: 'thumbnails', at: '50%' },
    { kind: 'grid', group_by: ['baseId', 'seed'], order_by: 'model' },
    { kind: 'stitch', group_by: 'size' },
  ],
  items,
  events: () => {},
});
// The grid only makes sense for the hero shot (same prompt and seed); drop the single-clip ones.
const shown = post.filter((o) => o.step !== 'grid' || o.inputs.length > 1);
await writeResults(dir, items, shown, { name: 'spring-launch' });
await writeReport(dir, items, shown, { name: 'spring-launch' });

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) throw new Error(`chromium not found at ${executablePath}`);
const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(join(dir, 'report.html')).href);
  await page.waitForFunction(() => Array.from(document.querySelectorAll('video')).every((v) => v.readyState >= 1), null, {
    timeout: 15_000,
  });
  await page.locator('input[type=radio]').first().check();
  await mkdir(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`report: ${join(dir, 'report.html')}\nscreenshot: ${out}`);
} finally {
  await browser.close();
}
