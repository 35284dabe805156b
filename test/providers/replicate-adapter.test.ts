/**
 * The Replicate adapter against the emulator: cancel with the billing rule, local images through the
 * Files API, and reconcile of an ambiguous create through the predictions list.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { parseReplicatePrediction, replicate } from '../../src/providers/replicate.ts';
import type { Job } from '../../src/plan/types.ts';
import type { ProviderEnv, TaskRef } from '../../src/providers/types.ts';
import { makeJob } from './helpers.ts';

let clock: FakeClock;
let emu: EmulatorHandle;
let dir: string;
let n = 0;

const env = (): ProviderEnv => ({
  baseUrl: emu.baseUrls.replicate,
  apiKey: 'r8_key',
  fetch: globalThis.fetch,
  now: () => clock.now(),
  workDir: dir,
});
const job = (over: Partial<Job> = {}): Job =>
  makeJob({ id: `rep${++n}`, provider: 'replicate', wireModel: 'google/veo-3.1', prompt: `replicate adapter #${n}`, seconds: 4, ...over });
const settle = async (ms: number) => {
  await clock.advance(ms);
  await new Promise((r) => setTimeout(r, 20));
};

async function submit(j: Job): Promise<TaskRef> {
  const s = await replicate.submit(env(), j, { idempotencyKey: 'k' });
  if (s.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(s)}`);
  return s.task;
}

beforeAll(async () => {
  clock = new FakeClock();
  dir = await mkdtemp(join(tmpdir(), 'shotlist-rep-adapter-'));
  emu = await startEmulator({ clock, render: 'shared', seed: 6, faults: { replicate: { renderMs: 10_000 } } });
});
afterAll(async () => {
  await emu?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('replicate cancel', () => {
  it('a prediction canceled before it started is free; one canceled while processing is billed (changelog 2025-10-16)', async () => {
    const early = await submit(job());
    expect(await replicate.cancel!(env(), early)).toEqual({ kind: 'cancelled', charged: false });
    expect(await replicate.status(env(), early, job())).toMatchObject({ kind: 'failed', code: 'canceled', charged: false });
    const late = await submit(job());
    await settle(5000);
    expect(await replicate.cancel!(env(), late)).toEqual({ kind: 'cancelled', charged: true });
    expect(await replicate.status(env(), late, job())).toMatchObject({ kind: 'failed', code: 'canceled', charged: true });
  });
  it('the status rule: canceled with started_at is billed, aborted never is', () => {
    expect(parseReplicatePrediction({ status: 'canceled', started_at: '2026-11-30T00:00:00Z' })).toMatchObject({ charged: true });
    expect(parseReplicatePrediction({ status: 'canceled', started_at: null })).toMatchObject({ charged: false });
    expect(parseReplicatePrediction({ status: 'aborted' })).toMatchObject({ charged: false });
  });
});

describe('replicate Files API upload', () => {
  it('uploads a local image and returns its urls.get for the model input', async () => {
    const path = join(dir, 'ref.png');
    await writeFile(path, Buffer.from('png'));
    const out = await replicate.uploadImage!(env(), path, 'image/png');
    expect(out).toMatchObject({
      kind: 'uploaded',
      url: expect.stringMatching(/\/replicate\/v1\/files\/[a-z0-9]+$/),
      expiresAt: expect.any(Number),
    });
    const r = replicate.toRequest(job({ image: (out as { url: string }).url }), {});
    expect(r.ok && (r.request.json as { input: Record<string, unknown> }).input.image).toBe((out as { url: string }).url);
    expect(await replicate.uploadImage!(env(), join(dir, 'missing.png'), 'image/png')).toMatchObject({ kind: 'rejected' });
  });
});

describe('replicate reconcile through GET /predictions', () => {
  it('finds the prediction by model and input in the time window, skipping ids other jobs own; absent when none exists', async () => {
    const sentAt = clock.now();
    const j = job({ prompt: 'reconcile me' });
    const twin = { ...j, id: 'twin' };
    const a = await submit(j);
    const b = await submit(twin);
    await submit(job({ prompt: 'someone else' }));
    expect(await replicate.reconcile!(env(), j, sentAt, { excludeTaskIds: [b.id] })).toEqual({ kind: 'found', task: { id: a.id } });
    expect(await replicate.reconcile!(env(), j, sentAt, { excludeTaskIds: [a.id, b.id] })).toEqual({ kind: 'absent' });
    expect(await replicate.reconcile!(env(), job({ prompt: 'never sent' }), sentAt)).toEqual({ kind: 'absent' });
  });
  it('after the input was removed (1 h) it cannot match: unknown, never absent', async () => {
    emu.setFaults('replicate', { renderMs: 1000 });
    const sentAt = clock.now();
    const j = job({ prompt: 'old one' });
    const t = await submit(j);
    // The render is a real ffmpeg run: wait (bounded) until the prediction has ended, then let the hour pass.
    for (let i = 0; i < 600 && (await replicate.status(env(), t, j)).kind !== 'succeeded'; i++) await settle(100);
    await settle(3_700_000);
    expect((await replicate.reconcile!(env(), j, sentAt)).kind).toBe('unknown');
    emu.setFaults('replicate', { renderMs: 10_000 });
  });
});
