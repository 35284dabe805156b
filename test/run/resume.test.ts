import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { CheckpointStore } from '../../src/run/checkpoint.ts';
import type { RunEvent } from '../../src/run/events.ts';
import { executeRun, readRunState } from '../../src/run/index.ts';
import { bindingFor, clipFetch, collect, FakeProvider, makeJobs, tinyClip, tmpRunDir, type FakeOptions } from './helpers.ts';

const never = new AbortController().signal;

/** A checkpoint left by a process killed after writing `submitting` and after the provider created the task. */
async function crashedMidSubmit(opts: FakeOptions) {
  const runDir = await tmpRunDir();
  const jobs = makeJobs(2);
  const p = new FakeProvider(systemClock, { renderMs: 5, ...opts });
  const { store } = await CheckpointStore.open(runDir, { jobs, approvedUsd: 10 });
  const key = `${jobs[0]!.id}-1`;
  await store.put({
    id: jobs[0]!.id,
    state: 'submitting',
    attempts: 1,
    idempotencyKey: key,
    reservedUsd: 0.5,
    spentUsd: 0,
    timings: { submittingAt: Date.now() },
  });
  await store.abandon(); // killed: nothing more written, the handle let go
  await p.submit(bindingFor(p, fetch).env, jobs[0]!, { idempotencyKey: key }); // the request did arrive
  return { runDir, jobs, p };
}

async function resume(runDir: string, jobs: ReturnType<typeof makeJobs>, p: FakeProvider, extra: { resubmitUnknown?: boolean } = {}) {
  const clip = await tinyClip();
  return executeRun({
    runDir,
    jobs,
    approvedUsd: 10,
    bind: () => bindingFor(p, clipFetch(clip)),
    clock: systemClock,
    signal: never,
    events: () => {},
    ...extra,
  });
}

describe('resume after a crash between intent and answer', () => {
  it('replays the idempotency key on an idempotent provider: no second task', async () => {
    const { runDir, jobs, p } = await crashedMidSubmit({ idempotentSubmit: true });
    const out = await resume(runDir, jobs, p);
    expect(out.kind).toBe('completed');
    expect(p.creates()).toBe(2);
    expect(p.calls.filter((c) => c.outcome === 'accepted-replay')).toHaveLength(1);
    expect(out.spentUsd).toBe(1);
  });
  it('finds the task through reconcile on a provider that can list', async () => {
    const { runDir, jobs, p } = await crashedMidSubmit({ reconcile: true });
    const out = await resume(runDir, jobs, p);
    expect(out.kind).toBe('completed');
    expect(p.creates()).toBe(2);
    expect(p.calls.filter((c) => c.kind === 'reconcile')).toHaveLength(1);
  });
  it('marks it unknown otherwise, and resubmits only on request', async () => {
    const { runDir, jobs, p } = await crashedMidSubmit({});
    const out = await resume(runDir, jobs, p);
    expect(out.kind).toBe('completed_with_failures');
    expect(out.counts).toEqual({ unknown: 1, downloaded: 1 });
    expect(out.messages.join('\n')).toMatch(/resubmit-unknown/);
    expect(p.creates()).toBe(2);
    const again = await resume(runDir, jobs, p, { resubmitUnknown: true });
    expect(again.counts).toEqual({ downloaded: 2 });
    expect(p.creates()).toBe(3); // the explicit, accepted risk
    expect(again.spentUsd).toBe(1);
  });
  it('reconciles an ambiguous submit at run time instead of retrying it', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const p = new FakeProvider(systemClock, { renderMs: 5, reconcile: true, script: ['create-then-ambiguous'] });
    const out = await executeRun({
      runDir,
      jobs: makeJobs(3),
      approvedUsd: 10,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: never,
      events: () => {},
    });
    expect(out.counts).toEqual({ downloaded: 3 });
    expect(p.creates()).toBe(3);
  });
});

