/**
 * 429s with a long Retry-After (on creates and on status polls) and a provider whose quota
 * runs out while another carries on, against the real emulator and adapters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import type { Job } from '../../src/plan/types.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import { executeRun, readRunState, type RunEvent } from '../../src/run/index.ts';
import { collect, tmpRunDir } from './helpers.ts';
import { emuBinding, emuJob } from './emu-helpers.ts';

let emu: EmulatorHandle | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

function run(
  e: EmulatorHandle,
  runDir: string,
  jobs: Job[],
  signal: AbortSignal,
  watch?: (ev: RunEvent) => void,
  fetchImpl: typeof fetch = fetch,
) {
  const { events, sink } = collect();
  return executeRun({
    runDir,
    jobs,
    approvedUsd: 100,
    bind: (name) => emuBinding(name as ProviderName, e.baseUrls[name as ProviderName], fetchImpl),
    clock: systemClock,
    signal,
    events: (ev) => {
      sink(ev);
      watch?.(ev);
    },
    rng: () => 0,
  }).then((o) => ({ ...o, events }));
}

/** fetch that counts requests still waiting for their answer. */
function countingFetch(): { fetch: typeof fetch; pending: () => number } {
  let pending = 0;
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    pending++;
    try {
      return await fetch(input, init);
    } finally {
      pending--;
    }
  }) as typeof fetch;
  return { fetch: f, pending: () => pending };
}

const never = new AbortController().signal;

describe('throttles and quotas', () => {
  it(
    'a 10-minute Retry-After on creates: one request, then a quiet wait that an interrupt ends at once',
    { timeout: 120_000 },
    async () => {
      emu = await startEmulator({ render: 'shared', seed: 41, faults: { replicate: { renderMs: 100, rate429: 1, retryAfterS: 600 } } });
      const runDir = await tmpRunDir();
      const jobs = [1, 2, 3].map((i) => emuJob('replicate', i));
      // Interrupted once the throttle is known and no create is on the wire. (A wall-clock abort raced
      // a slow first create on a loaded machine: a create cut off in flight may have made a task, so
      // it rightly stays \`submitting\`, and Replicate, which cannot be asked, then resumes as unknown.)
      const ac = new AbortController();
      const wire = countingFetch();
      const out = await run(
        emu,
        runDir,
        jobs,
        ac.signal,
        (ev) => {
          if (ev.kind === 'provider.throttled' && wire.pending() === 0) ac.abort();
        },
        wire.fetch,
      );
      // The 10-minute wait ended with the interrupt: the test's own timeout is far below it.
      expect(out.kind).toBe('interrupted');
      expect(emu.counts('replicate').rejected429).toBeLessThanOrEqual(3); // no hammering while the server said wait
      const state = (await readRunState(runDir))!;
      for (const j of jobs) expect(['planned', 'submitting']).toContain(state.records[j.id]!.state);
      expect(emu.tasks('replicate')).toHaveLength(0);
      emu.setFaults('replicate', { renderMs: 100 });
      const again = await run(emu, runDir, jobs, never);
      expect(again.counts).toEqual({ downloaded: 3 });
      expect(emu.tasks('replicate')).toHaveLength(3);
      expect(again.spentUsd).toBeCloseTo(1.2, 6);
    },
  );

  it('a 10-minute Retry-After on status polls keeps the task and its id; resume picks it up', { timeout: 120_000 }, async () => {
    emu = await startEmulator({ render: 'shared', seed: 42, faults: { fal: { renderMs: 200 } } });
    const runDir = await tmpRunDir();
    const jobs = [emuJob('fal', 1)];
    const ac = new AbortController();
    const { events, sink } = collect();
    const p = executeRun({
      runDir,
      jobs,
      approvedUsd: 100,
      bind: (name) => emuBinding(name as ProviderName, emu!.baseUrls[name as ProviderName], fetch),
      clock: systemClock,
      signal: ac.signal,
      events: (e) => {
        sink(e);
        // Throttle everything the moment the task exists.
        if (e.kind === 'job.state' && e.to === 'submitted') emu!.setFaults('fal', { renderMs: 200, rate429: 1, retryAfterS: 600 });
        // Interrupted once the long throttle has been seen (not after a fixed time a loaded machine may not reach).
        if (e.kind === 'provider.throttled' && e.waitMs >= 600_000) ac.abort();
      },
      rng: () => 0,
    });
    const out = await p;
    expect(out.kind).toBe('interrupted');
    expect(events.some((e) => e.kind === 'provider.throttled' && e.waitMs >= 600_000)).toBe(true);
    expect(emu.counts('fal').rejected429).toBeLessThanOrEqual(2);
    const rec = (await readRunState(runDir))!.records[jobs[0]!.id]!;
    expect(['submitted', 'running']).toContain(rec.state);
    expect(rec.task?.id).toBe(emu.tasks('fal')[0]!.id);
    emu.setFaults('fal', { renderMs: 200 });
    const again = await run(emu, runDir, jobs, never);
    expect(again.counts).toEqual({ downloaded: 1 });
    expect(emu.tasks('fal')).toHaveLength(1);
  });

  it(
    'quota exhausted on one provider: its paid tasks are still downloaded, the other provider finishes',
    { timeout: 120_000 },
    async () => {
      emu = await startEmulator({
        render: 'shared',
        seed: 43,
        faults: { openai: { renderMs: 300, quotaCreates: 2 }, apidot: { renderMs: 100 } },
      });
      const runDir = await tmpRunDir();
      const jobs = [...[1, 2, 3, 4].map((i) => emuJob('openai', i)), ...[1, 2, 3].map((i) => emuJob('apidot', i))];
      const out = await run(emu, runDir, jobs, never);
      expect(out.kind).toBe('provider_stopped');
      expect(emu.tasks('openai')).toHaveLength(2);
      // The two created (and billed) openai videos are fetched, not left behind to expire.
      expect(out.counts).toEqual({ downloaded: 5, planned: 2 });
      expect(out.spentUsd).toBeCloseTo(2.0, 6);
      expect(out.messages.join('\n')).toMatch(/openai stopped taking work \(.*quota.*\); 2 job\(s\) left planned: add credit, then resume/);
      const state = (await readRunState(runDir))!;
      for (const j of jobs.filter((x) => state.records[x.id]!.state === 'planned')) expect(state.records[j.id]!.reservedUsd).toBe(0);
    },
  );

  it('a provider outage during submits (5xx on every create) leaves the jobs resumable, not failed', { timeout: 120_000 }, async () => {
    emu = await startEmulator({ render: 'shared', seed: 44, faults: { apidot: { renderMs: 100, rate5xx: 1 } } });
    const runDir = await tmpRunDir();
    const jobs = [1, 2].map((i) => emuJob('apidot', i));
    const out = await run(emu, runDir, jobs, never);
    expect(emu.tasks('apidot')).toHaveLength(0); // nothing was created: nothing to pay, nothing lost
    expect(out.counts).toEqual({ planned: 2 });
    expect(out.kind).toBe('completed_with_failures');
    const text = out.messages.join('\n');
    expect(text).not.toMatch(/would pass the budget/);
    expect(text).toMatch(/2 job\(s\) not submitted.*HTTP 503.*resume/);
    const state = (await readRunState(runDir))!;
    for (const j of jobs) expect(state.records[j.id]!.reservedUsd).toBe(0);
    emu.setFaults('apidot', { renderMs: 100 });
    const again = await run(emu, runDir, jobs, never);
    expect(again.counts).toEqual({ downloaded: 2 });
    expect(again.spentUsd).toBeCloseTo(0.8, 6);
  });
});
