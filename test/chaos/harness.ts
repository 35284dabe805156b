/**
 * Chaos harness: the real CLI against an emulator with faults on every provider, killed with
 * SIGKILL at random and at targeted instants (right after approval, mid-submit burst, during
 * downloads, during post-steps), its run files damaged between runs, and (as root) its disk filled
 * up on a small tmpfs. The invariants are checked against the emulator's own record of what it
 * received (`GET /_emulator/tasks`), never against our checkpoint alone.
 *
 * Used by test/chaos/chaos.test.ts (short, seeded) and scripts/chaos.ts (`npm run chaos`).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadCatalog } from '../../src/catalog/index.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import type { AdminTask } from '../../src/emulator/types.ts';
import type { FaultConfig } from '../../src/emulator/types.ts';
import { probe } from '../../src/media/ffmpeg.ts';
import { probeMp4 } from '../../src/media/mp4info.ts';
import { apiKeyEnv, baseUrlEnv, getProvider } from '../../src/providers/index.ts';
import { PROVIDER_NAMES, type ProviderName } from '../../src/providers/types.ts';
import { readRunState } from '../../src/run/index.ts';
import { cleanEnv, spawnCli, type CliResult } from '../helpers/cli.ts';

export type Trigger = 'approved' | 'submitting' | 'downloading' | 'post' | 'random';
export type Damage = 'truncate-snapshot' | 'delete-snapshot' | 'empty-snapshot' | 'garble-journal' | 'truncate-clip' | 'leftovers';
const TRIGGERS: readonly Trigger[] = ['approved', 'submitting', 'downloading', 'post', 'random'];
const DAMAGES: readonly Damage[] = [
  'truncate-snapshot',
  'delete-snapshot',
  'empty-snapshot',
  'garble-journal',
  'truncate-clip',
  'leftovers',
];

export interface ChaosConfig {
  seed: number;
  kills: number;
  jobsPerProvider: number;
  providers?: readonly ProviderName[];
  /** Damage run files after every n-th kill (0: never). */
  damageEvery?: number;
  /** Rounds on a nearly full tmpfs (needs root on Linux; skipped otherwise). */
  diskFullRounds?: number;
  /** Emulator faults on every provider (429s, 5xx, dropped connections, truncated downloads, failed tasks). */
  faults?: boolean;
  renderMs?: number;
  log?: (line: string) => void;
}

export interface ProviderFigures {
  jobs: number;
  creates: number;
  duplicates: number;
  billed: number;
  paidWithoutClip: number;
  downloaded: number;
  /** Jobs left `unknown` although the provider never created a task for them (the create never arrived). */
  unknownWithoutTask: number;
  /**
   * Paid tasks whose job is honestly `unknown`: killed after the create left and before its answer was
   * recorded, on a provider that offers no lookup (APIDot, APIXO, SorAPI). Not a violation while the job
   * still holds the task's cost (the user is told to check the provider's dashboard).
   */
  paidHeldUnknown: number;
  states: Record<string, number>;
}

export interface ChaosReport {
  seed: number;
  jobs: number;
  kills: number;
  exitedByThemselves: number;
  triggers: Record<string, number>;
  damages: Damage[];
  diskFull: { rounds: number; exitCodes: number[]; skipped?: string };
  perProvider: Partial<Record<ProviderName, ProviderFigures>>;
  spentUsd: number;
  /** Costs still held by `unknown` jobs (may exist at the provider): spend <= billed <= spend + held. */
  heldUsd: number;
  billedUsd: number;
  clipsVerified: number;
  finalExitCode: number | null;
  /** Everything that broke an invariant, in words. Empty when the run held. */
  violations: string[];
  /** Observations that are expected limits rather than violations (e.g. `unknown` on a provider that cannot reconcile). */
  notes: string[];
  seconds: number;
}

