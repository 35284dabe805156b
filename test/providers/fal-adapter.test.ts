/**
 * The fal adapter against the emulator: the result-fetch rule after COMPLETED (issue 9 §5, issue 10),
 * cancel through cancel_url, local images through fal storage, and reconcile through the Platform
 * API's request history.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { fal, toFalRequest } from '../../src/providers/fal.ts';
import type { Job } from '../../src/plan/types.ts';
import type { ProviderEnv, StatusOutcome, TaskRef } from '../../src/providers/types.ts';
import { makeJob } from './helpers.ts';

let clock: FakeClock;
let emu: EmulatorHandle;
let dir: string;
let n = 0;

const env = (): ProviderEnv => ({
  baseUrl: emu.baseUrls.fal,
  apiKey: 'fal-key',
  fetch: globalThis.fetch,
  now: () => clock.now(),
  workDir: dir,
});
const job = (over: Partial<Job> = {}): Job =>
  makeJob({ id: `fal${++n}`, provider: 'fal', wireModel: 'fal-ai/veo3.1', prompt: `fal adapter #${n}`, seconds: 4, ...over });

async function submit(j: Job): Promise<TaskRef> {
  const s = await fal.submit(env(), j, { idempotencyKey: 'k' });
  if (s.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(s)}`);
  return s.task;
}

/** Advance the fake clock until the emulator reports the task COMPLETED, then return the status outcomes seen from then on. */
async function untilCompleted(t: TaskRef): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const s = await fetch(t.urls!.status!, { headers: { authorization: 'Key fal-key' } }).then(
      (r) => r.json() as Promise<{ status: string }>,
    );
    if (s.status === 'COMPLETED') return;
    await clock.advance(250);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('never completed');
}

beforeAll(async () => {
  clock = new FakeClock();
  dir = await mkdtemp(join(tmpdir(), 'shotlist-fal-adapter-'));
  emu = await startEmulator({ clock, render: 'shared', seed: 5, faults: { fal: { renderMs: 1000 } } });
});
afterAll(async () => {
  await emu?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('fal result fetch after COMPLETED', () => {
  it('a 503 marked X-Fal-Needs-Retry is fetched again and ends succeeded (never failed with $0)', async () => {
    emu.setFaults('fal', { renderMs: 1000, resultNeedsRetry: 2 });
    try {
      const j = job();
      const t = await submit(j);
      await untilCompleted(t);
      const seen: StatusOutcome[] = [];
      for (let i = 0; i < 5; i++) {
        const s = await fal.status(env(), t, j);
        seen.push(s);
        if (s.kind === 'succeeded' || s.kind === 'failed') break;
      }
      expect(seen.map((s) => s.kind)).toEqual(['transient', 'transient', 'succeeded']);
    } finally {
      emu.setFaults('fal', { renderMs: 1000 });
    }
  });

  it("an unmarked 503 (runner lost after fal's own retries) is final: failed, not charged, not polled forever", async () => {
    emu.setFaults('fal', { renderMs: 1000, abortRate: 1 });
    try {
      const j = job();
      const t = await submit(j);
      await untilCompleted(t);
      expect(await fal.status(env(), t, j)).toMatchObject({ kind: 'failed', code: 'runner_disconnected', charged: false });
    } finally {
      emu.setFaults('fal', { renderMs: 1000 });
    }
  });
});

describe('fal cancel', () => {
  it('cancels an in-flight request (not charged) and reports a finished one as already done', async () => {
    emu.setFaults('fal', { renderMs: 60_000 });
    const j = job();
    const t = await submit(j);
    expect(await fal.cancel!(env(), t)).toEqual({ kind: 'cancelled', charged: false });
    expect(await fal.cancel!(env(), t)).toEqual({ kind: 'already_done' });
    emu.setFaults('fal', { renderMs: 1000 });
  });
});

describe('fal storage upload', () => {
  it('uploads a local image once and returns a URL the emulator serves, without sending the key to the upload URL', async () => {
    const path = join(dir, 'ref.png');
    await writeFile(path, Buffer.from('png bytes'));
    const seen: Array<{ url: string; auth: string | null }> = [];
    const spy: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
      return globalThis.fetch(input, init);
    };
    const out = await fal.uploadImage!({ ...env(), fetch: spy }, path, 'image/png');
    expect(out.kind).toBe('uploaded');
    const url = (out as { url: string }).url;
    expect(Buffer.from(await (await fetch(url)).arrayBuffer()).toString()).toBe('png bytes');
    expect(seen[0]).toMatchObject({
      url: expect.stringContaining('/storage/upload/initiate?storage_type=fal-cdn-v3'),
      auth: 'Key fal-key',
    });
    expect(seen[1]).toMatchObject({ url: expect.stringContaining('/uploads/'), auth: null });
    // The uploaded URL is what image-to-video takes.
    const mapped = toFalRequest(job({ image: url }), {});
    expect(mapped.ok && (mapped.request.json as Record<string, unknown>).image_url).toBe(url);
  });
  it('a missing file is rejected without a request', async () => {
    expect(await fal.uploadImage!(env(), join(dir, 'missing.png'), 'image/png')).toMatchObject({ kind: 'rejected' });
  });
});

describe('fal reconcile through the request history', () => {
  it('finds the request an ambiguous submit created, matching by input, and skips ids other jobs own', async () => {
    const sentAt = clock.now();
    const j = job({ wireModel: 'fal-ai/wan/v2.7/text-to-video', seconds: 5 });
    const twin = { ...j, id: 'twin' };
    const a = await submit(j);
    const b = await submit(twin); // same input: another take of the same shot
    await untilCompleted(a);
    await untilCompleted(b);
    const found = await fal.reconcile!(env(), j, sentAt, { excludeTaskIds: [b.id] });
    expect(found).toMatchObject({ kind: 'found', task: { id: a.id } });
    const none = await fal.reconcile!(env(), j, sentAt, { excludeTaskIds: [a.id, b.id] });
    expect(none.kind).toBe('unknown');
    // And the found task is followed to its clip like any other.
    const s = await fal.status(env(), (found as { task: TaskRef }).task, j);
    expect(s.kind).toBe('succeeded');
  });
});

describe('fal hosts', () => {
  it("storage and the Platform API live on fal's own sibling hosts; an emulator or gateway serves them under its base", async () => {
    const { falPlatformBase, falRestBase } = await import('../../src/providers/fal-ops.ts');
    expect(falRestBase('https://queue.fal.run')).toBe('https://rest.fal.ai');
    expect(falPlatformBase('https://queue.fal.run')).toBe('https://api.fal.ai/v1');
    expect(falRestBase('http://127.0.0.1:8787/fal/')).toBe('http://127.0.0.1:8787/fal');
    expect(falPlatformBase('http://127.0.0.1:8787/fal')).toBe('http://127.0.0.1:8787/fal/v1');
  });
});
