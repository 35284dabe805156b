import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from '../../src/media/ffmpeg.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { download, getJson, postJson, startReceiver, until } from './helpers.ts';

const files = (data: any): Array<{ file_url: string; file_type: string }> => data.files ?? data.output?.files ?? [];

describe('apidot emulation', () => {
  let emu: EmulatorHandle;
  let base: string;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    hooks = await startReceiver();
    emu = await startEmulator({ seed: 11, faults: { apidot: { renderMs: 120 } } });
    base = emu.baseUrls.apidot;
  });
  afterAll(async () => {
    await emu.stop();
    await hooks.close();
  });

  it('submits, polls to finished and serves a clip at the requested size; files move between data.files and data.output.files', async () => {
    const ids: string[] = [];
    for (const aspect of ['16:9', '9:16']) {
      const r = await postJson(`${base}/api/generate/submit`, {
        model: 'sora-2-official',
        callback_url: hooks.url,
        input: { prompt: `apidot ${aspect}`, duration: 4, aspect_ratio: aspect },
      });
      expect(r.status).toBe(200);
      expect(r.body.code).toBe(200);
      expect(r.body.data.task_id).toMatch(/^task-unified-\d{10}-[a-z0-9]{8}$/);
      expect(r.body.data.status).toBe('not_started');
      expect(r.body.data.created_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      ids.push(r.body.data.task_id);
    }
    const finals = [];
    for (const id of ids) {
      finals.push(
        await until(async () => {
          const s = await getJson(`${base}/api/generate/status/${id}`);
          expect(s.body.code).toBe(200);
          expect(['not_started', 'running', 'finished']).toContain(s.body.data.status);
          return s.body.data.status === 'finished' ? s.body.data : undefined;
        }),
      );
    }
    expect(finals.some((d) => Array.isArray(d.files))).toBe(true);
    expect(finals.some((d) => Array.isArray(d.output?.files))).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'emu-apidot-'));
    try {
      const sizes = [];
      for (const d of finals) {
        const f = files(d)[0]!;
        expect(f.file_type).toBe('video');
        const dl = await download(f.file_url);
        expect(dl.status).toBe(200);
        const path = join(dir, `${d.task_id}.mp4`);
        await writeFile(path, dl.bytes);
        const p = await probe(path);
        expect(Math.abs(p.durationS - 4)).toBeLessThanOrEqual(0.1);
        sizes.push(`${p.video?.width}x${p.video?.height}`);
      }
      expect(sizes).toEqual(['1280x720', '720x1280']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const cb = await until(async () => (hooks.received.length >= 2 ? hooks.received : undefined));
    const bodies = cb.map((h) => JSON.parse(h.body));
    expect(bodies.map((b) => b.data.task_id).sort()).toEqual([...ids].sort());
    expect(bodies.every((b) => b.code === 200 && b.data.status === 'finished')).toBe(true);
    expect(cb[0]!.headers['x-signature']).toBeUndefined(); // unsigned by design
  });

  it('answers input validation errors as HTTP 200 with code 400, envelope errors as HTTP 400', async () => {
    const quirk = [
      { model: 'sora-2-official', input: { prompt: 'x', duration: 4, resolution: '720p' } }, // resolution is pro-only
      { model: 'sora-2-official', input: { prompt: 'x', duration: 4, aspect_ratio: 'auto' } }, // auto: pro with image only
      { model: 'sora-2-pro-official', input: { prompt: 'x', duration: 4, aspect_ratio: 'auto' } },
      { model: 'sora-2-official', input: { prompt: 'x', duration: 5 } },
      { model: 'sora-2-official', input: { duration: 4 } },
    ];
    for (const body of quirk) {
      const r = await postJson(`${base}/api/generate/submit`, body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(r.body.code).toBe(400);
      expect(r.body.error.type).toBe('invalid_request');
    }
    const ok = await postJson(`${base}/api/generate/submit`, {
      model: 'sora-2-pro-official',
      input: { prompt: 'x', duration: 4, aspect_ratio: 'auto', resolution: '1024p', image_urls: ['https://example.com/a.png'] },
    });
    expect(ok.body.code).toBe(200);
    const unknown = await postJson(`${base}/api/generate/submit`, { model: 'sora-3', input: { prompt: 'x' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 400, error: { type: 'invalid_request' } });
    const nf = await getJson(`${base}/api/generate/status/task-unified-0-nope`);
    expect(nf.status).toBe(404);
  });

  it('answers 401, 402 insufficient_credits, 429 rate_limited and 503 in its envelope; failed tasks carry error_message', async () => {
    const noKey = await postJson(`${base}/api/generate/submit`, {}, {});
    expect(noKey.status).toBe(401);
    expect(noKey.body).toMatchObject({ code: 401, error: { type: 'authentication_error' } });
    emu.setFaults('apidot', { rate429: 1, retryAfterS: 4 });
    const rl = await postJson(`${base}/api/generate/submit`, { model: 'sora-2-official', input: { prompt: 'x', duration: 4 } });
    expect(rl.status).toBe(429);
    expect(rl.body).toMatchObject({ code: 429, error: { type: 'rate_limited' } });
    expect(rl.headers.get('retry-after')).toBe('4');
    emu.setFaults('apidot', { rate5xx: 1 });
    const se = await postJson(`${base}/api/generate/submit`, { model: 'sora-2-official', input: { prompt: 'x', duration: 4 } });
    expect(se.status).toBe(503);
    expect(se.body.code).toBe(503);
    emu.setFaults('apidot', { quotaCreates: 0 });
    const q = await postJson(`${base}/api/generate/submit`, { model: 'sora-2-official', input: { prompt: 'x', duration: 4 } });
    expect(q.status).toBe(402);
    expect(q.body).toMatchObject({ code: 402, error: { type: 'insufficient_credits' } });
    emu.setFaults('apidot', { renderMs: 50, taskFailRate: 1 });
    const f = await postJson(`${base}/api/generate/submit`, { model: 'veo3.1-fast', input: { prompt: 'x', duration: 8 } });
    const failed = await until(async () => {
      const s = await getJson(`${base}/api/generate/status/${f.body.data.task_id}`);
      return s.body.data.status === 'failed' ? s.body.data : undefined;
    });
    expect(failed.error_message).toMatch(/content policy/);
    expect(files(failed)).toEqual([]);
  });
});
