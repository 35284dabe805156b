/**
 * Executor benchmarks. Each prints the measured value, its bound or goal, and the ratio.
 *   node --import tsx bench/executor.bench.ts [--quick] [--only makespan,checkpoint,resume,rss]
 */
import { currentCreate } from '../src/providers/create-scope.ts';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../src/clock.ts';
import { startEmulator } from '../src/emulator/index.ts';
import type { ProbeResult } from '../src/media/ffmpeg.ts';
import type { Job } from '../src/plan/types.ts';
import { getProvider } from '../src/providers/index.ts';
import type { Provider, ProviderEnv, StatusOutcome, SubmitOutcome, TaskRef } from '../src/providers/types.ts';
import { loadCheckpoint, SNAPSHOT_FILE, JOURNAL_FILE } from '../src/run/checkpoint.ts';
import { executeRun, type ProviderBinding, type RunStats } from '../src/run/index.ts';
import type { JobRecord } from '../src/run/types.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : undefined;
const want = (name: string) => !only || only.includes(name);

function report(name: string, value: number, unit: string, bound: number, kind: 'bound' | 'goal', lowerIsBetter = true): void {
  const ratio = value / bound;
  const ok = lowerIsBetter ? ratio <= 1 : ratio >= 1;
  console.log(
    `${name.padEnd(44)} ${value.toFixed(value < 10 ? 3 : 1).padStart(10)} ${unit.padEnd(8)} ${kind} ${bound.toFixed(bound < 10 ? 3 : 1).padStart(9)}  ratio ${ratio.toFixed(3)} ${ok ? 'ok' : 'MISSED'}`,
  );
}

function job(i: number, over: Partial<Job> = {}): Job {
  return {
    id: `b${String(i).padStart(7, '0')}`,
    shotId: `shot-${i}`,
    baseId: `shot-${i}`,
    take: 1,
    index: i,
    provider: 'openai',
    model: 'sora-2',
    wireModel: 'sora-2',
    tier: 'standard',
    prompt: `benchmark shot ${i}: a lighthouse at dusk, slow pan`,
    seconds: 4,
    aspect: '16:9',
    resolution: '720p',
    size: { width: 1280, height: 720 },
    params: {},
    fields: { aspect: '16:9' },
    cost: { usd: 0.4, credits: null },
    source: { file: 'bench.yaml', line: i + 1, col: 3 },
    ...over,
  };
}

const tmp = () => mkdtemp(join(tmpdir(), 'shotlist-bench-'));

/** 1. Makespan and status requests per job against the emulator (OpenAI contract, poll hints on). */
async function makespan(): Promise<void> {
  const N = quick ? 100 : 1000;
  const renderMs = 2000;
  const rate = 600; // submits per minute
  const C = 50;
  const emu = await startEmulator({ render: 'shared', faults: { openai: { renderMs } } });
  const runDir = await tmp();
  try {
    const provider = getProvider('openai')!;
    const binding: ProviderBinding = {
      provider,
      env: { baseUrl: emu.baseUrls.openai, apiKey: 'bench', fetch, now: () => Date.now(), workDir: runDir },
      limits: { submit_per_min: rate, submit_burst: 1, polls_per_min: 100_000, max_in_flight: C, downloads: 8 },
      renderSeconds: () => renderMs / 1000,
      chargesFailures: false,
    };
    let stats: RunStats | undefined;
    const t0 = performance.now();
    const out = await executeRun({
      runDir,
      jobs: Array.from({ length: N }, (_, i) => job(i)),
      approvedUsd: N,
      bind: () => binding,
      clock: systemClock,
      signal: new AbortController().signal,
      events: () => {},
      onStats: (s) => (stats = s),
    });
    const seconds = (performance.now() - t0) / 1000;
    if (out.kind !== 'completed') throw new Error(`makespan run ended ${out.kind}: ${JSON.stringify(out.counts)}`);
    const latency = renderMs / 1000;
    const bound = Math.max(N / (rate / 60), (N * latency) / C) + latency;
    report(`makespan ${N} jobs (2 s render, ${rate}/min, ${C} in flight)`, seconds, 's', bound * 1.1, 'goal');
    console.log(
      `  lower bound max(N/rate, N·latency/C) + latency = ${bound.toFixed(1)} s; measured/bound = ${(seconds / bound).toFixed(3)} (goal ≤ 1.10)`,
    );
    const perJob = emu.counts('openai').statusGets / N;
    report('status requests per job (poll hints)', perJob, 'req', 2, 'goal');
    console.log(
      `  client-side count ${((stats?.statusRequests ?? 0) / N).toFixed(3)}/job; creates ${emu.counts('openai').creates} for ${N} jobs`,
    );
  } finally {
    await emu.stop();
    await rm(runDir, { recursive: true, force: true });
  }
}

