/**
 * Clip QC against bare ffmpeg (issue 12): the `qc` post-step over N clips (resolve and probe each
 * clip, one analysis pass per clip in parallel within the cores, verdicts, post/qc.json) vs bare
 * ffmpeg running the same filters (`qcArgs`) on the same clips with the same parallelism.
 * Prints time per clip for both and the ratio, median of 3 alternated runs.
 * Run: node --import tsx bench/qc.bench.ts [--quick]
 */
import { availableParallelism } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { runFfmpeg } from '../src/media/ffmpeg.ts';
import { DEFAULT_QC, qcArgs } from '../src/post/qc-parse.ts';
import { runPostSteps } from '../src/post/runner.ts';
import type { ReportItem } from '../src/report/types.ts';
import { makeItem, removeTempDirs, tempRunDir } from '../test/media/helpers.ts';

const QUICK = process.argv.includes('--quick');
const CLIPS = Number(process.env.BENCH_CLIPS ?? (QUICK ? 4 : 8));
const SECONDS = QUICK ? 2 : 4;
const RUNS = 3;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const dir = await tempRunDir('shotlist-qc-bench-');
try {
  const items: ReportItem[] = await Promise.all(
    Array.from({ length: CLIPS }, (_, i) =>
      makeItem(dir, { id: `c${i}`, shot: `s${i}`, index: i, seconds: SECONDS, width: 640, height: 360, source: 'testsrc2' }),
    ),
  );
  const cores = availableParallelism();
  const step = async (): Promise<void> => {
    await rm(join(dir, 'post'), { recursive: true, force: true }); // rebuild: measure the work, not the skip
    const out = await runPostSteps({ runDir: dir, steps: [{ kind: 'qc' }], items, events: () => {}, fontFile: null });
    if (out.some((o) => o.kind === 'failed')) throw new Error('qc step failed');
  };
  const bare = async (): Promise<void> => {
    const limit = pLimit(cores);
    await Promise.all(items.map((it) => limit(() => runFfmpeg(qcArgs(join(dir, it.record.clip!.path), DEFAULT_QC, true)))));
  };
  await step();
  await bare(); // warm-up: page cache, binary load
  const ts: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    await step();
    ts.push(performance.now() - t0);
    t0 = performance.now();
    await bare();
    tb.push(performance.now() - t0);
  }
  const s = median(ts) / CLIPS;
  const b = median(tb) / CLIPS;
  console.log(`qc: ${CLIPS} clips of ${SECONDS}s 640x360, ${cores} cores, median of ${RUNS}`);
  console.log(`  qc post-step  ${s.toFixed(0).padStart(6)} ms/clip`);
  console.log(`  bare ffmpeg   ${b.toFixed(0).padStart(6)} ms/clip`);
  console.log(`  ratio         ${(s / b).toFixed(2)}x`);
} finally {
  await removeTempDirs();
}
