/** `shotlist cancel <run-dir>`: stops in-flight tasks where the provider can, records the provider's billing rule, reports the rest. */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cancelInFlight } from '../../src/cli/cmd-cancel.ts';
import { writeRunMeta } from '../../src/cli/run-meta.ts';
import type { CancelOutcome, Provider } from '../../src/providers/types.ts';
import { CheckpointStore, loadCheckpoint } from '../../src/run/index.ts';
import type { JobRecord } from '../../src/run/types.ts';
import { runInProcess, cleanEnv } from '../helpers/cli.ts';
import { bindingFor, makeJobs, tmpRunDir } from '../run/helpers.ts';

const inFlight = (id: string, task: string, state: JobRecord['state'] = 'running'): JobRecord => ({
  id,
  state,
  attempts: 1,
  task: { id: task },
  reservedUsd: 0.5,
  spentUsd: 0,
  timings: { submittedAt: 1 },
});

async function runDirWith(jobs = makeJobs(4), records: JobRecord[] = []): Promise<string> {
  const dir = await tmpRunDir();
  const { store } = await CheckpointStore.open(dir, { jobs, approvedUsd: 2 });
  for (const r of records) await store.put(r);
  await store.close();
  await writeRunMeta(dir, {
    version: 1,
    name: 'c',
    manifestFile: join(dir, 'm.yaml'),
    createdAt: new Date(0).toISOString(),
    providers: {},
    post: [],
    catalogFiles: [],
    emulated: false,
  });
  return dir;
}

describe('cancelInFlight', () => {
  it('cancels each in-flight task once; billed cancels are spent, unbilled released; too-late and unsupported are reported', async () => {
    const jobs = makeJobs(5);
    const dir = await runDirWith(jobs, [
      inFlight('job00000', 't-billed'),
      inFlight('job00001', 't-free', 'submitted'),
      inFlight('job00002', 't-late'),
      inFlight('job00003', 't-stuck'),
      { ...inFlight('job00004', 't-done'), state: 'downloaded' },
    ]);
    const asked: string[] = [];
    const answers: Record<string, CancelOutcome> = {
      't-billed': { kind: 'cancelled', charged: true },
      't-free': { kind: 'cancelled', charged: false },
      't-late': { kind: 'already_done' },
      't-stuck': { kind: 'failed', message: 'HTTP 500' },
    };
    const provider = {
      name: 'apidot',
      cancel: async (_env: unknown, task: { id: string }) => (asked.push(task.id), answers[task.id]!),
    } as unknown as Provider;
    const { store } = await CheckpointStore.open(dir, { jobs, approvedUsd: 2 });
    const results = await cancelInFlight(
      store,
      () => bindingFor(provider, fetch),
      () => 42,
    );
    await store.close();
    expect(asked.sort()).toEqual(['t-billed', 't-free', 't-late', 't-stuck']); // never the downloaded one
    expect(results.map((r) => [r.job, r.kind])).toEqual([
      ['job00000', 'cancelled'],
      ['job00001', 'cancelled'],
      ['job00002', 'already_done'],
      ['job00003', 'not_cancelled'],
    ]);
    const cp = (await loadCheckpoint(dir))!;
    expect(cp.records.job00000).toMatchObject({ state: 'failed', reservedUsd: 0, spentUsd: 0.5, error: { code: 'cancelled' } });
    expect(cp.records.job00001).toMatchObject({ state: 'failed', reservedUsd: 0, spentUsd: 0, error: { code: 'cancelled' } });
    expect(cp.records.job00002!.state).toBe('running'); // resume follows and downloads it
    expect(cp.records.job00003!.state).toBe('running');
    expect(cp.spentUsd).toBe(0.5);
  });
});

describe('shotlist cancel', () => {
  it('reports tasks whose provider cannot cancel (OpenAI, APIDot) and exits 1; the records stay in flight', async () => {
    const jobs = [...makeJobs(1, { provider: 'openai', model: 'sora-2', wireModel: 'sora-2' }), ...makeJobs(2).slice(1)];
    const dir = await runDirWith(jobs, [inFlight('job00000', 'video_1'), inFlight('job00001', 'task-1')]);
    const r = await runInProcess(['cancel', dir], { env: cleanEnv({ OPENAI_API_KEY: 'k', APIDOT_API_KEY: 'k' }) });
    expect(r.err).toMatch(/could not cancel job00000 \(openai\): OpenAI has no cancel/);
    expect(r.err).toMatch(/could not cancel job00001 \(apidot\)/);
    expect(r.out).toMatch(/0 cancelled, 0 already finished, 2 could not be cancelled/);
    expect(r.code).toBe(1);
    expect((await loadCheckpoint(dir))!.records.job00000!.state).toBe('running');
  });

  it('nothing in flight exits 0; a run directory in use by another process is refused', async () => {
    const dir = await runDirWith();
    const ok = await runInProcess(['cancel', dir], { env: cleanEnv() });
    expect(ok.out).toMatch(/nothing in flight/);
    expect(ok.code).toBe(0);
    const busy = await runDirWith(makeJobs(1), [inFlight('job00000', 'task-1')]);
    const procStart = readFileSync(`/proc/${process.ppid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
    await writeFile(join(busy, 'run.lock'), JSON.stringify({ pid: process.ppid, startedAt: 1, procStart }));
    const refused = await runInProcess(['cancel', busy], { env: cleanEnv({ APIDOT_API_KEY: 'k' }) });
    expect(refused.err).toMatch(/in use by process/);
    expect(refused.code).toBe(1);
  });
});
