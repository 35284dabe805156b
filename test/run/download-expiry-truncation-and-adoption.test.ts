/**
 * downloads and the clips they leave, against the real emulator. URL expiry before the
 * download, truncated bodies, a clip corrupted on disk, and a crash between the clip's rename into
 * `clips/` and the `downloaded` record (the URL may be gone by the time the run resumes).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import type { Job } from '../../src/plan/types.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import { CheckpointStore, executeRun, readRunState } from '../../src/run/index.ts';
import { collect, tmpRunDir } from './helpers.ts';
import { emuBinding, emuJob } from './emu-helpers.ts';

let emu: EmulatorHandle | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});
const never = new AbortController().signal;

function run(e: EmulatorHandle, runDir: string, jobs: Job[], approvedUsd = 100) {
  const { events, sink } = collect();
  return executeRun({
    runDir,
    jobs,
    approvedUsd,
    bind: (name) => emuBinding(name as ProviderName, e.baseUrls[name as ProviderName], fetch),
    clock: systemClock,
    signal: never,
    events: sink,
    rng: () => 0,
  }).then((o) => ({ ...o, events }));
}

describe('downloads', () => {
  it(
    'a crash after the clip was renamed into clips/ but before `downloaded` was recorded loses nothing',
    { timeout: 120_000 },
    async () => {
      emu = await startEmulator({ render: 'shared', seed: 21, faults: { apidot: { renderMs: 100 } } });
      const runDir = await tmpRunDir();
      const jobs = [emuJob('apidot', 1)];
      expect((await run(emu, runDir, jobs)).counts).toEqual({ downloaded: 1 });
      const before = (await readRunState(runDir))!.records[jobs[0]!.id]!;
      const clipBytes = await readFile(join(runDir, before.clip!.path));
      // The checkpoint as a kill right after the rename leaves it: succeeded, no clip recorded.
      const { store } = await CheckpointStore.open(runDir, { jobs, approvedUsd: 100 });
      const { clip: _clip, ...rest } = before;
      await store.put({ ...rest, state: 'succeeded', timings: { ...before.timings, downloadedAt: undefined } });
      await store.close();
      // By the time the run is resumed the result URL has expired.
      emu.setFaults('apidot', { renderMs: 100, urlTtlMs: 1 });
      const out = await run(emu, runDir, jobs);
      expect(out.counts).toEqual({ downloaded: 1 });
      const after = (await readRunState(runDir))!.records[jobs[0]!.id]!;
      expect(after.clip?.sha256).toBe(before.clip!.sha256);
      expect(await readFile(join(runDir, after.clip!.path))).toEqual(clipBytes);
      expect(emu.tasks('apidot')).toHaveLength(1);
      expect(out.spentUsd).toBeCloseTo(0.4, 6);
    },
  );

  it('a clip corrupted on disk is detected on resume and fetched again, the bad bytes never trusted', { timeout: 120_000 }, async () => {
    emu = await startEmulator({ render: 'shared', seed: 22, faults: { fal: { renderMs: 100 } } });
    const runDir = await tmpRunDir();
    const jobs = [emuJob('fal', 1)];
    await run(emu, runDir, jobs);
    const rec = (await readRunState(runDir))!.records[jobs[0]!.id]!;
    const file = join(runDir, rec.clip!.path);
    const good = await readFile(file);
    const bad = Buffer.from(good);
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff; // same size, still probes as a video
    await writeFile(file, bad);
    const out = await run(emu, runDir, jobs);
    expect(out.counts).toEqual({ downloaded: 1 });
    expect(await readFile(file)).toEqual(good);
    expect(emu.tasks('fal')).toHaveLength(1);
  });

  it('truncated downloads are retried and never land in clips/', { timeout: 120_000 }, async () => {
    emu = await startEmulator({ render: 'shared', seed: 23, faults: { replicate: { renderMs: 100, truncateRate: 0.6 } } });
    const runDir = await tmpRunDir();
    const jobs = [1, 2, 3].map((i) => emuJob('replicate', i));
    const out = await run(emu, runDir, jobs);
    expect(out.counts).toEqual({ downloaded: 3 });
    expect(emu.counts('replicate').downloads).toBeGreaterThan(3); // some were cut and retried
    const state = (await readRunState(runDir))!;
    for (const j of jobs) {
      const c = state.records[j.id]!.clip!;
      expect((await readFile(join(runDir, c.path))).length).toBe(c.bytes);
    }
    expect((await readdir(join(runDir, 'clips'))).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it(
    'expired result URLs: openai fetches again through its content endpoint while the video exists; others are reported expired and paid',
    { timeout: 120_000 },
    async () => {
      emu = await startEmulator({
        render: 'shared',
        seed: 24,
        faults: { apixo: { renderMs: 100, urlTtlMs: 1 }, openai: { renderMs: 100 } },
      });
      const runDir = await tmpRunDir();
      const jobs = [emuJob('apixo', 1), emuJob('openai', 1)];
      const out = await run(emu, runDir, jobs);
      const state = (await readRunState(runDir))!;
      expect(state.records[jobs[0]!.id]!.state).toBe('expired');
      expect(state.records[jobs[1]!.id]!.state).toBe('downloaded');
      expect(out.kind).toBe('completed_with_failures');
      // The expired clip was rendered and billed: it stays on the books.
      expect(out.spentUsd).toBeCloseTo(0.8, 6);
      expect(state.records[jobs[0]!.id]!.spentUsd).toBeCloseTo(0.4, 6);
      expect(out.events.some((e) => e.kind === 'job.state' && e.to === 'expired' && e.job === jobs[0]!.id)).toBe(true);
    },
  );
});

describe('a job dropped from an edited manifest while its task is in flight', () => {
  it('is still polled and downloaded (it is paid for), and never submitted again', { timeout: 120_000 }, async () => {
    emu = await startEmulator({ render: 'shared', seed: 22, faults: { apidot: { renderMs: 300 } } });
    const runDir = await tmpRunDir();
    const [keep, drop] = [emuJob('apidot', 1), emuJob('apidot', 2)];
    // The first run was killed with both tasks submitted: write that checkpoint as the kill left it.
    const first = await run(emu, runDir, [keep!, drop!]);
    expect(first.counts).toEqual({ downloaded: 2 });
    const state = (await readRunState(runDir))!;
    const { store } = await CheckpointStore.open(runDir, { jobs: [keep!, drop!], approvedUsd: 100 });
    for (const job of [keep!, drop!]) {
      const rec = state.records[job.id]!;
      const { clip: _clip, outputs: _o, ...rest } = rec;
      await store.put({ ...rest, state: 'submitted', spentUsd: 0, reservedUsd: 0.4 });
    }
    await store.close();
    for (const f of await readdir(join(runDir, 'clips'))) await writeFile(join(runDir, 'clips', f), '');

    // The edited manifest no longer has `drop`.
    const out = await run(emu, runDir, [keep!]);
    expect(out.counts).toEqual({ downloaded: 1 });
    const after = (await readRunState(runDir))!;
    expect(after.records[drop!.id]?.state).toBe('downloaded');
    expect(after.records[drop!.id]?.clip?.bytes).toBeGreaterThan(1000);
    expect(emu.tasks('apidot')).toHaveLength(2); // followed, not resubmitted
    expect(after.spentUsd).toBeCloseTo(0.8, 6);
  });
});
