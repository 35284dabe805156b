/**
 * Makespan against what the SERVER allows. The emulator runs in its own process with an OpenAI-shaped
 * per-key limit; the bound is max(N / server rate, N · render / server concurrency) + render, computed
 * from the emulator's configuration, never from the client's settings. The client runs on the
 * catalog's OpenAI defaults (learning what the server reports), with the catalog render time set to
 * the emulator's (the catalog is meant to hold the real one). Each figure is the median of 3 runs.
 *   node --import tsx bench/bound.bench.ts [--quick] [--only strict,defaults,scale,sweep,naive]
 * Long renders (the sweep) run on a clock 10× faster than the wall clock, shared by both processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { loadCatalog } from '../src/catalog/load.ts';
import { systemClock, type Clock } from '../src/clock.ts';
import type { EmulatorCounts, FaultConfig } from '../src/emulator/types.ts';
import type { Job } from '../src/plan/types.ts';
import { getProvider } from '../src/providers/index.ts';
import { executeRun, type ProviderBinding } from '../src/run/index.ts';
import { scaledClock } from './scaled-clock.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1] ?? '').split(',') : undefined;
const want = (name: string) => !only || only.includes(name);
const REPEATS = quick ? 1 : 3;

interface Emu {
  baseUrl: string;
  counts(): Promise<{ counts: EmulatorCounts; tasks: number }>;
  stop(): Promise<void>;
}

async function startEmu(faults: FaultConfig, scale?: number, epoch?: number): Promise<Emu> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./emu-child.ts', import.meta.url)), [JSON.stringify({ faults, scale, epoch })], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>(kind: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { kind: string } & T) => {
        if (m.kind !== kind) return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
    });
  const ready = await next<{ baseUrl: string }>('ready');
  return {
    baseUrl: ready.baseUrl,
    counts: () => {
      const p = next<{ counts: EmulatorCounts; tasks: number }>('counts');
      child.send({ cmd: 'counts' });
      return p;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send({ cmd: 'stop' });
      }),
  };
}

function job(i: number): Job {
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
    prompt: `benchmark shot ${i}: a lighthouse at dusk`,
    seconds: 4,
    aspect: '16:9',
    resolution: '720p',
    size: { width: 1280, height: 720 },
    params: {},
    fields: { aspect: '16:9' },
    cost: { usd: 0.4, credits: null },
    source: { file: 'bench.yaml', line: i + 1, col: 3 },
  } as Job;
}

interface Scenario {
  name: string;
  n: number;
  renderMs: number;
  faults: FaultConfig;
  /** Wall-clock speed-up of the shared clock (long renders). */
  scale?: number;
}

interface Result {
  seconds: number;
  statusPerJob: number;
  rejectedPerCreate: number;
  unsubmitted: number;
  cpuMsPerJob: number;
  peakRssMb: number;
}

function bound(s: Scenario): number {
  const perS = (s.faults.submitPerMin ?? Infinity) / 60;
  const c = s.faults.maxConcurrent ?? Infinity;
  return Math.max(s.n / perS, (s.n * s.renderMs) / 1000 / c) + s.renderMs / 1000;
}

