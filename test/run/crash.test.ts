/**
 * Crash test: the real CLI runs a 54-job manifest against an emulator living in this process (so
 * its server-side record survives), is SIGKILLed at random moments again and again, and is
 * re-run each time. In the end: no task created twice, every clip present and verified, spend
 * exactly the plan's.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { probe } from '../../src/media/ffmpeg.ts';
import { readRunState } from '../../src/run/index.ts';
import { cleanEnv, runCli, spawnCli } from '../helpers/cli.ts';
import { tmpRunDir } from './helpers.ts';

const OPENAI_JOBS = 30;
const SORAPI_JOBS = 24;
const KILLS = 10;

function manifest(): string {
  // Slow enough submits (2/s, burst 2) that ten runs killed within 0.7 s of starting work cannot
  // finish the batch: every kill lands mid-run.
  const lim = '{ limits: { submit_per_min: 120, submit_burst: 2, polls_per_min: 6000, max_in_flight: 12, downloads: 4 } }';
  const shots = [
    ...Array.from({ length: OPENAI_JOBS }, (_, i) => `  - { id: o${i}, provider: openai, prompt: "crash test openai ${i}: a paper boat" }`),
    ...Array.from(
      { length: SORAPI_JOBS },
      (_, i) => `  - { id: s${i}, provider: sorapi, prompt: "crash test sorapi ${i}: a glass marble" }`,
    ),
  ];
  return [
    'name: crash-test',
    'model: sora-2',
    'defaults: { seconds: 4, aspect: "16:9", resolution: 720p }',
    `providers: { openai: ${lim}, sorapi: ${lim} }`,
    'pricing: [{ provider: sorapi, model: sora-2, usd_per_second: 0.05 }]',
    'shots:',
    ...shots,
    '',
  ].join('\n');
}

describe('kill -9 at random moments, resume each time', () => {
  let emu: EmulatorHandle;
  let dir: string;
  beforeAll(async () => {
    emu = await startEmulator({
      render: 'shared',
      seed: 3,
      faults: { openai: { renderMs: 500, latencyMs: 15 }, sorapi: { renderMs: 500, latencyMs: 15 } },
    });
    dir = await tmpRunDir();
  });
  afterAll(async () => {
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('never pays twice and ends with every clip verified', { timeout: 120_000 }, async () => {
    const file = join(dir, 'manifest.yaml');
    await writeFile(file, manifest());
    const out = join(dir, 'run');
    const env = cleanEnv({
      OPENAI_API_KEY: 'sk-test',
      SORAPI_API_KEY: 'sorapi-test',
      OPENAI_BASE_URL: emu.baseUrls.openai,
      SORAPI_BASE_URL: emu.baseUrls.sorapi,
    });
    const args = ['run', file, '--yes', '--out', out];
    let rand = 12345;
    const next = () => (rand = (rand * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let kills = 0;
    let finishedEarly = false;
    const createsAtKill: number[] = [];
    const seenAtKill = new Set<string>();
    for (let i = 0; i < KILLS; i++) {
      const run = spawnCli(args, { env });
      // Wait until this process is really working (its first request after start-up), then a random moment.
      const before = emu.counts().total;
      const t0 = Date.now();
      while (emu.counts().total === before && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.floor(next() * 700)));
      const killed = run.child.kill('SIGKILL');
      const res = await run.done;
      if (res.signal === 'SIGKILL' && killed) kills++;
      else if (res.code === 0) {
        finishedEarly = true;
        break;
      }
      createsAtKill.push(emu.counts().creates);
      const st = await readRunState(out);
      for (const r of Object.values(st?.records ?? {})) seenAtKill.add(r.state);
    }
    expect(finishedEarly).toBe(false);
    expect(kills).toBe(KILLS);
    const final = await runCli(args, { env });
    expect(final.stderr).not.toContain('internal error');
    expect(final.code).toBe(0);

    // Server-side truth: exactly one task per prompt.
    for (const p of ['openai', 'sorapi'] as const) {
      const tasks = emu.tasks(p);
      const perPrompt = new Map<string, number>();
      for (const t of tasks) perPrompt.set(t.prompt, (perPrompt.get(t.prompt) ?? 0) + 1);
      const dupes = [...perPrompt].filter(([, n]) => n > 1);
      expect(dupes).toEqual([]);
      expect(perPrompt.size).toBe(p === 'openai' ? OPENAI_JOBS : SORAPI_JOBS);
    }
    // Every clip present, complete and the video we asked for.
    const state = await readRunState(out);
    const records = state!.jobs.map((j) => state!.records[j.id]!);
    expect(records).toHaveLength(OPENAI_JOBS + SORAPI_JOBS);
    expect(records.every((r) => r.state === 'downloaded')).toBe(true);
    const clips = (await readdir(join(out, 'clips'))).filter((f) => f.endsWith('.mp4'));
    expect(clips).toHaveLength(OPENAI_JOBS + SORAPI_JOBS);
    await Promise.all(
      records.map(async (r) => {
        const p = await probe(join(out, r.clip!.path));
        expect(p.video?.width).toBe(1280);
        expect(Math.abs(p.durationS - 4)).toBeLessThanOrEqual(0.5);
      }),
    );
    // Money: spend is exactly the plan (no task paid twice, none lost).
    const planned = state!.jobs.reduce((s, j) => s + (j.cost.usd ?? 0), 0);
    expect(state!.spentUsd).toBeCloseTo(planned, 6);
    expect(records.every((r) => r.reservedUsd === 0)).toBe(true);
    // The kills landed while work was under way, not only before or after it.
    expect(createsAtKill.some((c) => c > 0 && c < OPENAI_JOBS + SORAPI_JOBS)).toBe(true);
    expect(seenAtKill.has('submitted') || seenAtKill.has('running')).toBe(true);
    if (process.env.SHOTLIST_TEST_VERBOSE)
      console.log('states seen at kills:', [...seenAtKill].join(', '), 'creates at kills:', createsAtKill.join(','));
  });
});
