import { createHash, createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, EMULATOR_FAL_USER_ID, type EmulatorHandle } from '../../src/emulator/index.ts';
import { download, getJson, postJson, startReceiver, until } from './helpers.ts';

const KEY = { authorization: 'Key fal-test:secret' };

describe('fal queue emulation', () => {
  let emu: EmulatorHandle;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    hooks = await startReceiver();
    emu = await startEmulator({ seed: 21, faults: { fal: { renderMs: 120 } } });
  });
  afterAll(async () => {
    await emu.stop();
    await hooks.close();
  });

  it('submits to an app path, returns queue URLs without the sub-path, and completes with a video file', async () => {
    const r = await postJson(
      `${emu.baseUrls.fal}/fal-ai/sora-2/text-to-video?fal_webhook=${encodeURIComponent(hooks.url)}`,
      { prompt: 'fal shot', duration: '4', aspect_ratio: '9:16' },
      KEY,
    );
    expect(r.status).toBe(200);
    const id = r.body.request_id as string;
    expect(r.body.status_url).toBe(`${emu.url}/fal/fal-ai/sora-2/requests/${id}/status`);
    expect(r.body.response_url).toBe(`${emu.url}/fal/fal-ai/sora-2/requests/${id}`);
    expect(r.body.cancel_url).toBe(`${emu.url}/fal/fal-ai/sora-2/requests/${id}/cancel`);
    const early = await getJson(r.body.response_url, KEY);
    expect(early.status).toBe(400);
    const seen = new Set<string>();
    await until(async () => {
      const s = await getJson(r.body.status_url, KEY);
      seen.add(s.body.status);
      return s.body.status === 'COMPLETED';
    });
    expect([...seen].every((s) => ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED'].includes(s))).toBe(true);
    const out = await getJson(r.body.response_url, KEY);
    expect(out.status).toBe(200);
    expect(out.body.video).toMatchObject({ content_type: 'video/mp4', file_name: 'output.mp4' });
    const dl = await download(out.body.video.url);
    expect(dl.bytes.length).toBe(out.body.video.file_size);

    // ED25519 webhook, verified with the served JWKS
    const hook = await until(async () => hooks.received.find((h) => h.headers['x-fal-webhook-request-id'] === id));
    const jwks = (await getJson(emu.falJwksUrl!, {})).body as { keys: Array<Record<string, string>> };
    const pub = createPublicKey({ key: jwks.keys[0] as any, format: 'jwk' });
    const msg = [
      id,
      hook.headers['x-fal-webhook-user-id'],
      hook.headers['x-fal-webhook-timestamp'],
      createHash('sha256').update(hook.body).digest('hex'),
    ].join('\n');
    expect(hook.headers['x-fal-webhook-user-id']).toBe(EMULATOR_FAL_USER_ID);
    expect(verify(null, Buffer.from(msg), pub, Buffer.from(hook.headers['x-fal-webhook-signature']!, 'hex'))).toBe(true);
    expect(verify(null, Buffer.from(`${msg}x`), pub, Buffer.from(hook.headers['x-fal-webhook-signature']!, 'hex'))).toBe(false);
    expect(JSON.parse(hook.body)).toMatchObject({ request_id: id, status: 'OK', payload: { video: { url: out.body.video.url } } });
  });

  it('accepts any app id (string durations too) and reports failures as COMPLETED with an error result', async () => {
    emu.setFaults('fal', { renderMs: 60, taskFailRate: 1 });
    const r = await postJson(`${emu.baseUrls.fal}/fal-ai/kling-video/v3/pro/text-to-video`, { prompt: 'kling', duration: '5' }, KEY);
    expect(r.body.status_url).toBe(`${emu.url}/fal/fal-ai/kling-video/requests/${r.body.request_id}/status`);
    await until(async () => (await getJson(r.body.status_url, KEY)).body.status === 'COMPLETED');
    const res = await getJson(r.body.response_url, KEY);
    expect(res.status).toBe(422);
    expect(res.body.detail[0]).toMatchObject({ loc: expect.any(Array), msg: expect.any(String), type: 'content_policy_violation' });
    emu.setFaults('fal', { renderMs: 5000 });
    const c = await postJson(`${emu.baseUrls.fal}/fal-ai/veo3.1`, { prompt: 'cancel me', duration: '8s' }, KEY);
    const cancel = await fetch(c.body.cancel_url, { method: 'PUT', headers: KEY });
    expect(cancel.status).toBe(202);
    emu.setFaults('fal', {});
  });

  it('requires Authorization: Key, and answers 422 detail arrays, 429 and 5xx with X-Fal-Needs-Retry', async () => {
    const bearer = await postJson(`${emu.baseUrls.fal}/fal-ai/sora-2/text-to-video`, { prompt: 'x' }, { authorization: 'Bearer x' });
    expect(bearer.status).toBe(401);
    const missing = await postJson(`${emu.baseUrls.fal}/fal-ai/sora-2/text-to-video`, { duration: 4 }, KEY);
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0].loc).toEqual(['body', 'prompt']);
    emu.setFaults('fal', { rate5xx: 1 });
    const se = await postJson(`${emu.baseUrls.fal}/fal-ai/sora-2/text-to-video`, { prompt: 'x' }, KEY);
    expect(se.status).toBe(503);
    expect(se.headers.get('x-fal-needs-retry')).toBe('1');
    emu.setFaults('fal', { rate429: 1, retryAfterS: 2 });
    const rl = await postJson(`${emu.baseUrls.fal}/fal-ai/sora-2/text-to-video`, { prompt: 'x' }, KEY);
    expect(rl.status).toBe(429);
    expect(rl.headers.get('retry-after')).toBe('2');
    emu.setFaults('fal', {});
  });
});