async function runShotlist(s: Scenario): Promise<Result> {
  const epoch = Date.now();
  const clock: Clock = s.scale ? scaledClock(s.scale, epoch) : systemClock;
  const emu = await startEmu({ ...s.faults, renderMs: s.renderMs }, s.scale, epoch);
  const runDir = await mkdtemp(join(tmpdir(), 'shotlist-bound-'));
  const catalog = await loadCatalog();
  const binding: ProviderBinding = {
    provider: getProvider('openai')!,
    env: { baseUrl: emu.baseUrl, apiKey: 'bench', fetch, now: () => clock.now(), workDir: runDir },
    limits: catalog.provider('openai')!.limits,
    learnLimits: true,
    renderSeconds: () => s.renderMs / 1000,
    chargesFailures: false,
  };
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  const cpu0 = process.cpuUsage();
  const t0 = clock.now();
  try {
    const out = await executeRun({
      runDir,
      jobs: Array.from({ length: s.n }, (_, i) => job(i)),
      approvedUsd: s.n,
      bind: () => binding,
      clock,
      signal: new AbortController().signal,
      events: () => {},
    });
    const seconds = (clock.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const { counts, tasks } = await emu.counts();
    if (out.kind !== 'completed') console.log(`  (run ended ${out.kind}: ${JSON.stringify(out.counts)})`);
    return {
      seconds,
      statusPerJob: counts.statusGets / s.n,
      rejectedPerCreate: counts.rejected429 / Math.max(1, counts.creates),
      unsubmitted: s.n - tasks,
      cpuMsPerJob: (cpu.user + cpu.system) / 1000 / s.n,
      peakRssMb: peak / 2 ** 20,
    };
  } finally {
    clearInterval(sampler);
    await emu.stop();
    await rm(runDir, { recursive: true, force: true });
  }
}

/** The 30-line script a user would write: p-limit(50), create, poll every 5 s, download; Retry-After honoured. */
async function runNaive(s: Scenario): Promise<Result> {
  const emu = await startEmu({ ...s.faults, renderMs: s.renderMs });
  const dir = await mkdtemp(join(tmpdir(), 'shotlist-naive-'));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const h = { authorization: 'Bearer bench', 'content-type': 'application/json' };
  const t0 = performance.now();
  try {
    const limit = pLimit(50);
    await Promise.all(
      Array.from({ length: s.n }, (_, i) =>
        limit(async () => {
          let video: { id: string; status: string };
          for (;;) {
            const r = await fetch(`${emu.baseUrl}/videos`, {
              method: 'POST',
              headers: h,
              body: JSON.stringify({ model: 'sora-2', prompt: `naive ${i}`, seconds: '4', size: '1280x720' }),
            });
            if (r.status === 429) {
              await r.arrayBuffer();
              await sleep(Number(r.headers.get('retry-after') ?? 1) * 1000);
              continue;
            }
            video = (await r.json()) as typeof video;
            break;
          }
          while (video.status !== 'completed' && video.status !== 'failed') {
            await sleep(5000);
            video = (await (await fetch(`${emu.baseUrl}/videos/${video.id}`, { headers: h })).json()) as typeof video;
          }
          await (await fetch(`${emu.baseUrl}/videos/${video.id}/content`, { headers: h })).arrayBuffer();
        }),
      ),
    );
    const { counts, tasks } = await emu.counts();
    return {
      seconds: (performance.now() - t0) / 1000,
      statusPerJob: counts.statusGets / s.n,
      rejectedPerCreate: counts.rejected429 / Math.max(1, counts.creates),
      unsubmitted: s.n - tasks,
      cpuMsPerJob: NaN,
      peakRssMb: NaN,
    };
  } finally {
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(s: Scenario, runner: (s: Scenario) => Promise<Result>): Promise<Result> {
  const rs: Result[] = [];
  for (let i = 0; i < REPEATS; i++) rs.push(await runner(s));
  const m = (k: keyof Result) => median(rs.map((r) => r[k]));
  return {
    seconds: m('seconds'),
    statusPerJob: m('statusPerJob'),
    rejectedPerCreate: m('rejectedPerCreate'),
    unsubmitted: Math.max(...rs.map((r) => r.unsubmitted)),
    cpuMsPerJob: m('cpuMsPerJob'),
    peakRssMb: m('peakRssMb'),
  };
}

function line(label: string, value: number, unit: string, goal: number, goalText: string): void {
  const ok = value <= goal + 1e-9;
  console.log(
    `${label.padEnd(58)} ${value.toFixed(value < 10 ? 3 : 1).padStart(9)} ${unit.padEnd(6)} goal ${goalText.padEnd(10)} ${ok ? 'ok' : 'MISSED'}`,
  );
}

async function scenario(s: Scenario, naive = false): Promise<void> {
  const b = bound(s);
  const r = await measure(s, runShotlist);
  const how = s.scale ? ` (clock ×${s.scale})` : '';
  console.log(
    `\n${s.name}: N=${s.n}, render ${s.renderMs / 1000} s, server ${JSON.stringify(s.faults)}${how}; bound ${b.toFixed(1)} s; median of ${REPEATS}`,
  );
  line('  makespan / bound', r.seconds / b, '×', 1.2, '≤ 1.2');
  console.log(`    (${r.seconds.toFixed(1)} s)`);
  line('  status requests per job', r.statusPerJob, 'req', 1.5, '≤ 1.5');
  line('  rejected requests per accepted create', r.rejectedPerCreate, '', 0.1, '≤ 0.1');
  line('  jobs left unsubmitted', r.unsubmitted, '', 0, '0');
  if (!s.scale) line('  CPU per job (client process)', r.cpuMsPerJob, 'ms', 10, '≤ 10');
  line('  peak RSS (client process)', r.peakRssMb, 'MB', 300, '≤ 300');
  if (naive) {
    const nv = await measure(s, runNaive);
    line('  naive p-limit(50) poller, 5 s polls: makespan / bound', nv.seconds / b, '×', Infinity, '(reference)');
    console.log(
      `    (${nv.seconds.toFixed(1)} s, ${nv.statusPerJob.toFixed(2)} status/job); shotlist / naive = ${(r.seconds / nv.seconds).toFixed(3)}`,
    );
  }
}

const OPENAI_LIKE: FaultConfig = { submitPerMin: 600, pollPerMin: 6000, retryAfterS: 1 };

if (want('strict'))
  await scenario({
    name: 'strict server limit (burst 1, Retry-After 1 s)',
    n: quick ? 100 : 300,
    renderMs: 2000,
    faults: { submitPerMin: 600, submitBurst: 1, pollPerMin: 6000, retryAfterS: 1 },
  });
if (want('defaults'))
  await scenario({ name: 'catalog defaults vs a naive script', n: 100, renderMs: 2000, faults: OPENAI_LIKE }, want('naive'));
if (want('scale')) {
  for (const n of quick ? [1000] : [1000, 10_000]) {
    await scenario({ name: `scale N=${n}`, n, renderMs: 2000, faults: { submitPerMin: 6000, pollPerMin: 60_000, retryAfterS: 1 } });
  }
}
if (want('sweep')) {
  for (const sec of [1, 10, 30, 120]) {
    // At clock ×10 the server's 60 creates per (fast) minute are 10 per real second, as in the other cases.
    const scale = sec >= 10 ? 10 : undefined;
    const faults = scale ? { ...OPENAI_LIKE, submitPerMin: 600 / scale, pollPerMin: 6000 / scale } : OPENAI_LIKE;
    await scenario({ name: `render-time sweep ${sec} s`, n: 100, renderMs: sec * 1000, faults, scale });
  }
}
