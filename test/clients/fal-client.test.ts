/**
 * The official `@fal-ai/client` against the emulator, pointed at it through its documented `fetch`
 * option (the client builds `https://queue.fal.run/…` and `https://rest.fal.ai/…` URLs; the fetch
 * maps those hosts to the emulator and leaves every other URL alone). A mismatch here is a bug in
 * the emulator, fixed to match the real service.
 */
import { createFalClient, ApiError, ValidationError } from '@fal-ai/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';

let emu: EmulatorHandle;
const requested: string[] = [];

function client() {
  const hosts: Record<string, string> = { 'https://queue.fal.run': `${emu.url}/fal`, 'https://rest.fal.ai': `${emu.url}/fal` };
  const redirect: typeof fetch = async (input, init) => {
    let url = input instanceof Request ? input.url : String(input);
    for (const [from, to] of Object.entries(hosts)) if (url.startsWith(`${from}/`)) url = `${to}${url.slice(from.length)}`;
    requested.push(url);
    return globalThis.fetch(url, init);
  };
  return createFalClient({ credentials: 'emu-key:secret', fetch: redirect, suppressLocalCredentialsWarning: true });
}

beforeAll(async () => {
  emu = await startEmulator({ seed: 9, render: 'shared', faults: { fal: { renderMs: 300 } } });
});
afterAll(async () => {
  await emu?.stop();
});

describe('@fal-ai/client against the emulator', () => {
  it('queue.submit → status → result, with the request id from x-fal-request-id', async () => {
    const fal = client();
    const sub = await fal.queue.submit('fal-ai/veo3.1', { input: { prompt: 'official client', duration: '4s', aspect_ratio: '16:9' } });
    expect(sub.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sub.status).toBe('IN_QUEUE');
    let status = await fal.queue.status('fal-ai/veo3.1', { requestId: sub.request_id, logs: true });
    // Bounded real time: the emulated render is a real ffmpeg run.
    for (let i = 0; i < 1200 && status.status !== 'COMPLETED'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = await fal.queue.status('fal-ai/veo3.1', { requestId: sub.request_id });
    }
    expect(status.status).toBe('COMPLETED');
    const result = await fal.queue.result('fal-ai/veo3.1', { requestId: sub.request_id });
    expect(result.requestId).toBe(sub.request_id);
    expect((result.data as { video: { url: string } }).video.url).toMatch(/\/files\/.+\.mp4$/);
    expect(requested.some((u) => u.includes('/fal/fal-ai/veo3.1/requests/'))).toBe(true);
  });

  it('subscribe (submit, poll, result) on a sub-path app', async () => {
    const fal = client();
    const updates: string[] = [];
    const out = await fal.subscribe('fal-ai/kling-video/v3/pro/text-to-video', {
      input: { prompt: 'subscribe', duration: '4' },
      pollInterval: 50,
      onQueueUpdate: (u) => updates.push(u.status),
    });
    expect(out.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((out.data as { video: { url: string } }).video.url).toMatch(/\.mp4$/);
    expect(updates.at(-1)).toBe('COMPLETED');
  });

  it("a request its schema refuses is a ValidationError with fal's field errors", async () => {
    const fal = client();
    const err = await fal.queue
      .submit('fal-ai/sora-2/text-to-video', { input: { prompt: 'x', duration: 7 as unknown as '4' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).getFieldErrors('duration')[0]).toMatchObject({ type: 'literal_error' });
  });

  it('cancel: CANCELLATION_REQUESTED while queued; ALREADY_COMPLETED is an ApiError 400', async () => {
    emu.setFaults('fal', { renderMs: 60_000 });
    try {
      const fal = client();
      const sub = await fal.queue.submit('fal-ai/veo3.1', { input: { prompt: 'cancel me', duration: '4s' } });
      await expect(fal.queue.cancel('fal-ai/veo3.1', { requestId: sub.request_id })).resolves.toBeUndefined();
      const again = await fal.queue.cancel('fal-ai/veo3.1', { requestId: sub.request_id }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(ApiError);
      expect((again as ApiError<unknown>).status).toBe(400);
      expect((again as ApiError<{ status: string }>).body.status).toBe('ALREADY_COMPLETED');
    } finally {
      emu.setFaults('fal', { renderMs: 300 });
    }
  });

  it('storage.upload returns a URL serving the bytes; a Blob input is uploaded by submit', async () => {
    const fal = client();
    const url = await fal.storage.upload(new Blob([Buffer.from('reference image')], { type: 'image/png' }));
    expect(url).toMatch(/\.png$/);
    expect(await (await fetch(url)).text()).toBe('reference image');
    const sub = await fal.queue.submit('fal-ai/veo3.1/image-to-video', {
      input: { prompt: 'from a blob', duration: '4s', image_url: new Blob([Buffer.from('frame')], { type: 'image/png' }) },
    });
    expect(sub.request_id).toBeTruthy();
    expect(requested.filter((u) => u.includes('/storage/upload/initiate')).length).toBe(2);
  });
});
