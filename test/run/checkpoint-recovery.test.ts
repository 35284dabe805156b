/** Damaged or missing run files never lose a task id and never make a run start over (issue 9 §1, §3). */
import { readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunDirWriteError } from '../../src/errors.ts';
import { CheckpointStore, loadCheckpoint } from '../../src/run/checkpoint.ts';
import { CheckpointLostError } from '../../src/run/checkpoint-read.ts';
import type { WriteChunk } from '../../src/run/rundir.ts';
import type { JobRecord } from '../../src/run/types.ts';
import { makeJobs, tmpRunDir } from './helpers.ts';
import { openFilesUnder } from '../helpers/fds.ts';

const rec = (id: string, state: JobRecord['state'], over: Partial<JobRecord> = {}): JobRecord => ({
  id,
  state,
  attempts: 1,
  reservedUsd: 0.5,
  spentUsd: 0,
  timings: {},
  ...over,
});

/** A disk that fills up once armed: a write past `room` bytes of the file is cut short, then ENOSPC. */
function fillingDisk(room: number) {
  const disk = { full: false };
  const write: WriteChunk = async (fh, buf, offset, length, position) => {
    if (!disk.full) return (await fh.write(buf, offset, length, position)).bytesWritten;
    if (position >= room) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    return (await fh.write(buf, offset, Math.min(length, room - position), position)).bytesWritten;
  };
  return { disk, write };
}

/** A run with `n` jobs, the first `sent` of them holding a task id; left open as after kill -9. */
async function runWithTasks(n: number, sent: number, opts: { write?: WriteChunk; compactEvery?: number } = {}) {
  const dir = await tmpRunDir();
  const jobs = makeJobs(n).map((j) => ({ ...j, cost: { usd: 0.5, credits: null } }));
  const { store } = await CheckpointStore.open(dir, { jobs, approvedUsd: n }, opts);
  for (const j of jobs.slice(0, sent)) {
    await store.put(rec(j.id, 'submitting', { idempotencyKey: `${j.id}-1` }));
    await store.put(rec(j.id, 'submitted', { task: { id: `task-${j.id}` } }));
  }
  return { dir, jobs, store };
}

describe('a snapshot cut short by a full disk (73,728 of 75,893 bytes)', () => {
  it('never replaces the good snapshot; the journal is kept; every task id survives, and the run resumes once space is freed', async () => {
    const { disk, write } = fillingDisk(73_728);
    const { dir, jobs, store } = await runWithTasks(200, 120, { write });
    const snapBefore = await readFile(join(dir, 'checkpoint.json'));
    disk.full = true;
    const err = await store.close().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunDirWriteError);
    expect((err as Error).message).toContain(dir);
    expect(await readFile(join(dir, 'checkpoint.json'))).toEqual(snapBefore); // not replaced
    // The failed final compaction still releases the journal (a leaked handle is closed on GC, with a warning).
    expect(await openFilesUnder(dir)).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.includes('.tmp'))).toEqual([]);
    const loaded = await loadCheckpoint(dir);
    expect(Object.values(loaded!.records).filter((r) => r.task).length).toBe(120);
    // Space freed: the same directory opens, with every task id.
    disk.full = false;
    const again = await CheckpointStore.open(dir, { jobs, approvedUsd: 200 });
    expect(again.resumed).toBe(true);
    expect(again.store.get(jobs[119]!.id)).toMatchObject({ state: 'submitted', task: { id: `task-${jobs[119]!.id}` } });
    await again.store.close();
  });

  it('a journal append that hits a full disk fails cleanly and leaves no torn line behind', async () => {
    const { disk, write } = fillingDisk(0);
    const { dir, jobs, store } = await runWithTasks(5, 2, { write });
    const size = (await stat(join(dir, 'checkpoint.journal'))).size;
    disk.full = true;
    await expect(store.put(rec(jobs[2]!.id, 'submitting'))).rejects.toBeInstanceOf(RunDirWriteError);
    expect((await stat(join(dir, 'checkpoint.journal'))).size).toBe(size);
    disk.full = false;
    await store.put(rec(jobs[3]!.id, 'submitting'));
    const loaded = await loadCheckpoint(dir);
    expect(loaded!.journalSkipped).toBe(0);
    expect(loaded!.records[jobs[3]!.id]!.state).toBe('submitting');
  });
});

