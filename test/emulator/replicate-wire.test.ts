import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { getJson, postJson } from './helpers.ts';

const KEY = { authorization: 'Bearer r8_test' };

describe('Replicate emulator speaks Replicate as documented (issue 10)', () => {
  let emu: EmulatorHandle;
  let clock: FakeClock;
  let base: string;
  const settle = async (ms: number) => {
    await clock.advance(ms);
    await new Promise((r) => setTimeout(r, 20));
  };
  beforeAll(async () => {
    clock = new FakeClock();
    emu = await startEmulator({ clock, render: 'shared', seed: 44, faults: { replicate: { renderMs: 1000 } } });
    base = emu.baseUrls.replicate;
  });
  afterAll(async () => {
    await emu.stop();
  });

  const create = (input: Record<string, unknown>, headers: Record<string, string> = {}) =>
    postJson(`${base}/models/google/veo-3.1/predictions`, { input }, { ...KEY, ...headers });

  it('refuses what the model schema refuses (422 with invalid_fields)', async () => {
    const r = await create({ prompt: 'x', duration: 7 });
    expect(r.status).toBe(422);
    expect(r.body.invalid_fields[0]).toMatchObject({ field: 'input.duration' });
    const ok = await create({ prompt: 'x', duration: 8, resolution: '1080p' });
    expect(ok.status).toBe(201);
  });

  it("GET /predictions lists the key's predictions newest first, paginated with next/previous", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create({ prompt: `list ${i}`, duration: 4 })).body.id);
    const l = await getJson(`${base}/predictions`, KEY);
    expect(l.status).toBe(200);
    expect(l.body).toMatchObject({ previous: null });
    expect(l.body.results.slice(0, 3).map((p: { id: string }) => p.id)).toEqual([...ids].reverse());
    expect(l.body.results[0]).toMatchObject({ model: 'google/veo-3.1', input: { prompt: 'list 2', duration: 4 }, status: 'starting' });
    const other = await getJson(`${base}/predictions`, { authorization: 'Bearer r8_someone_else' });
    expect(other.body.results).toEqual([]);
    for (let b = 0; b < 4; b++) await Promise.all(Array.from({ length: 25 }, (_, i) => create({ prompt: `page ${b}.${i}`, duration: 4 })));
    const p1 = await getJson(`${base}/predictions`, KEY);
    expect(p1.body.results).toHaveLength(100);
    expect(p1.body.next).toMatch(/cursor=/);
    const p2 = await getJson(p1.body.next, KEY);
    expect(p2.body.results.length).toBeGreaterThan(0);
    expect(p2.body.previous).toMatch(/cursor=/);
    expect(p2.body.results.map((p: { id: string }) => p.id)).toContain(ids[0]);
  });

  it('GET /models/{owner}/{name} answers with the input schema; unknown models 404', async () => {
    const m = await getJson(`${base}/models/kwaivgi/kling-v3-video`, KEY);
    expect(m.status).toBe(200);
    expect(m.body).toMatchObject({ owner: 'kwaivgi', name: 'kling-v3-video', visibility: 'public' });
    expect(m.body.latest_version.openapi_schema.components.schemas.Input.properties.mode.enum).toEqual(['standard', 'pro']);
    expect((await getJson(`${base}/models/nobody/nothing`, KEY)).status).toBe(404);
  });

  it('GET /webhooks/default/secret answers the signing key', async () => {
    const s = await getJson(`${base}/webhooks/default/secret`, KEY);
    expect(s.status).toBe(200);
    expect(s.body.key).toBe(emu.webhookSecrets!.replicate);
    expect(s.body.key).toMatch(/^whsec_/);
  });

  it('429 bodies carry retry_after (and no Retry-After header)', async () => {
    emu.setFaults('replicate', { renderMs: 1000, rate429: 1, retryAfterS: 7 });
    try {
      const r = await create({ prompt: 'x', duration: 4 });
      expect(r.status).toBe(429);
      expect(r.body).toMatchObject({ status: 429, retry_after: 7, detail: expect.stringContaining('~7s') });
      expect(r.headers.get('retry-after')).toBeNull();
    } finally {
      emu.setFaults('replicate', { renderMs: 1000 });
    }
  });

  it('removes input and output one hour after the prediction ends', async () => {
    const c = await create({ prompt: 'ephemeral', duration: 4 });
    await settle(1500);
    for (let i = 0; i < 600 && (await getJson(`${base}/predictions/${c.body.id}`, KEY)).body.status !== 'succeeded'; i++) await settle(50);
    const done = await getJson(`${base}/predictions/${c.body.id}`, KEY);
    expect(done.body).toMatchObject({
      status: 'succeeded',
      data_removed: false,
      input: { prompt: 'ephemeral' },
      output: expect.stringMatching(/^http/),
    });
    await settle(3_600_000 + 1000);
    const gone = await getJson(`${base}/predictions/${c.body.id}`, KEY);
    expect(gone.body).toMatchObject({ status: 'succeeded', data_removed: true, input: {}, output: null });
  });

  it('cancel: a started prediction is canceled and billed for the time it ran; one canceled before it started is not', async () => {
    emu.setFaults('replicate', { renderMs: 10_000 });
    try {
      const early = await create({ prompt: 'never started', duration: 4 });
      const e = await postJson(`${base}/predictions/${early.body.id}/cancel`, {}, KEY);
      expect(e.status).toBe(200);
      expect(e.body).toMatchObject({ status: 'canceled', started_at: null, metrics: {} });
      const late = await create({ prompt: 'ran a while', duration: 4 });
      await settle(5000);
      const l = await postJson(`${base}/predictions/${late.body.id}/cancel`, {}, KEY);
      expect(l.body).toMatchObject({ status: 'canceled', started_at: expect.any(String) });
      expect(l.body.metrics.predict_time).toBeGreaterThan(0);
    } finally {
      emu.setFaults('replicate', { renderMs: 1000 });
    }
  });

  it('Prefer: wait holds the create until the prediction ends', async () => {
    const pending = create({ prompt: 'sync', duration: 4 }, { prefer: 'wait=60' });
    let settled = false;
    void pending.then(() => (settled = true));
    // Advance the fake clock until the held answer arrives (the render is real: bounded real time).
    for (let i = 0; i < 600 && !settled; i++) await settle(100);
    const r = await pending;
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('succeeded');
    const noWait = await create({ prompt: 'async', duration: 4 });
    expect(noWait.body.status).toBe('starting');
  });

  it('Files API: POST /files (multipart) → file object; GET and list per key; DELETE', async () => {
    const form = new FormData();
    form.append('content', new Blob([Buffer.from('image bytes')], { type: 'image/png' }), 'ref.png');
    form.append('metadata', new Blob([JSON.stringify({ shot: 'a' })], { type: 'application/json' }));
    const up = await fetch(`${base}/files`, { method: 'POST', headers: KEY, body: form });
    expect(up.status).toBe(201);
    const f = (await up.json()) as {
      id: string;
      size: number;
      content_type: string;
      metadata: unknown;
      urls: { get: string };
      checksums: { sha256: string };
    };
    expect(f).toMatchObject({ size: 11, content_type: 'image/png', metadata: { shot: 'a' }, urls: { get: `${base}/files/${f.id}` } });
    expect((await getJson(f.urls.get, KEY)).body.id).toBe(f.id);
    expect((await getJson(`${base}/files`, KEY)).body.results.map((x: { id: string }) => x.id)).toContain(f.id);
    expect((await getJson(f.urls.get, { authorization: 'Bearer r8_other' })).status).toBe(404);
    expect((await fetch(f.urls.get, { method: 'DELETE', headers: KEY })).status).toBe(204);
    expect((await getJson(f.urls.get, KEY)).status).toBe(404);
  });
});
