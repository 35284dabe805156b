/**
 * Post-step overhead against bare ffmpeg on the same files (median of a few runs):
 *  - stitch of compatible clips via runPostSteps (probe every clip, decide, concat -c copy,
 *    record state) vs `ffmpeg -f concat -c copy` alone. Goal ≤ 1.2×.
 *  - 4-tile grid via runPostSteps (fps, scale+pad, tpad, drawtext labels, xstack) vs a bare
 *    scale + xstack command with the same encoder settings. Goal ≤ 1.5×.
 * Run: node --import tsx bench/media.bench.ts [--quick]
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg } from '../src/media/ffmpeg.ts';
import { runPostSteps } from '../src/post/runner.ts';
import type { PostStep } from '../src/manifest/types.ts';
import type { ReportItem } from '../src/report/types.ts';
import { makeItem, tempRunDir } from '../test/media/helpers.ts';

const QUICK = process.argv.includes('--quick'); // `npm run bench -- --quick`: fewer, shorter runs
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 3 : 5));
const CLIPS = Number(process.env.BENCH_CLIPS ?? 8);
const SECONDS = QUICK ? 2 : 4;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Alternate the two contenders run by run so drift (cache, thermal) hits both alike. */
async function compare(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<{ a: number; b: number }> {
  const fresh = () => rm(join(dir, 'post'), { recursive: true, force: true }); // rebuild: measure work, not the skip
  await fresh();
  await a();
  await b(); // warm-up: page cache, binary load
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await fresh();
    ta.push(await time(a));
    tb.push(await time(b));
  }
  return { a: median(ta), b: median(tb) };
}

async function post(dir: string, items: ReportItem[], steps: PostStep[]): Promise<void> {
  const out = await runPostSteps({ runDir: dir, steps, items, events: () => {} });
  const bad = out.find((o) => o.kind !== 'made');
  if (bad) throw new Error(`${bad.output}: ${bad.kind} ${bad.message ?? ''}`);
}

const dir = await tempRunDir('shotlist-bench-');
const items = await Promise.all(
  Array.from({ length: CLIPS }, (_, i) =>
    makeItem(dir, {
      id: `b${i}`,
      index: i,
      seconds: SECONDS,
      width: 1280,
      height: 720,
      fps: 24,
      source: 'testsrc2',
      provider: ['openai', 'fal', 'replicate', 'apidot'][i % 4]!,
      model: `model-${i % 4}`,
    }),
  ),
);
const abs = items.map((it) => join(dir, it.record.clip!.path));

// Stitch: all clips, stream copy.
const list = join(dir, 'bare-list.txt');
await writeFile(list, abs.map((p) => `file '${p}'`).join('\n') + '\n');
const stitch = await compare(
  () => post(dir, items, [{ kind: 'stitch' }]),
  () => runFfmpeg(['-f', 'concat', '-safe', '0', '-i', list, '-map', '0', '-c', 'copy', join(dir, 'bare-stitch.mp4')]),
);

// Grid: the first four clips, 2×2 of 640×360 tiles.
const four = items.slice(0, 4).map((it) => ({ ...it, job: { ...it.job, fields: { ...it.job.fields, g: 'one' } } }));
const bareGraph =
  [0, 1, 2, 3].map((i) => `[${i}:v]scale=640:360,setsar=1[t${i}]`).join(';') +
  ';[t0][t1][t2][t3]xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0[out]';
const grid = await compare(
  () => post(dir, four, [{ kind: 'grid', group_by: 'g' }]),
  () =>
    runFfmpeg([
      ...abs.slice(0, 4).flatMap((p) => ['-i', p]),
      '-filter_complex',
      bareGraph,
      '-map',
      '[out]',
      '-an',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      join(dir, 'bare-grid.mp4'),
    ]),
);

const line = (name: string, r: { a: number; b: number }, goal: number): string => {
  const ratio = r.a / r.b;
  return `${name.padEnd(34)} shotlist ${r.a.toFixed(0).padStart(6)} ms   bare ffmpeg ${r.b.toFixed(0).padStart(6)} ms   ratio ${ratio.toFixed(2)}× (goal ≤ ${goal}×) ${ratio <= goal ? 'OK' : 'OVER'}`;
};
console.log(`media bench: ${CLIPS} clips of 1280x720 ${SECONDS} s, median of ${RUNS} runs`);
console.log(line(`stitch ${CLIPS} clips (concat -c copy)`, stitch, 1.2));
console.log(line('grid 2x2 (xstack, labels)', grid, 1.5));
await rm(dir, { recursive: true, force: true });
