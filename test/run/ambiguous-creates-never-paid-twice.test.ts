/**
 * ambiguous creates (the emulator does the work, then drops the connection) against every
 * provider, with the real adapters. Never a second paid task without --resubmit-unknown; SorAPI
 * replays its idempotency key; OpenAI reconciles by listing, and two takes of one request never
 * claim the same video; a resubmitted unknown job still fits the budget in the worst case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { PROVIDER_NAMES, type ProviderName } from '../../src/providers/types.ts';
import { executeRun, readRunState } from '../../src/run/index.ts';
import type { Job } from '../../src/plan/types.ts';
import { collect, tmpRunDir } from './helpers.ts';
import { emuBinding, emuJob } from './emu-helpers.ts';

let emu: EmulatorHandle | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const never = new AbortController().signal;

function run(e: EmulatorHandle, runDir: string, jobs: Job[], approvedUsd: number, extra: { resubmitUnknown?: boolean } = {}) {
  const { events, sink } = collect();
  const out = executeRun({
    runDir,
    jobs,
    approvedUsd,
    bind: (name) => emuBinding(name as ProviderName, e.baseUrls[name as ProviderName], fetch),
    clock: systemClock,
    signal: never,
    events: sink,
    rng: () => 0, // zero backoff: the retries happen, the test does not wait for them
    ...extra,
  });
  return out.then((o) => ({ ...o, events }));
}

describe('ambiguous creates on every provider', () => {
  it(
    'never creates a second task; sorapi replays its key, openai, fal and replicate reconcile once their lists answer',
    { timeout: 120_000 },
    async () => {
      const drop = { renderMs: 100, dropRate: 1 };
      emu = await startEmulator({ render: 'shared', seed: 11, faults: Object.fromEntries(PROVIDER_NAMES.map((p) => [p, drop])) });
      const runDir = await tmpRunDir();
      const jobs = PROVIDER_NAMES.map((p) => emuJob(p, 1));
      const first = await run(emu, runDir, jobs, 100);
      for (const p of PROVIDER_NAMES) expect(emu.tasks(p), p).toHaveLength(1);
      expect(first.counts.downloaded ?? 0).toBe(0);

      for (const p of PROVIDER_NAMES) emu.setFaults(p, { renderMs: 100 });
      // fal's request history lists a request once it has ended: let the emulated render finish first.
      for (let i = 0; i < 600 && emu.tasks('fal')[0]?.phase !== 'succeeded'; i++) await new Promise((r) => setTimeout(r, 25));
      const second = await run(emu, runDir, jobs, 100);
      for (const p of PROVIDER_NAMES) expect(emu.tasks(p), p).toHaveLength(1); // still: nobody paid twice
      const state = await readRunState(runDir);
      const stateOf = (p: ProviderName) => state!.records[jobs[PROVIDER_NAMES.indexOf(p)]!.id]!;
      expect(stateOf('sorapi').state).toBe('downloaded');
      expect(stateOf('sorapi').task?.id).toBe(emu.tasks('sorapi')[0]!.id);
      // A failed list is not proof of anything: the job is reconciled again on resume, not given up.
      expect(stateOf('openai').state).toBe('downloaded');
      expect(stateOf('openai').task?.id).toBe(emu.tasks('openai')[0]!.id);
      // fal (request history by endpoint) and Replicate (predictions list) reconcile too (issue 10).
      for (const p of ['fal', 'replicate'] as const) {
        expect(stateOf(p).state, p).toBe('downloaded');
        expect(stateOf(p).task?.id, p).toBe(emu.tasks(p)[0]!.id);
      }
      for (const p of ['apidot', 'apixo'] as const) expect(stateOf(p).state, p).toBe('unknown');
      expect(second.messages.join('\n')).toMatch(/2 job\(s\) unknown.*--resubmit-unknown/);
    },
  );

  it('openai: two takes of one request reconciling at the same time claim different videos', { timeout: 120_000 }, async () => {
    emu = await startEmulator({ render: 'shared', seed: 12, faults: { openai: { renderMs: 100, dropRate: 1 } } });
    const runDir = await tmpRunDir();
    const base = emuJob('openai', 1);
    const jobs = [base, { ...base, id: `${base.id}t2`, take: 2 }, { ...base, id: `${base.id}t3`, take: 3 }];
    await run(emu, runDir, jobs, 100);
    expect(emu.tasks('openai')).toHaveLength(3);
    emu.setFaults('openai', { renderMs: 100 });
    const out = await run(emu, runDir, jobs, 100);
    expect(out.counts).toEqual({ downloaded: 3 });
    expect(emu.tasks('openai')).toHaveLength(3);
    const state = await readRunState(runDir);
    const claimed = jobs.map((j) => state!.records[j.id]!.task!.id);
    expect(new Set(claimed).size).toBe(3);
    expect(out.spentUsd).toBeCloseTo(1.2, 6);
  });

  it('resubmitting an unknown job keeps its possibly-billed first attempt inside the budget', { timeout: 120_000 }, async () => {
    emu = await startEmulator({ render: 'shared', seed: 13, faults: { apidot: { renderMs: 100, dropRate: 1 } } });
    const runDir = await tmpRunDir();
    const jobs = [emuJob('apidot', 1)]; // $0.40
    const first = await run(emu, runDir, jobs, 0.4);
    expect(first.counts).toEqual({ unknown: 1 });
    emu.setFaults('apidot', { renderMs: 100 });
    // The first task may exist and be billed: a second $0.40 task would make the worst case $0.80 > $0.40.
    const refused = await run(emu, runDir, jobs, 0.4, { resubmitUnknown: true });
    expect(emu.tasks('apidot')).toHaveLength(1);
    expect(refused.counts).toEqual({ unknown: 1 });
    expect(refused.events.some((e) => e.kind === 'warning' && /would pass the budget/.test(e.message))).toBe(true);
    // With room for both, the explicit resubmit goes ahead.
    const allowed = await run(emu, runDir, jobs, 0.8, { resubmitUnknown: true });
    expect(allowed.counts).toEqual({ downloaded: 1 });
    expect(emu.tasks('apidot')).toHaveLength(2);
    const rec = (await readRunState(runDir))!.records[jobs[0]!.id]!;
    expect(rec.spentUsd + rec.reservedUsd + (rec.heldUsd ?? 0)).toBeCloseTo(0.8, 6);
  });
});
