/**
 * `status`: live or stopped (the lock's pid), per-provider counts, reserved (records + held), cap,
 * failures grouped by reason, unpriced counted, ETA of what is left; `--json` validates against
 * schemas/status.schema.json, which matches the zod shape.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { statusSchemaFiles } from '../../src/cli/status-shape.ts';
import { CheckpointStore } from '../../src/run/checkpoint.ts';
import type { JobRecord } from '../../src/run/types.ts';
import { runInProcess } from '../helpers/cli.ts';
import { makeJobs, tmpRunDir } from '../run/helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function runDirWithState(): Promise<string> {
  const dir = await tmpRunDir();
  const jobs = [
    ...makeJobs(4),
    ...makeJobs(2).map((j, i) => ({ ...j, id: `sor${i}`, shotId: `s-${i}`, provider: 'sorapi', cost: { usd: null, credits: null } })),
  ];
  const { store } = await CheckpointStore.open(dir, { jobs, approvedUsd: 3, capUsd: 2.5 });
  const rec = (id: string, over: Partial<JobRecord>): JobRecord => ({
    id,
    state: 'planned',
    attempts: 1,
    reservedUsd: 0,
    spentUsd: 0,
    timings: {},
    ...over,
  });
  await store.put(rec(jobs[0]!.id, { state: 'downloaded', spentUsd: 0.5, timings: { submittedAt: 1_000, completedAt: 31_000 } }));
  await store.put(rec(jobs[1]!.id, { state: 'failed', error: { code: 'content_policy', message: 'blocked' } }));
  await store.put(rec(jobs[2]!.id, { state: 'failed', error: { code: 'content_policy', message: 'blocked' } }));
  await store.put(
    rec(jobs[3]!.id, { state: 'unknown', reservedUsd: 0, heldUsd: 0.5, error: { code: 'ambiguous_submit', message: 'may exist' } }),
  );
  await store.put(rec('sor0', { state: 'downloaded' }));
  await store.put(rec('sor1', { state: 'running', reservedUsd: 0 }));
  await store.close();
  return dir;
}

describe('shotlist status', () => {
  it('--json has the documented shape and every field the operator needs; stopped when no process holds it', async () => {
    const dir = await runDirWithState();
    const res = await runInProcess(['status', dir, '--json']);
    expect(res.code, res.err).toBe(0);
    const s = JSON.parse(res.out);
    const ajv = new Ajv.default({ strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas/status.schema.json'), 'utf8')));
    expect(validate(s), JSON.stringify(validate.errors)).toBe(true);
    expect(s.state).toBe('stopped');
    expect(s.running).toBe(false);
    expect(s.by_provider).toEqual({ apidot: { downloaded: 1, failed: 2, unknown: 1 }, sorapi: { downloaded: 1, running: 1 } });
    expect(s.reserved_usd).toBe(0.5); // the held amount of the unreconciled create
    expect(s.cap_usd).toBe(2.5);
    expect(s.unpriced).toEqual({ jobs: 2, charged: 1 });
    expect(s.failures[0]).toEqual({ reason: 'content_policy', count: 2, jobs: ['job00001', 'job00002'], message: 'blocked' });
    expect(s.failures[1].reason).toBe('ambiguous_submit');
    expect(s.eta_seconds).toBeGreaterThan(0);

    const text = await runInProcess(['status', dir]);
    expect(text.out).toMatch(/^stopped: no process is running it; continue with: shotlist resume /);
    expect(text.out).toContain('content_policy: blocked (×2: job00001, job00002)');
    expect(text.out).toContain('+ 1 unpriced');
    expect(text.out).toMatch(/ETA ~/);
  });

  it('running while a live process holds the lock; stopped (stale lock) after it dies', async () => {
    const dir = await runDirWithState();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120_000)'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    await writeFile(join(dir, 'run.lock'), JSON.stringify({ pid: child.pid, startedAt: 0 }));
    const live = JSON.parse((await runInProcess(['status', dir, '--json'])).out);
    expect(live.state).toBe('running');
    expect(live.lock).toMatchObject({ pid: child.pid, live: true });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const dead = JSON.parse((await runInProcess(['status', dir, '--json'])).out);
    expect(dead.state).toBe('stopped');
    expect(dead.lock).toMatchObject({ pid: child.pid, live: false });
    expect((await runInProcess(['status', dir])).out).toMatch(/stale lock of pid \d+/);
  });

  it('the committed schema matches the zod shape (npm run schemas)', () => {
    const [name, text] = Object.entries(statusSchemaFiles())[0]!;
    expect(readFileSync(join(ROOT, 'schemas', name), 'utf8')).toBe(text);
  });
});
