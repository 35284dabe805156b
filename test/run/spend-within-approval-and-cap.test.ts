/**
 * spend never passes the approved total or the cap, under concurrency, with free failed
 * tasks being replaced by new submits, unpriced jobs alongside, and across a resume.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import type { Job } from '../../src/plan/types.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import type { RunEvent } from '../../src/run/events.ts';
import { executeRun, readRunState } from '../../src/run/index.ts';
import { collect, tmpRunDir } from './helpers.ts';
import { emuBinding, emuJob } from './emu-helpers.ts';

let emu: EmulatorHandle | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});
const never = new AbortController().signal;

function run(e: EmulatorHandle, runDir: string, jobs: Job[], approvedUsd: number, capUsd?: number) {
  const { events, sink } = collect();
  return executeRun({
    runDir,
    jobs,
    approvedUsd,
    capUsd,
    bind: (name) => emuBinding(name as ProviderName, e.baseUrls[name as ProviderName], fetch, { max_in_flight: 12 }),
    clock: systemClock,
    signal: never,
    events: sink,
    rng: () => 0,
  }).then((o) => ({ ...o, events }));
}

const worstCase = (events: RunEvent[]): number =>
  Math.max(
    0,
    ...events.filter((e): e is Extract<RunEvent, { kind: 'budget' }> => e.kind === 'budget').map((e) => e.reservedUsd + e.spentUsd),
  );

describe('budget under concurrency', () => {
  it(
    'reserved + spent never passes the cap; free failures make room, unpriced jobs run, resume keeps the books',
    { timeout: 120_000 },
    async () => {
      emu = await startEmulator({
        render: 'shared',
        seed: 52,
        faults: { apidot: { renderMs: 150, taskFailRate: 0.4 }, sorapi: { renderMs: 150 } },
      });
      const runDir = await tmpRunDir();
      const jobs = [
        ...Array.from({ length: 12 }, (_, i) => emuJob('apidot', i)), // $0.40 each; failed tasks are free
        ...Array.from({ length: 3 }, (_, i) => emuJob('sorapi', i, { cost: { usd: null, credits: null } })),
      ];
      const out = await run(emu, runDir, jobs, 4.8, 2.0);
      expect(worstCase(out.events)).toBeLessThanOrEqual(2.0 + 1e-9);
      expect(out.spentUsd).toBeLessThanOrEqual(2.0 + 1e-9);
      const state = (await readRunState(runDir))!;
      const apidot = jobs.filter((j) => j.provider === 'apidot').map((j) => state.records[j.id]!);
      const ok = apidot.filter((r) => r.state === 'downloaded').length;
      expect(ok).toBe(5); // exactly as many as $2.00 buys
      expect(apidot.filter((r) => r.state === 'failed').length).toBeGreaterThan(0); // failures did happen and were replaced
      expect(out.spentUsd).toBeCloseTo(ok * 0.4, 6);
      for (const r of apidot.filter((x) => x.state === 'failed')) expect(r.spentUsd).toBe(0);
      expect(jobs.filter((j) => j.provider === 'sorapi').every((j) => state.records[j.id]!.state === 'downloaded')).toBe(true);
      expect(out.messages.join('\n')).toMatch(/not submitted: they would pass the budget \(\$2\.00\)/);
      // Resume with the same cap: nothing more is bought.
      const tasksBefore = emu.tasks('apidot').length;
      const again = await run(emu, runDir, jobs, 4.8, 2.0);
      expect(emu.tasks('apidot').length).toBe(tasksBefore);
      expect(again.spentUsd).toBeCloseTo(out.spentUsd, 6);
      expect(worstCase(again.events)).toBeLessThanOrEqual(2.0 + 1e-9);
    },
  );
});
