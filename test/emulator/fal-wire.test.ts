import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { getJson, postJson, until } from './helpers.ts';

const KEY = { authorization: 'Key fal-test:secret' };

describe('fal emulator speaks fal as documented (issue 10)', () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({ seed: 33, faults: { fal: { renderMs: 150 } } });
  });
  afterAll(async () => {
    await emu.stop();
  });

  it("refuses Sora 2 duration 7 (and an integer 8) with fal's 422 detail shape", async () => {
    const seven = await postJson(`${emu.baseUrls.fal}/fal-ai/sora-2/text-to-video`, { prompt: 'x', duration: 7 }, KEY);
    expect(seven.status).toBe(422);
    expect(seven.body.detail[0]).toMatchObject({
      loc: ['body', 'duration'],
      type: 'literal_error',
      msg: expect.stringContaining("'4'"),
      input: 7,
    });
    const int8 = await postJson(`${emu.baseUrls.fal}/fal-ai/sora-2/text-to-video`, { prompt: 'x', duration: 8 }, KEY);
    expect(int8.status).toBe(422);
    const pro1024 = await postJson(`${emu.baseUrls.fal}/fal-ai/sora-2/text-to-video/pro`, { prompt: 'x', resolution: '1024p' }, KEY);
    expect(pro1024.status).toBe(422);
    expect(pro1024.body.detail[0].loc).toEqual(['body', 'resolution']);
    const ok = await postJson(
      `${emu.baseUrls.fal}/fal-ai/sora-2/text-to-video/pro`,
      { prompt: 'x', duration: '8', resolution: 'true_1080p' },
      KEY,
    );
    expect(ok.status).toBe(200);
    const veo = await postJson(`${emu.baseUrls.fal}/fal-ai/veo3.1`, { prompt: 'x', duration: 8 }, KEY);
    expect(veo.status).toBe(422);
    const kling = await postJson(`${emu.baseUrls.fal}/fal-ai/kling-video/v3/pro/image-to-video`, { prompt: 'x', duration: '5' }, KEY);
    expect(kling.body.detail[0]).toMatchObject({ loc: ['body', 'start_image_url'], type: 'missing' });
  });

  it('sends x-fal-request-id, answers 202 while IN_QUEUE/IN_PROGRESS and 200 once COMPLETED', async () => {
    const r = await postJson(`${emu.baseUrls.fal}/fal-ai/veo3.1`, { prompt: 'ids', duration: '4s' }, KEY);
    expect(r.headers.get('x-fal-request-id')).toBe(r.body.request_id);
    const first = await getJson(r.body.status_url, KEY);
    expect(first.status).toBe(202);
    expect(['IN_QUEUE', 'IN_PROGRESS']).toContain(first.body.status);
    expect(first.headers.get('x-fal-request-id')).toBe(r.body.request_id);
    const done = await until(async () => {
      const s = await getJson(r.body.status_url, KEY);
      return s.body.status === 'COMPLETED' ? s : undefined;
    });
    expect(done.status).toBe(200);
  });

  it('error bodies carry error_type and X-Fal-Error-Type; a lost runner is final (no X-Fal-Needs-Retry)', async () => {
    emu.setFaults('fal', { renderMs: 60, abortRate: 1 });
    try {
      const r = await postJson(`${emu.baseUrls.fal}/fal-ai/veo3.1`, { prompt: 'lost', duration: '4s' }, KEY);
      const s = await until(async () => {
        const x = await getJson(r.body.status_url, KEY);
        return x.body.status === 'COMPLETED' ? x : undefined;
      });
      expect(s.body).toMatchObject({ error: expect.any(String), error_type: 'runner_disconnected' });
      const res = await getJson(r.body.response_url, KEY);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ detail: expect.any(String), error_type: 'runner_disconnected' });
      expect(res.headers.get('x-fal-error-type')).toBe('runner_disconnected');
      expect(res.headers.get('x-fal-needs-retry')).toBeNull();
    } finally {
      emu.setFaults('fal', { renderMs: 150 });
    }
  });

  it('the X-Fal-Needs-Retry fault: the first result fetches answer 503 marked retryable, then the clip', async () => {
    emu.setFaults('fal', { renderMs: 60, resultNeedsRetry: 2 });
    try {
      const r = await postJson(`${emu.baseUrls.fal}/fal-ai/veo3.1`, { prompt: 'retry me', duration: '4s' }, KEY);
      await until(async () => (await getJson(r.body.status_url, KEY)).body.status === 'COMPLETED');
      for (let i = 0; i < 2; i++) {
        const res = await getJson(r.body.response_url, KEY);
        expect(res.status).toBe(503);
        expect(res.headers.get('x-fal-needs-retry')).toBe('1');
        expect(res.body.error_type).toBe('runner_connection_error');
      }
      const ok = await getJson(r.body.response_url, KEY);
      expect(ok.status).toBe(200);
      expect(ok.body.video.url).toMatch(/\/files\//);
    } finally {
      emu.setFaults('fal', { renderMs: 150 });
    }
  });

  it('cancel: 202 CANCELLATION_REQUESTED while queued, 400 ALREADY_COMPLETED after', async () => {
    emu.setFaults('fal', { renderMs: 60_000 });
    const r = await postJson(`${emu.baseUrls.fal}/fal-ai/veo3.1`, { prompt: 'cancel', duration: '4s' }, KEY);
    const c = await fetch(r.body.cancel_url, { method: 'PUT', headers: KEY });
    expect(c.status).toBe(202);
    expect(await c.json()).toEqual({ status: 'CANCELLATION_REQUESTED' });
    const again = await fetch(r.body.cancel_url, { method: 'PUT', headers: KEY });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ status: 'ALREADY_COMPLETED' });
    emu.setFaults('fal', { renderMs: 150 });
  });

  it('storage upload: initiate (Key auth) → PUT the bytes to upload_url (no auth) → file_url serves them', async () => {
    const init = await postJson(
      `${emu.baseUrls.fal}/storage/upload/initiate?storage_type=fal-cdn-v3`,
      { content_type: 'image/png', file_name: 'ref.png' },
      KEY,
    );
    expect(init.status).toBe(200);
    expect(init.body.file_url).toMatch(/\.png$/);
    const bytes = Buffer.from('not really a png');
    const put = await fetch(init.body.upload_url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: bytes });
    expect(put.status).toBe(200);
    const got = await fetch(init.body.file_url);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await fetch(`${emu.url}/uploads/nope`, { method: 'PUT', body: bytes })).status).toBe(404);
  });

  it('Platform API request history by endpoint lists ended requests with their input', async () => {
    const r = await postJson(`${emu.baseUrls.fal}/fal-ai/wan/v2.7/text-to-video`, { prompt: 'history', duration: '5' }, KEY);
    await until(async () => (await getJson(r.body.status_url, KEY)).body.status === 'COMPLETED');
    const h = await getJson(
      `${emu.baseUrls.fal}/v1/models/requests/by-endpoint?endpoint_id=fal-ai/wan/v2.7/text-to-video&expand=payloads`,
      KEY,
    );
    expect(h.status).toBe(200);
    expect(h.body.items[0]).toMatchObject({
      request_id: r.body.request_id,
      endpoint_id: 'fal-ai/wan/v2.7/text-to-video',
      status_code: 200,
      json_input: { prompt: 'history', duration: '5' },
    });
    const other = await getJson(`${emu.baseUrls.fal}/v1/models/requests/by-endpoint?endpoint_id=fal-ai/wan/v2.7/text-to-video`, {
      authorization: 'Key someone:else',
    });
    expect(other.body.items).toEqual([]);
  });
});