/** Small seeded PRNG (LCG): the same seed gives the same kill schedule and damage choices. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

const DEFAULT_MODEL: Record<ProviderName, string> = {
  openai: 'sora-2',
  apidot: 'sora-2',
  sorapi: 'sora-2',
  apixo: 'sora-2',
  fal: 'veo-3.1-fast',
  replicate: 'veo-3.1-fast',
};

function manifestText(seed: number, providers: readonly ProviderName[], perProvider: number): string {
  const lim = '{ limits: { submit_per_min: 600, submit_burst: 3, polls_per_min: 6000, max_in_flight: 6, downloads: 3 } }';
  const shots: string[] = [];
  for (const p of providers) {
    for (let i = 0; i < perProvider; i++) {
      shots.push(
        `  - { id: ${p}-${i}, provider: ${p}, model: ${DEFAULT_MODEL[p]}, prompt: "chaos ${seed} ${p} ${i}: a paper boat on a pond" }`,
      );
    }
  }
  const pricing = providers.map((p) => `  - { provider: ${p}, model: ${DEFAULT_MODEL[p]}, usd_per_second: 0.05 }`);
  return [
    'name: chaos',
    'defaults: { seconds: 4, aspect: "16:9", resolution: 720p }',
    `providers: { ${providers.map((p) => `${p}: ${lim}`).join(', ')} }`,
    'pricing:',
    ...pricing,
    'post:',
    '  - thumbnails: { at: 1.0 }',
    '  - stitch: { group_by: provider }',
    'shots:',
    ...shots,
    '',
  ].join('\n');
}

function faultsFor(on: boolean, renderMs: number): FaultConfig {
  if (!on) return { renderMs, latencyMs: 5 };
  return { renderMs, latencyMs: 10, rate429: 0.03, retryAfterS: 1, rate5xx: 0.03, dropRate: 0.03, truncateRate: 0.05, taskFailRate: 0.04 };
}

/** Tails events.ndjson from a byte offset and says when a trigger's event has been seen. */
class EventTail {
  private offset: number;
  constructor(
    private readonly file: string,
    start: number,
  ) {
    this.offset = start;
  }
  static async sizeOf(file: string): Promise<number> {
    return (await stat(file).catch(() => undefined))?.size ?? 0;
  }
  async seen(trigger: Trigger): Promise<boolean> {
    let text: string;
    try {
      const buf = await readFile(this.file);
      if (buf.length < this.offset) this.offset = 0; // rewritten
      text = buf.subarray(this.offset).toString('utf8');
    } catch {
      return false;
    }
    switch (trigger) {
      case 'approved':
        return text.includes('"run.started"');
      case 'submitting':
        return text.includes('"to":"submitting"');
      case 'downloading':
        return text.includes('"to":"downloaded"');
      case 'post':
        return text.includes('"post.started"');
      case 'random':
        return text.includes('"run.started"');
    }
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

async function damage(runDir: string, kind: Damage, next: () => number): Promise<void> {
  const snap = join(runDir, 'checkpoint.json');
  const journal = join(runDir, 'checkpoint.journal');
  switch (kind) {
    case 'truncate-snapshot': {
      const size = (await stat(snap).catch(() => undefined))?.size;
      if (size) await truncate(snap, Math.floor(size * 0.6));
      return;
    }
    case 'delete-snapshot':
      await rm(snap, { force: true });
      return;
    case 'empty-snapshot':
      if (existsSync(snap)) await writeFile(snap, '');
      return;
    case 'garble-journal': {
      const text = await readFile(journal, 'utf8').catch(() => '');
      const lines = text.split('\n');
      if (lines.length < 4) return;
      for (let k = 0; k < 2; k++) {
        const i = 1 + Math.floor(next() * (lines.length - 3));
        lines[i] = lines[i]!.replace(/[a-z0-9]/g, (c) => (next() < 0.3 ? '#' : c));
      }
      await writeFile(journal, lines.join('\n'));
      return;
    }
    case 'truncate-clip': {
      const clips = (await readdir(join(runDir, 'clips')).catch(() => [] as string[])).filter((f) => f.endsWith('.mp4'));
      if (clips.length === 0) return;
      await truncate(join(runDir, 'clips', clips[Math.floor(next() * clips.length)]!), 4096);
      return;
    }
    case 'leftovers':
      await mkdir(join(runDir, 'clips'), { recursive: true });
      await mkdir(join(runDir, 'thumbs'), { recursive: true });
      await writeFile(join(runDir, 'clips', 'deadbeef0000.mp4.part'), randomBytes(2048));
      await writeFile(join(runDir, 'thumbs', '.deadbeef0000.partial-999999.jpg'), randomBytes(512));
      return;
  }
}

function isRoot(): boolean {
  return process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0;
}

function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function remount(dir: string, size: string): void {
  execFileSync('mount', ['-o', `remount,size=${size}`, dir], { stdio: 'ignore' });
}

function usedBytes(dir: string): number {
  const out = execFileSync('df', ['-B1', '--output=used', dir], { encoding: 'utf8' });
  return Number(out.trim().split('\n').pop());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(cfg: ChaosConfig): Promise<ChaosReport> {
  const t0 = Date.now();
  const log = cfg.log ?? (() => {});
  const next = rng(cfg.seed);
  const providers = cfg.providers ?? PROVIDER_NAMES;
  const renderMs = cfg.renderMs ?? 400;
  const root = await mkdtemp(join(tmpdir(), `shotlist-chaos-${cfg.seed}-`));
  const work = join(root, 'work');
  const disk = join(root, 'disk');
  await mkdir(work, { recursive: true });
  await mkdir(disk, { recursive: true });
  const wantDisk = (cfg.diskFullRounds ?? 0) > 0;
  const mounted = wantDisk && isRoot() && mountTmpfs(disk, '512m');
  const runDir = join(disk, 'run');
  const manifest = join(work, 'chaos.yaml');
  await writeFile(manifest, manifestText(cfg.seed, providers, cfg.jobsPerProvider));

  const emu: EmulatorHandle = await startEmulator({
    render: 'shared',
    seed: cfg.seed,
    faults: Object.fromEntries(providers.map((p) => [p, faultsFor(cfg.faults ?? true, renderMs)])),
  });
  const secrets: Record<string, string> = {};
  const extra: Record<string, string> = {};
  for (const p of PROVIDER_NAMES) {
    const key = `chaos-${p}-${randomBytes(9).toString('hex')}`;
    secrets[p] = key;
    extra[apiKeyEnv(p)] = key;
    extra[baseUrlEnv(p)] = emu.baseUrls[p];
  }
  const env = cleanEnv(extra);
  const args = ['run', manifest, '--yes', '--out', runDir];
  const report: ChaosReport = {
    seed: cfg.seed,
    jobs: providers.length * cfg.jobsPerProvider,
    kills: 0,
    exitedByThemselves: 0,
    triggers: {},
    damages: [],
    diskFull: { rounds: 0, exitCodes: [] },
    perProvider: {},
    spentUsd: 0,
    billedUsd: 0,
    heldUsd: 0,
    clipsVerified: 0,
    finalExitCode: null,
    violations: [],
    notes: [],
    seconds: 0,
  };
  const checkOutput = (res: CliResult, what: string) => {
    const text = `${res.stdout}\n${res.stderr}`;
    if (/internal error|\n\s+at .+\(.+:\d+:\d+\)/.test(text))
      report.violations.push(`${what}: printed an internal error or a stack trace: ${res.stderr.split('\n').slice(0, 3).join(' | ')}`);
    for (const [p, key] of Object.entries(secrets)) if (text.includes(key)) report.violations.push(`${what}: printed the ${p} key`);
  };

  try {
    for (let round = 0; round < cfg.kills; round++) {
      // Every targeted instant once, then a seeded mix.
      const trigger = TRIGGERS[round < TRIGGERS.length ? round : Math.floor(next() * TRIGGERS.length)]!;
      const events = join(runDir, 'events.ndjson');
      const tail = new EventTail(events, await EventTail.sizeOf(events));
      const before = emu.counts().total;
      const run = spawnCli(args, { env, cwd: work });
      let exited = false;
      void run.done.then(() => (exited = true));
      const deadline = Date.now() + 20_000;
      let fired = false;
      while (!exited && Date.now() < deadline) {
        if (await tail.seen(trigger)) {
          fired = true;
          break;
        }
        await sleep(3);
      }
      if (trigger === 'random' || !fired) {
        // Started but trigger not seen (nothing left of that kind): a random moment once it is talking to the emulator.
        while (!exited && emu.counts().total === before && Date.now() < deadline) await sleep(5);
        await sleep(Math.floor(next() * 600));
      } else {
        await sleep(Math.floor(next() * (trigger === 'post' ? 300 : 40)));
      }
      const killed = !exited && run.child.kill('SIGKILL');
      const res = await run.done;
      if (killed && res.signal === 'SIGKILL') {
        report.kills++;
        report.triggers[fired ? trigger : `${trigger}(fallback)`] = (report.triggers[fired ? trigger : `${trigger}(fallback)`] ?? 0) + 1;
      } else {
        report.exitedByThemselves++;
        checkOutput(res, `round ${round} (exit ${res.code})`);
      }
      log(
        `round ${round}: ${killed ? `killed at ${trigger}${fired ? '' : ' (fallback)'}` : `exited ${res.code}`}, creates so far ${emu.counts().creates}`,
      );

      if (cfg.damageEvery && (round + 1) % cfg.damageEvery === 0 && existsSync(runDir)) {
        const kind = DAMAGES[Math.floor(next() * DAMAGES.length)]!;
        await damage(runDir, kind, next);
        report.damages.push(kind);
        log(`  damaged: ${kind}`);
      }

      if (wantDisk && report.diskFull.rounds < (cfg.diskFullRounds ?? 0) && round === Math.floor(cfg.kills / 2)) {
        if (!mounted) report.diskFull.skipped = 'needs root on Linux (tmpfs)';
        else {
          report.diskFull.rounds++;
          remount(disk, String(usedBytes(disk) + 96 * 1024));
          const full = await spawnCli(args, { env, cwd: work }).done;
          report.diskFull.exitCodes.push(full.code ?? -1);
          checkOutput(full, 'disk-full round');
          log(`  disk full: exit ${full.code}: ${full.stderr.trim().split('\n').pop() ?? ''}`);
          remount(disk, '512m');
        }
      }
    }

    // The providers recover; run until the batch is over (a run may legitimately stop with work left).
    for (const p of providers) emu.setFaults(p, faultsFor(false, renderMs));
    let final: CliResult | undefined;
    for (let i = 0; i < 3; i++) {
      final = await spawnCli(args, { env, cwd: work }).done;
      checkOutput(final, `final run ${i + 1}`);
      if (final.code === 0 || final.code === 1) break;
    }
    report.finalExitCode = final?.code ?? null;
    await checkInvariants(report, { emu, runDir, root, work, manifest, providers, secrets });
  } finally {
    await emu.stop();
    if (mounted) {
      try {
        execFileSync('umount', ['-l', disk], { stdio: 'ignore' });
      } catch {
        /* best effort */
      }
    }
    await rm(root, { recursive: true, force: true });
  }
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}

interface CheckContext {
  emu: EmulatorHandle;
  runDir: string;
  root: string;
  work: string;
  manifest: string;
  providers: readonly ProviderName[];
  secrets: Record<string, string>;
}

async function checkInvariants(report: ChaosReport, c: CheckContext): Promise<void> {
  const v = report.violations;
  const res = await fetch(`${c.emu.url}/_emulator/tasks`);
  const { tasks } = (await res.json()) as { tasks: AdminTask[] };
  const state = await readRunState(c.runDir);
  if (!state) {
    v.push('the run directory has no readable state at the end');
    return;
  }
  const catalog = await loadCatalog();
  const jobByPrompt = new Map(state.jobs.map((j) => [j.prompt, j]));
  let billedUsd = 0;
  for (const p of c.providers) {
    const mine = tasks.filter((t) => t.provider === p);
    const jobs = state.jobs.filter((j) => j.provider === p);
    const fig: ProviderFigures = {
      jobs: jobs.length,
      creates: mine.length,
      duplicates: 0,
      billed: 0,
      paidWithoutClip: 0,
      downloaded: 0,
      unknownWithoutTask: 0,
      paidHeldUnknown: 0,
      states: {},
    };
    const perPrompt = new Map<string, number>();
    for (const t of mine) perPrompt.set(t.prompt, (perPrompt.get(t.prompt) ?? 0) + 1);
    for (const [, n] of perPrompt) if (n > 1) fig.duplicates += n - 1;
    for (const j of jobs) {
      const r = state.records[j.id];
      const s = r?.state ?? 'missing';
      fig.states[s] = (fig.states[s] ?? 0) + 1;
      if (s === 'downloaded') fig.downloaded++;
      if (s === 'unknown' && !perPrompt.has(j.prompt)) fig.unknownWithoutTask++;
    }
    for (const t of mine) {
      const job = jobByPrompt.get(t.prompt);
      if (!job) {
        v.push(`${p}: the emulator has a task ${t.id} for a prompt no job has`);
        continue;
      }
      const charges = catalog.resolve(p, job.model)?.charges_failures ?? true;
      const billed = t.phase === 'succeeded' || (t.phase === 'failed' && charges) || (t.phase === 'canceled' && p === 'replicate');
      if (!billed) continue;
      fig.billed++;
      billedUsd += job.cost.usd ?? 0;
      const r = state.records[job.id];
      if (t.phase !== 'succeeded' || (r?.state === 'downloaded' && r.task?.id === t.id)) continue;
      const held = r?.state === 'unknown' && !r.task && !getProvider(p)?.reconcile && (r.heldUsd ?? r.reservedUsd) >= (job.cost.usd ?? 0);
      if (held) fig.paidHeldUnknown++;
      else fig.paidWithoutClip++;
    }
    if (fig.duplicates > 0) v.push(`${p}: ${fig.duplicates} duplicate create(s)`);
    if (fig.paidWithoutClip > 0)
      v.push(`${p}: ${fig.paidWithoutClip} paid task(s) without a downloaded clip (states ${JSON.stringify(fig.states)})`);
    report.perProvider[p] = fig;
  }
  report.spentUsd = round6(state.spentUsd);
  report.billedUsd = round6(billedUsd);
  report.heldUsd = round6(
    state.jobs.reduce((sum, j) => {
      const r = state.records[j.id];
      return r?.state === 'unknown' ? sum + (r.heldUsd ?? r.reservedUsd) : sum;
    }, 0),
  );
  // Exact when nothing is unknown; otherwise what was billed lies between what was settled and that plus the holds.
  if (report.spentUsd - report.billedUsd > 1e-6 || report.billedUsd - (report.spentUsd + report.heldUsd) > 1e-6)
    v.push(
      `recorded spend $${report.spentUsd} (+ held $${report.heldUsd} for unknown jobs) does not account for what the emulator bills $${report.billedUsd}`,
    );

  for (const j of state.jobs) {
    const r = state.records[j.id];
    if (r?.state !== 'downloaded' || !r.clip) continue;
    const file = join(c.runDir, r.clip.path);
    const size = (await stat(file).catch(() => undefined))?.size;
    if (size !== r.clip.bytes) {
      v.push(`clip ${r.clip.path}: ${size ?? 'missing'} bytes on disk, ${r.clip.bytes} recorded`);
      continue;
    }
    const header = await probeMp4(file).catch(() => null);
    const p = await probe(file).catch(() => undefined);
    if (
      !header ||
      !p?.video ||
      p.video.width !== j.size.width ||
      p.video.height !== j.size.height ||
      Math.abs(p.durationS - j.seconds) > 0.5
    ) {
      v.push(`clip ${r.clip.path}: not a whole ${j.size.width}x${j.size.height} ${j.seconds}s video`);
      continue;
    }
    report.clipsVerified++;
  }

  // Nothing outside the run directory (the manifest is ours), no secret in any file.
  for (const f of await walk(c.root)) {
    const rel = relative(c.runDir, f);
    if (f !== c.manifest && (rel.startsWith('..') || rel === ''))
      v.push(`a file was written outside the run directory: ${relative(c.root, f)}`);
    const buf = await readFile(f).catch(() => Buffer.alloc(0));
    for (const [p, key] of Object.entries(c.secrets)) if (buf.includes(key)) v.push(`${relative(c.root, f)} holds the ${p} key`);
  }
  for (const [p, fig] of Object.entries(report.perProvider)) {
    const unknown = fig.states.unknown ?? 0;
    if (unknown)
      report.notes.push(
        `${p}: ${unknown} job(s) ended unknown, ${fig.unknownWithoutTask} of them never reached the provider, ${fig.paidHeldUnknown} paid and held (no lookup on this provider)`,
      );
  }
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** One line per figure, for the script and the README. */
export function formatReport(r: ChaosReport): string[] {
  const lines = [
    `seed ${r.seed}: ${r.jobs} jobs, ${r.kills} kills (${Object.entries(r.triggers)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}), ${r.exitedByThemselves} runs ended by themselves, ${r.seconds.toFixed(1)} s`,
    `damaged files: ${r.damages.length ? r.damages.join(', ') : 'none'}; disk-full rounds: ${r.diskFull.rounds}${r.diskFull.skipped ? ` (skipped: ${r.diskFull.skipped})` : ''}${r.diskFull.exitCodes.length ? ` exit ${r.diskFull.exitCodes.join(',')}` : ''}`,
  ];
  for (const [p, f] of Object.entries(r.perProvider)) {
    lines.push(
      `  ${p.padEnd(10)} jobs ${f.jobs}  creates ${f.creates}  duplicates ${f.duplicates}  billed ${f.billed}  paid-without-clip ${f.paidWithoutClip}  unknown-never-sent ${f.unknownWithoutTask}  paid-held-unknown ${f.paidHeldUnknown}  downloaded ${f.downloaded}  ${JSON.stringify(f.states)}`,
    );
  }
  lines.push(
    `spend recorded $${r.spentUsd.toFixed(2)} + held $${r.heldUsd.toFixed(2)} vs billed by the emulator $${r.billedUsd.toFixed(2)}; clips verified ${r.clipsVerified}; final exit ${r.finalExitCode}`,
  );
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push(r.violations.length ? `VIOLATIONS (${r.violations.length}):` : 'invariants held');
  for (const x of r.violations) lines.push(`  - ${x}`);
  return lines;
}
