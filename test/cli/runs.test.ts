/** Issue 11: `shotlist runs [dir]` lists every run with its state (from the lock, as `status`), jobs, spend and last activity. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/run/checkpoint.ts';
import type { JobRecord } from '../../src/run/types.ts';
import { runInProcess } from '../helpers/cli.ts';
import { tempDir } from '../helpers/manifests.ts';
import { makeJobs } from '../run/helpers.ts';

const rec = (id: string, over: Partial<JobRecord>): JobRecord => ({
  id,
  state: 'planned',
  attempts: 1,
  reservedUsd: 0,
  spentUsd: 0,
  timings: {},
  ...over,
});

/** A run with `done` downloaded and `failed` failed jobs out of `n`, and optionally a lock of `pid`. */
async function makeRun(root: string, name: string, o: { n: number; done: number; failed?: number; pid?: number }): Promise<string> {
  const dir = join(root, 'runs', name);
  await mkdir(dir, { recursive: true });
  const jobs = makeJobs(o.n);
  const { store } = await CheckpointStore.open(dir, { jobs, approvedUsd: o.n * 0.5 });
  for (const j of jobs.slice(0, o.done)) await store.put(rec(j.id, { state: 'downloaded', spentUsd: 0.5 }));
  for (const j of jobs.slice(o.done, o.done + (o.failed ?? 0))) {
    await store.put(rec(j.id, { state: 'failed', error: { code: 'content_policy', message: 'blocked' } }));
  }
  await store.close();
  if (o.pid !== undefined) await writeFile(join(dir, 'run.lock'), JSON.stringify({ pid: o.pid, startedAt: 0 }));
  return dir;
}

describe('shotlist runs', () => {
  it('lists live, stopped (stale lock) and finished runs with jobs, spend and last activity; --json has the same', async () => {
    const root = await tempDir();
    await makeRun(root, 'live-one', { n: 4, done: 1, pid: process.ppid }); // a live process that is not this one
    await makeRun(root, 'killed', { n: 3, done: 1, pid: 2 ** 22 + 12345 });
    await makeRun(root, 'done', { n: 2, done: 1, failed: 1 });
    await mkdir(join(root, 'runs', 'not-a-run'));

    const json = await runInProcess(['runs', root, '--json']);
    expect(json.code, json.err).toBe(0);
    const { root: listed, runs } = JSON.parse(json.out);
    expect(listed).toBe(join(root, 'runs'));
    const byName = Object.fromEntries(runs.map((r: { name: string }) => [r.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['done', 'killed', 'live-one']);
    expect(byName['live-one']).toMatchObject({ state: 'running', jobs: 4, finished: 1, spent_usd: 0.5, approved_usd: 2 });
    expect(byName.killed).toMatchObject({ state: 'stopped', stale_lock: true, jobs: 3, finished: 1 });
    expect(byName.done).toMatchObject({
      state: 'finished',
      stale_lock: false,
      finished: 2,
      failed: 1,
      counts: { downloaded: 1, failed: 1 },
    });
    expect(byName.done.last_activity).toMatch(/^\d{4}-\d\d-\d\dT/);

    const text = await runInProcess(['runs'], { cwd: root });
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/live-one\s+live\s+1\/4\s+\$0\.50 of \$2\.00/);
    expect(text.out).toMatch(/killed\s+stopped \(stale lock\)\s+1\/3/);
    expect(text.out).toMatch(/done\s+finished\s+2\/2 \(1 failed\)/);
  });

  it('says so when there are no runs, and refuses a file or a run directory with a hint (exit 2)', async () => {
    const root = await tempDir();
    expect((await runInProcess(['runs', root])).out).toContain(`no runs under ${root}`);
    const run = await makeRun(root, 'r', { n: 1, done: 0 });
    const onRun = await runInProcess(['runs', run]);
    expect(onRun.code).toBe(2);
    expect(onRun.err).toContain('shotlist status');
    await writeFile(join(root, 'f.txt'), 'x');
    const onFile = await runInProcess(['runs', join(root, 'f.txt')]);
    expect(onFile.code).toBe(2);
    expect(onFile.err).toMatch(/is a file/);
    expect(onFile.err).not.toMatch(/internal error/);
  });
});