/** A provider that answers instantly from memory: tasks finish `renderMs` after creation. */
function fakeProvider(renderMs: number, hintMs?: number): Provider & { created: number; finished: number } {
  const created = new Map<string, number>();
  const p = {
    name: 'apidot' as const,
    idempotentSubmit: false,
    created: 0,
    finished: 0,
    toRequest: (j: Job) => ({ ok: true as const, request: { method: 'POST' as const, path: '/x', json: { prompt: j.prompt } } }),
    async submit(_env: ProviderEnv, j: Job): Promise<SubmitOutcome> {
      const scope = currentCreate(); // what the real gate and transport do: wait for the turn, then reach the wire
      if (scope && !(await scope.turn())) return { kind: 'transient', message: 'interrupted' };
      await scope?.reach();
      const id = `task-${j.id}`;
      created.set(id, Date.now());
      p.created++;
      return { kind: 'accepted', task: { id }, pollAfterMs: hintMs };
    },
    async status(_env: ProviderEnv, task: TaskRef): Promise<StatusOutcome> {
      const left = (created.get(task.id) ?? 0) + renderMs - Date.now();
      if (left > 0) return { kind: 'running', progress: 50, pollAfterMs: left };
      p.finished++;
      return { kind: 'succeeded', outputs: [`fake://${task.id}`] };
    },
    contentRequest: (_env: ProviderEnv, task: TaskRef) => ({ url: `fake://${task.id}`, headers: {} }),
  };
  return p;
}

const CLIP = new Uint8Array(2048).fill(7);
const fakeFetch = (async () => new Response(CLIP, { headers: { 'content-length': String(CLIP.length) } })) as unknown as typeof fetch;
const fakeProbe = async (): Promise<ProbeResult> => ({
  durationS: 4,
  formatName: 'mp4',
  video: { codec: 'h264', width: 1280, height: 720, fps: 24, pixFmt: 'yuv420p' },
});

function fakeBinding(p: Provider, dir: string, inFlight: number): ProviderBinding {
  return {
    provider: p,
    env: { baseUrl: 'http://fake.invalid', apiKey: 'k', fetch: fakeFetch, now: () => Date.now(), workDir: dir },
    limits: { submit_per_min: 1e9, submit_burst: 1e6, polls_per_min: 1e9, max_in_flight: inFlight, downloads: 16 },
    renderSeconds: () => 0.05,
    chargesFailures: false,
  };
}

