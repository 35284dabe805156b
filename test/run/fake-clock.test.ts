/** The executor on a FakeClock: retry and throttle schedules in exact milliseconds, without sleeping. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { executeRun, type RunOutcome } from '../../src/run/index.ts';
import type { RunEvent } from '../../src/run/events.ts';
import { bindingFor, clipFetch, collect, FakeProvider, makeJobs, tinyClip, tmpRunDir } from './helpers.ts';

/** Run to completion, advancing fake time in small steps while real I/O (fsync, files) happens. */
async function drive(clock: FakeClock, run: Promise<RunOutcome>): Promise<RunOutcome> {
  let done = false;
  const out = run.finally(() => (done = true));
  for (let i = 0; !done && i < 100_000; i++) {
    await clock.advance(10);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

describe('executor on a fake clock', () => {
  it('backs off transient submit failures on the jittered exponential schedule', async () => {
    const clip = await tinyClip();
    const clock = new FakeClock();
    const t0 = clock.now();
    const p = new FakeProvider(clock, {
      renderMs: 1000,
      script: [
        { kind: 'transient', message: '503', httpStatus: 503 },
        { kind: 'transient', message: '503', httpStatus: 503 },
        { kind: 'transient', message: '503', httpStatus: 503 },
      ],
    });
    const { events, sink } = collect();
    const out = await drive(
      clock,
      executeRun({
        runDir: await tmpRunDir(),
        jobs: makeJobs(1),
        approvedUsd: 1,
        bind: () => bindingFor(p, clipFetch(clip), {}, clock),
        clock,
        signal: new AbortController().signal,
        events: sink,
        rng: () => 0.5,
      }),
    );
    expect(out.counts).toEqual({ downloaded: 1 });
    // rng 0.5 → half of 500·2^(n-1): exactly 250, 500, 1000 ms …
    const retries = events.filter((e): e is Extract<RunEvent, { kind: 'job.retry' }> => e.kind === 'job.retry');
    expect(retries.map((r) => r.delayMs)).toEqual([250, 500, 1000]);
    // … and no attempt went out before its delay had passed on the clock.
    const submits = p.calls.filter((c) => c.kind === 'submit').map((c) => c.at - t0);
    expect(submits).toHaveLength(4);
    retries.forEach((r, i) => expect(submits[i + 1]! + t0 - r.at).toBeGreaterThanOrEqual(r.delayMs));
    // First poll probed at the catalog render time (50 ms here), not before.
    const firstPoll = p.calls.find((c) => c.kind === 'status')!.at - t0;
    expect(firstPoll - submits.at(-1)!).toBeGreaterThanOrEqual(50);
  });

  it('a throttle holds back every worker of that provider for the advertised wait', async () => {
    const clip = await tinyClip();
    const clock = new FakeClock();
    const p = new FakeProvider(clock, { renderMs: 100, script: [{ kind: 'throttled', retryAfterMs: 8000, message: '429' }] });
    const out = await drive(
      clock,
      executeRun({
        runDir: await tmpRunDir(),
        jobs: makeJobs(6),
        approvedUsd: 10,
        bind: () =>
          bindingFor(
            p,
            clipFetch(clip),
            { limits: { submit_per_min: 60_000, submit_burst: 1, polls_per_min: 60_000, max_in_flight: 6, downloads: 2 } },
            clock,
          ),
        clock,
        signal: new AbortController().signal,
        events: () => {},
      }),
    );
    expect(out.counts).toEqual({ downloaded: 6 });
    const submits = p.calls.filter((c) => c.kind === 'submit');
    const throttledAt = submits[0]!.at;
    expect(submits[0]!.outcome).toBe('throttled');
    for (const s of submits.slice(1)) expect(s.at - throttledAt).toBeGreaterThanOrEqual(8000);
  });
});
