import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { executeRun, readRunState } from '../../src/run/index.ts';
import { bindingFor, clipFetch, collect, FakeProvider, makeJobs, tinyClip, tmpRunDir } from './helpers.ts';

const never = new AbortController().signal;

describe('executeRun with a fake provider', () => {
  it('runs every job to downloaded, verified, with sidecars and exact spend', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const p = new FakeProvider(systemClock, { renderMs: 30 });
    const jobs = makeJobs(12);
    const { events, sink } = collect();
    const out = await executeRun({
      runDir,
      jobs,
      approvedUsd: 6,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: never,
      events: sink,
    });
    expect(out.kind).toBe('completed');
    expect(out.counts).toEqual({ downloaded: 12 });
    expect(out.spentUsd).toBe(6);
    expect(p.creates()).toBe(12);
    const side = JSON.parse(await readFile(join(runDir, 'clips', `${jobs[0]!.id}.json`), 'utf8'));
    expect(side.task.id).toMatch(/^t\d+$/);
    expect(JSON.stringify(side)).not.toContain('"k"'); // the API key never reaches the run directory
    expect((await stat(join(runDir, 'clips', `${jobs[0]!.id}.mp4`))).size).toBe(clip.length);
    const state = await readRunState(runDir);
    expect(state?.spentUsd).toBe(6);
    expect(Object.values(state!.records).every((r) => r.state === 'downloaded' && r.clip?.sha256.length === 64)).toBe(true);
    expect(events[0]?.kind).toBe('run.started');
    expect(events.at(-1)?.kind).toBe('run.finished');
    // every job went planned → submitting → submitted → (running) → succeeded → downloaded
    const toDownloaded = events.filter((e) => e.kind === 'job.state' && e.to === 'downloaded');
    expect(toDownloaded).toHaveLength(12);
  });

  it('retries truncated downloads and never retries a rejected job', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const p = new FakeProvider(systemClock, {
      renderMs: 10,
      script: [{ kind: 'rejected', code: 'invalid_request', message: 'bad prompt' }],
    });
    const f = clipFetch(clip, { truncateFirst: 2 });
    const out = await executeRun({
      runDir,
      jobs: makeJobs(3),
      approvedUsd: 10,
      bind: () => bindingFor(p, f),
      clock: systemClock,
      signal: never,
      events: () => {},
      rng: () => 0,
    });
    expect(out.counts).toEqual({ rejected: 1, downloaded: 2 });
    expect(out.kind).toBe('completed_with_failures');
    expect(p.calls.filter((c) => c.kind === 'submit')).toHaveLength(3); // the rejected one was sent once
    expect(f.calls).toBe(4); // 2 truncated + 2 good
    expect(out.spentUsd).toBe(1);
  });

  it('releases the reservation of failed tasks that are not charged', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const jobs = makeJobs(4);
    const p = new FakeProvider(systemClock, { renderMs: 10, failJobs: new Set([jobs[1]!.id]) });
    const out = await executeRun({
      runDir,
      jobs,
      approvedUsd: 10,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: never,
      events: () => {},
    });
    expect(out.counts).toEqual({ downloaded: 3, failed: 1 });
    expect(out.spentUsd).toBe(1.5);
    const state = await readRunState(runDir);
    expect(state!.records[jobs[1]!.id]!.reservedUsd).toBe(0);
  });

  it('re-downloads a clip whose file changed on disk when resuming', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const jobs = makeJobs(2);
    const p = new FakeProvider(systemClock, { renderMs: 5 });
    const f = clipFetch(clip);
    const run = () =>
      executeRun({ runDir, jobs, approvedUsd: 10, bind: () => bindingFor(p, f), clock: systemClock, signal: never, events: () => {} });
    expect((await run()).kind).toBe('completed');
    await writeFile(join(runDir, 'clips', `${jobs[0]!.id}.mp4`), 'corrupt');
    const again = await run();
    expect(again.kind).toBe('completed');
    expect(f.calls).toBe(3);
    expect(p.creates()).toBe(2); // no new task: the existing result was fetched again
    expect(again.spentUsd).toBe(1);
  });
});

describe('limits', () => {
  it('never has more tasks in flight than max_in_flight, and paces submits per minute', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const p = new FakeProvider(systemClock, { renderMs: 40 });
    let inFlight = 0;
    let peak = 0;
    const submit = p.submit.bind(p);
    const status = p.status.bind(p);
    const done = new Set<string>();
    p.submit = async (...a) => {
      const out = await submit(...a);
      if (out.kind === 'accepted') peak = Math.max(peak, ++inFlight);
      return out;
    };
    p.status = async (env, task, job) => {
      const out = await status(env, task, job);
      if (out.kind === 'succeeded' && !done.has(task.id)) {
        done.add(task.id);
        inFlight--;
      }
      return out;
    };
    const limits = { submit_per_min: 600, submit_burst: 3, polls_per_min: 60_000, max_in_flight: 3, downloads: 2 };
    const t0 = Date.now();
    const out = await executeRun({
      runDir,
      jobs: makeJobs(8),
      approvedUsd: 10,
      bind: () => bindingFor(p, clipFetch(clip), { limits }),
      clock: systemClock,
      signal: never,
      events: () => {},
    });
    expect(out.counts).toEqual({ downloaded: 8 });
    expect(peak).toBe(3);
    // 8 submits at 10/s with a burst of 3: the last one no earlier than 0.5 s in.
    const submits = p.calls.filter((c) => c.kind === 'submit').map((c) => c.at - t0);
    expect(Math.max(...submits)).toBeGreaterThanOrEqual(480);
  });
});

describe('expiry and unpriced jobs', () => {
  it('marks a clip expired when its result URL answers 410 even after a fresh status', async () => {
    const runDir = await tmpRunDir();
    const p = new FakeProvider(systemClock, { renderMs: 5 });
    const f = clipFetch(Buffer.alloc(0), { status: 410 });
    const out = await executeRun({
      runDir,
      jobs: makeJobs(2),
      approvedUsd: 10,
      bind: () => bindingFor(p, f),
      clock: systemClock,
      signal: never,
      events: () => {},
    });
    expect(out.counts).toEqual({ expired: 2 });
    expect(f.calls).toBe(4); // one retry each, after re-reading the task's status
    expect(out.spentUsd).toBe(1); // the provider charged for the renders
  });
  it('runs unpriced jobs at zero cost within any budget', async () => {
    const clip = await tinyClip();
    const runDir = await tmpRunDir();
    const p = new FakeProvider(systemClock, { renderMs: 5 });
    const out = await executeRun({
      runDir,
      jobs: makeJobs(3, { cost: { usd: null, credits: null } }),
      approvedUsd: 0,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: never,
      events: () => {},
    });
    expect(out.counts).toEqual({ downloaded: 3 });
    expect(out.spentUsd).toBe(0);
  });
});
