/**
 * Emulator contract details beyond the lifecycle: provider-side validation quirks (APIDot's HTTP 200 +
 * code 400), OpenAI's multipart reference upload, and signed callbacks verified by the adapters.
 */
import { fitImage } from '../../src/media/image.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { runFfmpeg } from '../../src/media/ffmpeg.ts';
import { PROVIDERS, createFalProvider } from '../../src/providers/index.ts';
import type { Job } from '../../src/plan/types.ts';
import type { CallbackRequest, ProviderEnv, ProviderName, TaskRef } from '../../src/providers/types.ts';
import { createJwksCache } from '../../src/providers/webhooks.ts';
import { fakeServer, makeJob } from './helpers.ts';
import { WIRE } from '../run/emu-helpers.ts';

let clock: FakeClock;
let emu: EmulatorHandle;
let dir: string;
let hook: Awaited<ReturnType<typeof fakeServer>>;

let n = 0;
function jobFor(p: ProviderName, over: Partial<Job> = {}): Job {
  n += 1;
  return makeJob({ id: `x${p}${n}`, provider: p, wireModel: WIRE[p], prompt: `extra ${p} #${n}`, seconds: 4, ...over });
}
function envFor(p: ProviderName): ProviderEnv {
  return { baseUrl: emu.baseUrls[p], apiKey: 'test-key', fetch: globalThis.fetch, now: () => clock.now(), workDir: dir, fitImage };
}

beforeAll(async () => {
  clock = new FakeClock();
  dir = await mkdtemp(join(tmpdir(), 'shotlist-contract2-'));
  hook = await fakeServer((_req, _body, res) => {
    res.writeHead(200);
    res.end('ok');
  });
  emu = await startEmulator({
    clock,
    render: 'shared',
    seed: 11,
    openaiWebhookUrl: `${hook.url}/openai`,
    faults: Object.fromEntries(Object.keys(WIRE).map((p) => [p, { renderMs: 1000 }])),
  });
});
afterAll(async () => {
  await emu?.stop();
  await hook?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('provider-side validation through the adapters', () => {
  it('apidot: HTTP 200 carrying code 400 is a rejection', async () => {
    const out = await PROVIDERS.apidot.submit(envFor('apidot'), jobFor('apidot', { params: { resolution: '1080p' } }), {
      idempotencyKey: 'k',
    });
    expect(out).toMatchObject({ kind: 'rejected', httpStatus: 400 });
  });
  it('openai: a size outside the enum is a 400 invalid_request_error', async () => {
    const out = await PROVIDERS.openai.submit(envFor('openai'), jobFor('openai', { size: { width: 999, height: 999 } }), {
      idempotencyKey: 'k',
    });
    expect(out).toMatchObject({ kind: 'rejected', httpStatus: 400 });
  });
  it('sorapi: the emulator 422 is a rejection', async () => {
    const out = await PROVIDERS.sorapi.submit(envFor('sorapi'), jobFor('sorapi', { wireModel: 'sora-9' }), { idempotencyKey: 'k' });
    expect(out).toMatchObject({ kind: 'rejected', httpStatus: 422 });
  });
  it('invalid jobs are rejected before any request is sent', async () => {
    const before = emu.counts('apixo').total;
    const out = await PROVIDERS.apixo.submit(envFor('apixo'), jobFor('apixo', { aspect: 'auto' }), { idempotencyKey: 'k' });
    expect(out.kind).toBe('rejected');
    expect(emu.counts('apixo').total).toBe(before);
  });
});

describe('provider-side aborts', () => {
  it.each([
    ['replicate', { kind: 'failed', code: 'aborted', charged: false }],
    ['fal', { kind: 'failed', code: 'runner_disconnected', charged: false }],
  ] as const)('%s', async (p, want) => {
    emu.setFaults(p, { renderMs: 1000, abortRate: 1 });
    try {
      const job = jobFor(p);
      const sub = await PROVIDERS[p].submit(envFor(p), job, { idempotencyKey: 'k' });
      expect(sub.kind).toBe('accepted');
      const task = (sub as { task: TaskRef }).task;
      let last = await PROVIDERS[p].status(envFor(p), task, job);
      for (let i = 0; i < 100 && last.kind !== 'failed' && last.kind !== 'succeeded'; i++) {
        await clock.advance(500);
        await new Promise((r) => setTimeout(r, 10));
        last = await PROVIDERS[p].status(envFor(p), task, job);
      }
      expect(last).toMatchObject(want);
    } finally {
      emu.setFaults(p, { renderMs: 1000 });
    }
  });
});

describe('openai reference image upload', () => {
  it('fits a local image to the exact size and uploads it as input_reference', async () => {
    const img = join(dir, 'ref.jpg');
    await runFfmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240', '-frames:v', '1', img]);
    const out = await PROVIDERS.openai.submit(envFor('openai'), jobFor('openai', { image: img }), { idempotencyKey: 'k' });
    expect(out.kind).toBe('accepted');
  });
  it('a missing local image is rejected, not sent', async () => {
    const before = emu.counts('openai').creates;
    const out = await PROVIDERS.openai.submit(envFor('openai'), jobFor('openai', { image: join(dir, 'missing.png') }), {
      idempotencyKey: 'k',
    });
    expect(out).toMatchObject({ kind: 'rejected', code: 'invalid_image' });
    expect(emu.counts('openai').creates).toBe(before);
  });
});

describe('signed callbacks from the emulator verify with the adapters', () => {
  const secretFor = (p: ProviderName): string | undefined => (p === 'fal' ? emu.falJwksUrl : emu.webhookSecrets?.[p]);

  it.each(Object.keys(WIRE) as ProviderName[])('%s', async (p) => {
    const provider = p === 'fal' ? createFalProvider({ jwks: createJwksCache(fetch) }) : PROVIDERS[p];
    const job = jobFor(p);
    const callbackUrl = `${hook.url}/${p}`;
    const sub = await provider.submit(envFor(p), job, { idempotencyKey: `${job.id}-1`, callbackUrl });
    expect(sub.kind).toBe('accepted');
    const task = (sub as { task: TaskRef }).task;
    // OpenAI webhooks are per project, so earlier OpenAI tasks deliver here too: pick this task's.
    const seen = () => hook.requests.filter((r) => r.url.startsWith(`/${p}`) && r.body.includes(task.id));
    for (let i = 0; i < 1000 && seen().length === 0; i++) {
      await clock.advance(500);
      await new Promise((r) => setTimeout(r, 20));
    }
    const delivery = seen()[0];
    expect(delivery).toBeDefined();
    const req: CallbackRequest = {
      headers: Object.fromEntries(Object.entries(delivery!.headers).map(([k, v]) => [k.toLowerCase(), String(v)])),
      rawBody: delivery!.body,
    };
    const verdict = await provider.verifyCallback!(req, secretFor(p), clock.now());
    const expectedKind = p === 'apidot' || p === 'apixo' ? 'unsigned' : 'verified';
    expect(verdict).toMatchObject({ kind: expectedKind, taskId: task.id });
    if (expectedKind === 'verified') {
      const tampered = await provider.verifyCallback!(
        { ...req, rawBody: Buffer.concat([req.rawBody, Buffer.from(' ')]) },
        secretFor(p),
        clock.now(),
      );
      expect(tampered.kind).toBe('invalid');
      const late = await provider.verifyCallback!(req, secretFor(p), clock.now() + 10 * 60_000);
      expect(late.kind).toBe(p === 'sorapi' ? 'verified' : 'invalid'); // SorAPI signs no timestamp
    }
  });
});
