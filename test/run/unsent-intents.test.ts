/**
 * `unknown` means "may exist at the provider" (issue 9 §4): an intent without a sending mark after a
 * process kill in the same boot provably never left and is planned again; after a machine crash
 * (another boot id) it is reconciled, never blindly resent.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { parseJournal } from '../../src/run/journal.ts';
import { CheckpointStore } from '../../src/run/checkpoint.ts';
import { currentBootId } from '../../src/run/lock.ts';
import { executeRun, readRunState, type JobRecord } from '../../src/run/index.ts';
import { bindingFor, clipFetch, collect, FakeProvider, makeJobs, tinyClip, tmpRunDir } from './helpers.ts';

const never = new AbortController().signal;

/** A run directory as a kill leaves it: `n` intents written (sending mark or not), nothing closed. */
async function killedWithIntents(n: number, marked: boolean) {
  const dir = await tmpRunDir();
  const jobs = makeJobs(n).map((j) => ({ ...j, cost: { usd: 1, credits: null } }));
  const { store } = await CheckpointStore.open(dir, { jobs, approvedUsd: n });
  for (const j of jobs) {
    const rec: JobRecord = {
      id: j.id,
      state: 'submitting',
      attempts: 1,
      idempotencyKey: `${j.id}-1`,
      reservedUsd: 1,
      spentUsd: 0,
      sendMarks: true,
      timings: { submittingAt: 1, ...(marked ? { sendingAt: 2 } : {}) },
    };
    await store.put(rec);
  }
  await store.abandon(); // as after kill -9: nothing more written, the handle let go
  return { dir, jobs };
}

async function resume(dir: string, jobs: ReturnType<typeof makeJobs>) {
  const clip = await tinyClip();
  const p = new FakeProvider(systemClock, { name: 'apidot', renderMs: 1 });
  const { events, sink } = collect();
  const out = await executeRun({
    runDir: dir,
    jobs,
    approvedUsd: jobs.length,
    bind: () => bindingFor(p, clipFetch(clip)),
    clock: systemClock,
    signal: never,
    events: sink,
  });
  return { out, p, events, state: (await readRunState(dir))! };
}

describe('intents found after a kill', () => {
  it('same boot, no sending mark: planned again (reservation released), each job paid once, none unknown', async () => {
    const { dir, jobs } = await killedWithIntents(8, false);
    // The killed process's lock is still there: dead pid, this boot.
    await writeFile(join(dir, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 1, startedAt: 1, bootId: currentBootId() }));
    const { out, p, events } = await resume(dir, jobs);
    expect(out.counts).toEqual({ downloaded: 8 });
    expect(p.creates()).toBe(8);
    expect(events.some((e) => e.kind === 'warning' && /8 create\(s\) were recorded but provably never sent/.test(e.message))).toBe(true);
  });

  it('another boot (machine crash), no sending mark: never resent blindly — unknown for a provider that cannot be asked', async () => {
    const { dir, jobs } = await killedWithIntents(3, false);
    await writeFile(join(dir, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 1, startedAt: 1, bootId: 'another-boot' }));
    const { p, state } = await resume(dir, jobs);
    expect(p.creates()).toBe(0);
    expect(jobs.map((j) => state.records[j.id]!.state)).toEqual(['unknown', 'unknown', 'unknown']);
  });

  it('same boot, with a sending mark: the create may have left — not planned again', async () => {
    const { dir, jobs } = await killedWithIntents(2, true);
    const { p, state } = await resume(dir, jobs);
    expect(p.creates()).toBe(0);
    expect(jobs.map((j) => state.records[j.id]!.state)).toEqual(['unknown', 'unknown']);
  });
});

describe('unknown jobs on a provider that can be asked', () => {
  it('are reconciled on every run without --resubmit-unknown: absent → submitted once', async () => {
    const dir = await tmpRunDir();
    const jobs = makeJobs(2).map((j) => ({ ...j, cost: { usd: 1, credits: null } }));
    const { store } = await CheckpointStore.open(dir, { jobs, approvedUsd: 2 });
    await store.put({
      id: jobs[0]!.id,
      state: 'unknown',
      attempts: 1,
      reservedUsd: 1,
      spentUsd: 0,
      timings: {},
      error: { code: 'journal_damaged', message: 'x' },
    });
    await store.close();
    const clip = await tinyClip();
    const p = new FakeProvider(systemClock, { name: 'openai', renderMs: 1, reconcile: true });
    const out = await executeRun({
      runDir: dir,
      jobs,
      approvedUsd: 2,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: never,
      events: () => {},
    });
    expect(out.counts).toEqual({ downloaded: 2 });
    expect(p.creates()).toBe(2);
    expect(p.calls.some((c) => c.kind === 'reconcile' && c.job === jobs[0]!.id)).toBe(true);
  });
});

describe('the sending mark', () => {
  it('is written after the durable intent and before the create, for every submit', async () => {
    const dir = await tmpRunDir();
    const jobs = makeJobs(4);
    const clip = await tinyClip();
    const p = new FakeProvider(systemClock, { name: 'apidot', renderMs: 1 });
    await executeRun({
      runDir: dir,
      jobs,
      approvedUsd: 100,
      bind: () => bindingFor(p, clipFetch(clip)),
      clock: systemClock,
      signal: never,
      events: () => {},
    });
    const text = (await readFile(join(dir, 'checkpoint.journal.prev'), 'utf8')) + (await readFile(join(dir, 'checkpoint.journal'), 'utf8'));
    const entries = parseJournal<JobRecord>(text).entries;
    for (const j of jobs) {
      const mine = entries.filter((e) => e.r.id === j.id).map((e) => `${e.r.state}${e.r.timings.sendingAt ? '+mark' : ''}`);
      expect(mine.slice(0, 3)).toEqual(['submitting', 'submitting+mark', 'submitted+mark']);
    }
  });
});
