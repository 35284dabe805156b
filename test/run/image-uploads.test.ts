/**
 * Local reference images through the provider's own upload facility (fal storage, Replicate Files
 * API), with the real adapters against the emulator over real sockets: one upload per file per run,
 * recorded on the intent before the create, reused on resume, uploaded again once expired, and the
 * key never written to the run directory.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { probe, runFfmpeg } from '../../src/media/ffmpeg.ts';
import type { Job } from '../../src/plan/types.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import { executeRun } from '../../src/run/index.ts';
import { loadCheckpoint } from '../../src/run/checkpoint.ts';
import { runPaths, sealJson, writeFileAtomic } from '../../src/run/rundir.ts';
import { collect, tmpRunDir } from './helpers.ts';
import { emuBinding, emuJob } from './emu-helpers.ts';

const KEY = 'sk-upload-Vq83LmZp0TxY';
let emu: EmulatorHandle;
let image = '';

beforeAll(async () => {
  emu = await startEmulator({ render: 'shared', seed: 5, faults: { fal: { renderMs: 30 }, replicate: { renderMs: 30 } } });
  image = join(await tmpRunDir(), 'ref.png');
  await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x36', '-frames:v', '1', image]);
});
afterAll(async () => {
  await emu?.stop();
});

interface AdminUpload {
  provider: string;
  sha256: string;
  size: number;
  path: string;
}

async function uploads(provider: ProviderName): Promise<AdminUpload[]> {
  const res = await fetch(`${emu.url}/_emulator/uploads`);
  const body = (await res.json()) as { uploads: AdminUpload[] };
  return body.uploads.filter((u) => u.provider === provider);
}

async function run(provider: ProviderName, runDir: string, jobs: Job[]) {
  const { events, sink } = collect();
  const out = await executeRun({
    runDir,
    jobs,
    approvedUsd: 100,
    bind: (name) => {
      const b = emuBinding(name as ProviderName, emu.baseUrls[provider], fetch);
      return { ...b, env: { ...b.env, apiKey: KEY } };
    },
    clock: systemClock,
    signal: new AbortController().signal,
    events: sink,
    rng: () => 0,
  });
  return { out, events };
}

async function allText(dir: string): Promise<string> {
  let text = '';
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) text += (await readFile(join(e.parentPath, e.name))).toString('latin1');
  }
  return text;
}

describe.each(['fal', 'replicate'] as const)('%s: local reference image', (provider) => {
  const job = (i: number) => emuJob(provider, i, { image });
  let runDir = '';

  it('three jobs sharing one image: one upload, recorded on each intent, sent as the URL', { timeout: 20_000 }, async () => {
    runDir = await tmpRunDir();
    const before = (await uploads(provider)).length;
    const { out } = await run(provider, runDir, [job(1), job(2), job(3)]);
    expect(out.counts).toEqual({ downloaded: 3 });
    const got = await uploads(provider);
    expect(got.length - before).toBe(1);
    const cp = await loadCheckpoint(runDir);
    const recs = [1, 2, 3].map((i) => cp!.records[job(i).id]!);
    const urls = new Set(recs.map((r) => r.image?.url));
    expect(urls.size).toBe(1);
    const [url] = [...urls];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    // What was uploaded is the image fitted to the clip (pad by default): exactly the job's size.
    expect(recs[0]!.image?.fit).toBe('pad@1280x720');
    expect((await probe(got.at(-1)!.path)).video).toMatchObject({ width: 1280, height: 720 });
    // The emulator's task received the URL, not the local path.
    const tasks = (await (await fetch(`${emu.url}/_emulator/tasks?provider=${provider}`)).json()) as { tasks: unknown[] };
    expect(JSON.stringify(tasks)).not.toContain(image);
    // The key is nowhere in the run directory (checkpoint, journal, sidecars).
    const text = await allText(runDir);
    expect(text).toContain(url);
    expect(text).not.toContain(KEY);
  });

  it('resume with a new job on the same image reuses the recorded URL', { timeout: 20_000 }, async () => {
    const before = (await uploads(provider)).length;
    const { out } = await run(provider, runDir, [job(1), job(2), job(3), job(4)]);
    expect(out.counts).toEqual({ downloaded: 4 });
    expect((await uploads(provider)).length).toBe(before);
    const cp = await loadCheckpoint(runDir);
    expect(cp!.records[job(4).id]!.image?.url).toBe(cp!.records[job(1).id]!.image?.url);
  });

  it('an expired recorded URL is uploaded again', { timeout: 20_000 }, async () => {
    // Age every recorded upload: rewrite the snapshot with expiresAt in the past.
    const cp = await loadCheckpoint(runDir);
    const { recovered: _r, damagedEntries: _d, ...data } = cp!;
    for (const r of Object.values(data.records)) if (r.image) r.image = { ...r.image, expiresAt: Date.now() - 1 };
    await writeFileAtomic(runPaths(runDir).snapshot, sealJson({ ...data, version: 1 }));
    const before = (await uploads(provider)).length;
    const { out } = await run(provider, runDir, [job(1), job(2), job(3), job(4), job(5)]);
    expect(out.counts).toEqual({ downloaded: 5 });
    expect((await uploads(provider)).length).toBe(before + 1);
    const after = await loadCheckpoint(runDir);
    expect(after!.records[job(5).id]!.image?.url).not.toBe(after!.records[job(1).id]!.image?.url);
    expect(after!.records[job(5).id]!.image!.expiresAt ?? Infinity).toBeGreaterThan(Date.now());
  });
});

describe('nothing is uploaded for a job the budget refuses', () => {
  it('over budget: no upload, no create', { timeout: 20_000 }, async () => {
    const before = (await uploads('fal')).length;
    const dir = await tmpRunDir();
    const { events, sink } = collect();
    const out = await executeRun({
      runDir: dir,
      jobs: [emuJob('fal', 9, { image, cost: { usd: 5, credits: null } })],
      approvedUsd: 1,
      bind: (name) => emuBinding(name as ProviderName, emu.baseUrls.fal, fetch),
      clock: systemClock,
      signal: new AbortController().signal,
      events: sink,
      rng: () => 0,
    });
    expect(out.counts).toEqual({ planned: 1 });
    expect(events.some((e) => e.kind === 'warning')).toBe(true);
    expect((await uploads('fal')).length).toBe(before);
  });
});

describe('image_fit on the uploaded bytes', () => {
  it('a portrait fal job with crop uploads the image cropped to exactly its size', { timeout: 20_000 }, async () => {
    const before = (await uploads('fal')).length;
    const job = emuJob('fal', 7, { image, aspect: '9:16', size: { width: 720, height: 1280 }, imageFit: 'crop' });
    const { out } = await run('fal', await tmpRunDir(), [job]);
    expect(out.counts).toEqual({ downloaded: 1 });
    const got = await uploads('fal');
    expect(got.length).toBe(before + 1);
    expect((await probe(got.at(-1)!.path)).video).toMatchObject({ width: 720, height: 1280 });
  });
});
