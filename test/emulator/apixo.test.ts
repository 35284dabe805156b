import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { download, getJson, postJson, startReceiver, until } from './helpers.ts';

describe('apixo emulation', () => {
  let emu: EmulatorHandle;
  let base: string;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    hooks = await startReceiver();
    emu = await startEmulator({ seed: 9, faults: { apixo: { renderMs: 100 } } });
    base = emu.baseUrls.apixo;
  });
  afterAll(async () => {
    await emu.stop();
    await hooks.close();
  });

  const poll = (id: string) =>
    until(async () => {
      const s = await getJson(`${base}/api/v1/statusTask/sora-2?taskId=${id}`);
      expect(s.status).toBe(200);
      expect(s.body.code).toBe(200);
      return ['success', 'failed'].includes(s.body.data.state) ? s.body.data : undefined;
    });

  it('creates a task, polls state by query param, and returns resultUrls inside a JSON string; callback arrives unsigned', async () => {
    const r = await postJson(`${base}/api/v1/generateTask/sora-2`, {
      request_type: 'callback',
      callback_url: hooks.url,
      input: { mode: 'text-to-video', prompt: 'apixo shot', duration: 4, aspect_ratio: 'portrait' },
    });
    expect(r.body).toMatchObject({ code: 200, message: 'success' });
    const id = r.body.data.taskId as string;
    const first = await getJson(`${base}/api/v1/statusTask/sora-2?taskId=${id}`);
    expect(['pending', 'processing']).toContain(first.body.data.state);
    const d = await poll(id);
    expect(d.state).toBe('success');
    expect(typeof d.resultJson).toBe('string');
    const urls = JSON.parse(d.resultJson).resultUrls as string[];
    expect(urls).toHaveLength(1);
    expect(d.createTime).toBeGreaterThan(1e12); // milliseconds
    expect(d.completeTime).toBeGreaterThanOrEqual(d.createTime);
    expect(d.costTime).toBeGreaterThanOrEqual(100);
    const dl = await download(urls[0]!);
    expect(dl.status).toBe(200);
    const hook = await until(async () => hooks.received[0]);
    expect(JSON.parse(hook.body)).toMatchObject({ code: 200, data: { taskId: id, state: 'success' } });
    // the status is a query parameter, not a path segment
    const wrong = await getJson(`${base}/api/v1/statusTask/sora-2/${id}`);
    expect(wrong.status).toBe(404);
    const missing = await getJson(`${base}/api/v1/statusTask/sora-2`);
    expect(missing.status).toBe(400);
  });

  it('reports a failed task with code 200 and a failCode; validates inputs with code 400', async () => {
    emu.setFaults('apixo', { renderMs: 50, taskFailRate: 1 });
    const r = await postJson(`${base}/api/v1/generateTask/sora-2`, { input: { prompt: 'bad', duration: 4 } });
    const d = await poll(r.body.data.taskId);
    expect(d.state).toBe('failed');
    expect(d.failCode).toBe('CONTENT_VIOLATION'); // a text-to-video task has no image URL to fail on
    expect(d.failMsg).toBeTruthy();
    expect(d.resultJson).toBe('');
    emu.setFaults('apixo', { renderMs: 50 });
    const bad = [
      { input: { mode: 'image-to-video', prompt: 'x', duration: 4 } },
      { input: { prompt: 'x', duration: 10 } },
      { request_type: 'callback', input: { prompt: 'x', duration: 4 } },
      { input: { prompt: 'p'.repeat(5_001), duration: 4 } },
      { provider: 'auto', input: { prompt: 'x', duration: 4 } },
      { input: { prompt: 'x', duration: 4, aspect_ratio: '9:16' } },
      { input: { prompt: 'x', duration: 4, size: '720*1280' } },
    ];
    for (const b of bad) {
      const res = await postJson(`${base}/api/v1/generateTask/sora-2`, b);
      expect(res.status, JSON.stringify(b).slice(0, 80)).toBe(400);
      expect(res.body.code).toBe(400);
    }
    emu.setFaults('apixo', { quotaCreates: 0 });
    const q = await postJson(`${base}/api/v1/generateTask/sora-2`, { input: { prompt: 'x', duration: 4 } });
    expect(q.status).toBe(402);
    expect(q.body.code).toBe(402);
    emu.setFaults('apixo', {});
  });

  it('sora-2-pro: text-to-video takes input.size (W*H), image-to-video input.resolution 720p | 1080p; aspect_ratio is refused', async () => {
    emu.setFaults('apixo', { renderMs: 50 });
    const ok = await postJson(`${base}/api/v1/generateTask/sora-2-pro`, {
      provider: 'official',
      input: { mode: 'text-to-video', prompt: 'pro', duration: 4, size: '1024*1792' },
    });
    expect(ok.body.code).toBe(200);
    const st = await getJson(`${base}/api/v1/statusTask/sora-2-pro?taskId=${ok.body.data.taskId}`);
    expect(JSON.parse(st.body.data.param).input.size).toBe('1024*1792');
    const i2v = await postJson(`${base}/api/v1/generateTask/sora-2-pro`, {
      provider: 'official',
      input: { mode: 'image-to-video', prompt: 'pro', duration: 4, resolution: '1080p', image_urls: ['https://x/i.png'] },
    });
    expect(i2v.body.code).toBe(200);
    const bad = [
      { input: { prompt: 'x', duration: 4, size: '1920*1080' } },
      { input: { prompt: 'x', duration: 4, size: '1280x720' } },
      { input: { prompt: 'x', duration: 4, aspect_ratio: 'landscape' } },
      { input: { mode: 'image-to-video', prompt: 'x', duration: 4, resolution: '1024p', image_urls: ['https://x/i.png'] } },
    ];
    for (const b of bad) {
      const res = await postJson(`${base}/api/v1/generateTask/sora-2-pro`, b);
      expect(res.status, JSON.stringify(b)).toBe(400);
    }
  });

  it('an image-to-video task can fail with the documented INVALID_IMAGE_URL (never an invented code)', async () => {
    emu.setFaults('apixo', { renderMs: 30, taskFailRate: 1 });
    const codes = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await postJson(`${base}/api/v1/generateTask/sora-2`, {
        input: { mode: 'image-to-video', prompt: 'img', duration: 4, image_urls: ['https://x/i.png'] },
      });
      codes.add((await poll(r.body.data.taskId)).failCode);
    }
    emu.setFaults('apixo', {});
    expect(codes).toContain('INVALID_IMAGE_URL');
    expect([...codes].every((c) => c === 'INVALID_IMAGE_URL' || c === 'CONTENT_VIOLATION')).toBe(true);
  });
});