describe('a missing, empty or half-written checkpoint.json', () => {
  for (const [what, damage] of [
    ['deleted', (f: string) => unlink(f)],
    ['empty', (f: string) => writeFile(f, '')],
    ['half written', async (f: string) => writeFile(f, (await readFile(f)).subarray(0, 900))],
  ] as const) {
    it(`${what}: rebuilt from the previous snapshot and the journals, with a reason; no job is planned again`, async () => {
      const { dir, jobs, store } = await runWithTasks(10, 4, { compactEvery: 3 });
      await store.put(rec(jobs[4]!.id, 'submitting'));
      await damage(join(dir, 'checkpoint.json'));
      const loaded = await loadCheckpoint(dir);
      expect(loaded!.recovered).toMatchObject({ from: 'previous' });
      expect(loaded!.recovered!.reason).toMatch(what === 'deleted' ? /missing/ : /damaged/);
      expect(loaded!.jobs).toHaveLength(10);
      for (const j of jobs.slice(0, 4)) expect(loaded!.records[j.id]).toMatchObject({ state: 'submitted', task: { id: `task-${j.id}` } });
      expect(loaded!.records[jobs[4]!.id]!.state).toBe('submitting');
      const again = await CheckpointStore.open(dir, { jobs, approvedUsd: 10 });
      expect(again.resumed).toBe(true);
      expect(again.report.recovered?.from).toBe('previous');
      expect(again.store.get(jobs[3]!.id)!.state).toBe('submitted');
      await again.store.close();
      if (what !== 'deleted') expect(await readdir(dir)).toContain('checkpoint.json.damaged');
    });
  }

  it('with no snapshot at all, the journals rebuild the state when they reach back to the start', async () => {
    const { dir, jobs } = await runWithTasks(6, 3);
    await unlink(join(dir, 'checkpoint.json'));
    await unlink(join(dir, 'checkpoint.prev.json')).catch(() => undefined);
    const loaded = await loadCheckpoint(dir);
    expect(loaded!.recovered).toMatchObject({ from: 'journal' });
    for (const j of jobs.slice(0, 3)) expect(loaded!.records[j.id]!.state).toBe('submitted');
  });

  it('refuses (one clear error, nothing written) when no snapshot is usable and the journal does not reach the start', async () => {
    const { dir, store } = await runWithTasks(6, 3, { compactEvery: 2 });
    await store.put(rec('job00005', 'submitting'));
    await rm(join(dir, 'checkpoint.json'));
    await rm(join(dir, 'checkpoint.prev.json'));
    await expect(loadCheckpoint(dir)).rejects.toBeInstanceOf(CheckpointLostError);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/Nothing was run/);
  });
});

describe('damaged journal entries', () => {
  it('make their jobs unknown (cost held), never planned, and are counted', async () => {
    const { dir, jobs, store } = await runWithTasks(4, 0);
    await store.put(rec(jobs[0]!.id, 'submitting', { idempotencyKey: 'k0' }));
    await store.put(rec(jobs[1]!.id, 'submitting', { idempotencyKey: 'k1' }));
    await store.put(rec(jobs[2]!.id, 'submitting', { idempotencyKey: 'k2' }));
    await store.put(rec(jobs[2]!.id, 'submitted', { task: { id: 't2' } }));
    const path = join(dir, 'checkpoint.journal');
    const lines = (await readFile(path, 'utf8')).split('\n');
    // Garble two complete lines (a flipped byte inside each), as found after a crash.
    lines[0] = lines[0]!.replace('submitting', 'submitt1ng');
    lines[1] = lines[1]!.replace('"attempts":1', '"attempts":7');
    await writeFile(path, lines.join('\n'));
    const loaded = await loadCheckpoint(dir);
    expect(loaded!.damagedEntries).toBe(2);
    expect(loaded!.records[jobs[0]!.id]).toMatchObject({ state: 'unknown', reservedUsd: 0.5, error: { code: 'journal_damaged' } });
    expect(loaded!.records[jobs[1]!.id]).toMatchObject({ state: 'unknown', reservedUsd: 0.5 });
    expect(loaded!.records[jobs[2]!.id]).toMatchObject({ state: 'submitted', task: { id: 't2' } });
    expect(loaded!.records[jobs[3]!.id]!.state).toBe('planned');
    const again = await CheckpointStore.open(dir, { jobs, approvedUsd: 4 });
    expect(again.report.damagedEntries).toBe(2);
    expect(again.store.get(jobs[0]!.id)!.state).toBe('unknown');
    await again.store.close();
  });
});