describe('interrupt and resume', () => {
  it('returns interrupted quickly, then resumes polling the same tasks', async () => {
    const runDir = await tmpRunDir();
    const jobs = makeJobs(6);
    const p = new FakeProvider(systemClock, { renderMs: 400 });
    const ac = new AbortController();
    const clip = await tinyClip();
    const run = executeRun({
      runDir,
      jobs,
      approvedUsd: 10,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: ac.signal,
      events: () => {},
    });
    while (p.creates() < 6) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20)); // let the task ids become durable
    ac.abort();
    const out = await run;
    expect(out.kind).toBe('interrupted');
    const mid = await readRunState(runDir);
    expect(Object.values(mid!.records).every((r) => (r.state === 'submitted' || r.state === 'running') && r.task)).toBe(true);
    const again = await resume(runDir, jobs, p);
    expect(again.kind).toBe('completed');
    expect(p.creates()).toBe(6);
    expect(again.spentUsd).toBe(3);
  });
});

describe('budget', () => {
  it('never lets reserved + spent pass the cap, whatever the concurrency', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const p = new FakeProvider(systemClock, { renderMs: 5, latencyMs: 3 });
    const { events, sink } = collect();
    const out = await executeRun({
      runDir,
      jobs: makeJobs(40),
      approvedUsd: 20,
      capUsd: 10,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: never,
      events: sink,
    });
    const budget = events.filter((e): e is Extract<RunEvent, { kind: 'budget' }> => e.kind === 'budget');
    expect(budget.length).toBeGreaterThan(0);
    for (const b of budget) expect(b.reservedUsd + b.spentUsd).toBeLessThanOrEqual(10 + 1e-9);
    expect(out.spentUsd).toBe(10);
    expect(out.counts).toEqual({ downloaded: 20, planned: 20 });
    expect(p.creates()).toBe(20);
    expect(out.messages.join('\n')).toMatch(/20 job\(s\) not submitted/);
  });
});

describe('provider stops and throttles', () => {
  it('quota exhausted stops that provider only; the run ends provider_stopped', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const apidot = new FakeProvider(systemClock, {
      renderMs: 5,
      script: [
        { kind: 'accepted', task: { id: 'pre' } },
        { kind: 'quota_exhausted', message: 'insufficient credits' },
      ],
    });
    const fal = new FakeProvider(systemClock, { renderMs: 5, name: 'fal' });
    const jobs = [...makeJobs(4), ...makeJobs(4).map((j) => ({ ...j, id: `fal-${j.id}`, provider: 'fal' }))];
    const { events, sink } = collect();
    const lim = { submit_per_min: 60_000, submit_burst: 100, polls_per_min: 60_000, max_in_flight: 1, downloads: 2 };
    apidot.tasks.set('pre', { id: 'pre', jobId: jobs[0]!.id, key: 'x', createdAt: Date.now() });
    const out = await executeRun({
      runDir,
      jobs,
      approvedUsd: 10,
      bind: (n) => bindingFor(n === 'fal' ? fal : apidot, clipFetch(clip), { limits: lim }),
      clock: systemClock,
      signal: never,
      events: sink,
    });
    expect(out.kind).toBe('provider_stopped');
    expect(out.counts).toEqual({ downloaded: 5, planned: 3 });
    expect(events.some((e) => e.kind === 'provider.stopped' && e.provider === 'apidot')).toBe(true);
    expect(out.messages.join('\n')).toMatch(/apidot stopped.*3 job\(s\) left planned/);
    expect(apidot.calls.filter((c) => c.kind === 'submit')).toHaveLength(2);
    expect(out.spentUsd).toBe(2.5);
  });
  it('waits out a throttle before the next submit', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const p = new FakeProvider(systemClock, { renderMs: 5, script: [{ kind: 'throttled', retryAfterMs: 250, message: '429' }] });
    const out = await executeRun({
      runDir,
      jobs: makeJobs(4),
      approvedUsd: 10,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: never,
      events: () => {},
    });
    expect(out.counts).toEqual({ downloaded: 4 });
    const submits = p.calls.filter((c) => c.kind === 'submit');
    const throttledAt = submits.find((c) => c.outcome === 'throttled')!.at;
    for (const s of submits.filter((c) => c.at > throttledAt)) expect(s.at - throttledAt).toBeGreaterThanOrEqual(249);
  });
});
