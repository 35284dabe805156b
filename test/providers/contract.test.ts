/**
 * Each adapter against the emulator over real sockets: submit → status (clock advanced) → contentRequest →
 * download bytes; then the outcome classes produced from the emulator's real fault responses.
 */
import { fitImage } from '../../src/media/image.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { probe } from '../../src/media/ffmpeg.ts';
import { PROVIDERS } from '../../src/providers/index.ts';
import type { Job } from '../../src/plan/types.ts';
import type { ProviderEnv, ProviderName, StatusOutcome, TaskRef } from '../../src/providers/types.ts';
import { makeJob } from './helpers.ts';

const JOBS: Record<ProviderName, Partial<Job>> = {
  openai: { wireModel: 'sora-2' },
  apidot: { wireModel: 'sora-2-official' },
  sorapi: { wireModel: 'sora-2-latest' },
  apixo: { wireModel: 'sora-2' },
  fal: { wireModel: 'fal-ai/sora-2/text-to-video' },
  replicate: { wireModel: 'openai/sora-2' },
};
const NAMES = Object.keys(JOBS) as ProviderName[];

let clock: FakeClock;
let emu: EmulatorHandle;
let dir: string;
let n = 0;

function jobFor(p: ProviderName, over: Partial<Job> = {}): Job {
  n += 1;
  return makeJob({ id: `job${p}${n}`, provider: p, prompt: `contract ${p} #${n}`, seconds: 4, ...JOBS[p], ...over });
}
function envFor(p: ProviderName): ProviderEnv {
  return { baseUrl: emu.baseUrls[p], apiKey: 'test-key', fetch: globalThis.fetch, now: () => clock.now(), workDir: dir, fitImage };
}
const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll, moving the fake clock, until the task ends (renders are real ffmpeg, so allow real time too). */
async function untilDone(p: ProviderName, task: TaskRef, job: Job): Promise<StatusOutcome> {
  let last: StatusOutcome = { kind: 'queued' };
  for (let i = 0; i < 300; i++) {
    last = await PROVIDERS[p].status(envFor(p), task, job);
    if (last.kind === 'succeeded' || last.kind === 'failed') return last;
    await clock.advance(1000);
    await realSleep(20);
  }
  return last;
}

beforeAll(async () => {
  clock = new FakeClock();
  dir = await mkdtemp(join(tmpdir(), 'shotlist-contract-'));
  emu = await startEmulator({ clock, render: 'shared', seed: 7, faults: Object.fromEntries(NAMES.map((p) => [p, { renderMs: 2000 }])) });
});
afterAll(async () => {
  await emu?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe.each(NAMES)('%s against the emulator', (p) => {
  it('submit → status → content → real MP4 bytes', async () => {
    const provider = PROVIDERS[p];
    const job = jobFor(p);
    const sub = await provider.submit(envFor(p), job, { idempotencyKey: `${job.id}-1` });
    expect(sub.kind).toBe('accepted');
    if (sub.kind !== 'accepted') return;
    const first = await provider.status(envFor(p), sub.task, job);
    expect(['queued', 'running']).toContain(first.kind);
    if (p === 'openai') expect((first as { pollAfterMs?: number }).pollAfterMs).toBeGreaterThan(0); // openai-poll-after-ms
    const done = await untilDone(p, sub.task, job);
    expect(done.kind).toBe('succeeded');
    if (done.kind !== 'succeeded') return;
    expect(done.outputs.length).toBeGreaterThan(0);
    if (p === 'openai' || p === 'replicate') expect(done.expiresAt).toBeGreaterThan(clock.now()); // 1 h download window
    const cr = provider.contentRequest(envFor(p), sub.task, done.outputs);
    const res = await fetch(cr.url, { headers: cr.headers });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const file = join(dir, `${p}.mp4`);
    await writeFile(file, bytes);
    const info = await probe(file);
    expect(info.video).toMatchObject({ width: 1280, height: 720 });
    expect(Math.abs(info.durationS - 4)).toBeLessThan(0.5);
    expect(emu.tasks(p).filter((t) => t.id === sub.task.id)).toHaveLength(1);
  });

  it('outcome classes from real fault responses', async () => {
    const provider = PROVIDERS[p];
    const env = envFor(p);
    try {
      emu.setFaults(p, { renderMs: 2000, rate429: 1, retryAfterS: 3 });
      const throttled = await provider.submit(env, jobFor(p), { idempotencyKey: 'k-429' });
      expect(throttled.kind).toBe('throttled');
      if (throttled.kind === 'throttled') expect(throttled.retryAfterMs).toBe(3000); // each provider's own style: header, body hint, or both

      emu.setFaults(p, { renderMs: 2000, rate5xx: 1 });
      expect((await provider.submit(env, jobFor(p), { idempotencyKey: 'k-5xx' })).kind).toBe('transient');

      emu.setFaults(p, { renderMs: 2000, quotaCreates: 0 });
      expect((await provider.submit(env, jobFor(p), { idempotencyKey: 'k-quota' })).kind).toBe('quota_exhausted');

      // A create whose connection is dropped after the task was made: ambiguous, and the task exists.
      const before = emu.tasks(p).length;
      emu.setFaults(p, { renderMs: 2000, dropRate: 1 });
      const dropped = jobFor(p);
      const sentAt = clock.now();
      expect((await provider.submit(env, dropped, { idempotencyKey: `${dropped.id}-1` })).kind).toBe('ambiguous');
      expect(emu.tasks(p).length).toBe(before + 1);
      const made = emu.tasks(p)[before]!;

      // GETs are idempotent: a dropped status call is transient, never ambiguous.
      expect((await provider.status(env, { id: made.id }, dropped)).kind).toBe('transient');

      emu.setFaults(p, { renderMs: 2000 });
      if (p === 'openai') {
        expect(await provider.reconcile!(env, dropped, sentAt)).toEqual({ kind: 'found', task: { id: made.id } });
        expect(await provider.reconcile!(env, dropped, sentAt, { excludeTaskIds: [made.id] })).toEqual({ kind: 'absent' });
        expect(await provider.reconcile!(env, jobFor(p), sentAt)).toEqual({ kind: 'absent' });
      }
      if (p === 'sorapi') {
        // Replaying the same idempotency key returns the task the dropped create made: no second task.
        const replay = await provider.submit(env, dropped, { idempotencyKey: `${dropped.id}-1` });
        expect(replay).toMatchObject({ kind: 'accepted', task: { id: made.id } });
        expect(emu.tasks(p).length).toBe(before + 1);
      }

      // A provider-side task failure is a failed status with the provider's charge rule.
      emu.setFaults(p, { renderMs: 2000, taskFailRate: 1 });
      const failing = jobFor(p);
      const sub = await provider.submit(env, failing, { idempotencyKey: `${failing.id}-1` });
      expect(sub.kind).toBe('accepted');
      if (sub.kind === 'accepted') {
        const end = await untilDone(p, sub.task, failing);
        expect(end).toMatchObject({ kind: 'failed', charged: p === 'sorapi' });
        if (end.kind === 'failed') expect(end.message.length).toBeGreaterThan(0);
      }

      // Unknown task ids are not_found on a status call.
      emu.setFaults(p, { renderMs: 2000 });
      const missing = await provider.status(env, { id: 'does-not-exist' }, jobFor(p));
      expect(missing.kind).toBe('not_found');
    } finally {
      emu.setFaults(p, { renderMs: 2000 });
    }
  });
});