/** 2. Checkpoint bytes written per job through the real executor, 1k vs 10k jobs. */
async function checkpointBytes(): Promise<void> {
  const sizes = quick ? [500, 2000] : [1000, 10_000];
  const perJob: number[] = [];
  for (const n of sizes) {
    const dir = await tmp();
    try {
      let stats: RunStats | undefined;
      const p = fakeProvider(30, 30);
      const t0 = performance.now();
      const out = await executeRun({
        runDir: dir,
        jobs: Array.from({ length: n }, (_, i) => job(i, { provider: 'apidot' })),
        approvedUsd: n,
        bind: () => fakeBinding(p, dir, 500),
        clock: systemClock,
        signal: new AbortController().signal,
        events: () => {},
        probe: fakeProbe,
        onStats: (s) => (stats = s),
      });
      if (out.kind !== 'completed') throw new Error(`checkpoint run ended ${out.kind}`);
      const bytes = (stats?.checkpointBytes ?? 0) / n;
      perJob.push(bytes);
      console.log(
        `checkpoint bytes per job, ${String(n).padStart(6)} jobs ${bytes.toFixed(0).padStart(10)} B     (${((performance.now() - t0) / 1000).toFixed(1)} s run)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  report(`checkpoint bytes/job growth ${sizes[0]}→${sizes[1]}`, perJob[1]! / perJob[0]!, '×', 1.1, 'goal');
}

/** 3. Resume: load + replay a 100,000-job checkpoint (snapshot + a journal of 100,000 lines). */
async function resumeTime(): Promise<void> {
  const N = quick ? 20_000 : 100_000;
  const dir = await tmp();
  try {
    const jobs = Array.from({ length: N }, (_, i) => job(i));
    const records: Record<string, JobRecord> = {};
    for (const j of jobs) records[j.id] = { id: j.id, state: 'planned', attempts: 0, reservedUsd: 0, spentUsd: 0, timings: {} };
    await writeFile(join(dir, SNAPSHOT_FILE), JSON.stringify({ version: 1, seq: 0, approvedUsd: N, spentUsd: 0, jobs, records }));
    const lines: string[] = [];
    for (let i = 0; i < N; i++) {
      const j = jobs[i]!;
      const r: JobRecord = {
        id: j.id,
        state: 'submitted',
        attempts: 1,
        idempotencyKey: `${j.id}-1`,
        task: { id: `video_${i.toString(16).padStart(32, '0')}` },
        reservedUsd: 0.4,
        spentUsd: 0,
        timings: { submittingAt: 1_760_000_000_000 + i, submittedAt: 1_760_000_000_100 + i },
      };
      lines.push(JSON.stringify({ s: i + 1, r }));
    }
    await writeFile(join(dir, JOURNAL_FILE), `${lines.join('\n')}\n{"s":${N + 1},"r":{"id":"torn`);
    // Measured in a fresh process, as a resume is: this one's heap is full of the generated data.
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--load', dir, String(N)], {
      encoding: 'utf8',
    });
    const ms = Number(/load-ms (\d+(?:\.\d+)?)/.exec(child.stdout)?.[1]);
    if (!Number.isFinite(ms)) throw new Error(`resume bench child failed: ${child.stderr}`);
    report(`resume load+replay ${N} jobs`, ms / 1000, 's', 2, 'goal');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** 4. Peak RSS with 10,000 tasks in flight (fake provider: tasks stay running). */
async function rss(): Promise<void> {
  const N = quick ? 2000 : 10_000;
  const dir = await tmp();
  const ac = new AbortController();
  let peak = process.memoryUsage().rss;
  const base = peak;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const p = fakeProvider(60 * 60_000, 30_000);
    const run = executeRun({
      runDir: dir,
      jobs: Array.from({ length: N }, (_, i) => job(i, { provider: 'apidot' })),
      approvedUsd: N,
      bind: () => fakeBinding(p, dir, N),
      clock: systemClock,
      signal: ac.signal,
      events: () => {},
      probe: fakeProbe,
    });
    const t0 = Date.now();
    while (p.created < N && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    peak = Math.max(peak, process.memoryUsage().rss);
    const inFlight = p.created - p.finished;
    ac.abort();
    const out = await run;
    console.log(
      `  ${inFlight} tasks in flight after ${((Date.now() - t0) / 1000).toFixed(1)} s; run ended ${out.kind}; baseline RSS ${(base / 2 ** 20).toFixed(0)} MB`,
    );
    report(`peak RSS, ${N} tasks in flight`, peak / 2 ** 20, 'MB', 300, 'goal');
  } finally {
    clearInterval(sampler);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Child mode for the resume bench: load the checkpoint and print the time. */
async function loadOnly(dir: string, n: number): Promise<void> {
  const t0 = performance.now();
  const cp = await loadCheckpoint(dir);
  const ms = performance.now() - t0;
  if (!cp || Object.keys(cp.records).length !== n) throw new Error('resume bench: wrong record count');
  console.log(`load-ms ${ms.toFixed(1)}`);
}

const SECTIONS = ['resume', 'rss', 'checkpoint', 'makespan'] as const;
if (args.includes('--load')) {
  await loadOnly(args[args.indexOf('--load') + 1]!, Number(args[args.indexOf('--load') + 2]));
} else if (!only) {
  // Each section in its own process: heaps left over by one would skew the next one's figures.
  for (const name of SECTIONS) {
    const r = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--only', name, ...(quick ? ['--quick'] : [])],
      {
        stdio: 'inherit',
      },
    );
    if (r.status !== 0) process.exitCode = 1;
  }
} else {
  if (want('resume')) await resumeTime();
  if (want('rss')) await rss();
  if (want('checkpoint')) await checkpointBytes();
  if (want('makespan')) await makespan();
}
