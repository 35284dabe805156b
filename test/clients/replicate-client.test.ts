/**
 * The official `replicate` client against the emulator, through its documented `baseUrl` option.
 * predictions create/get/list/cancel, run() (Prefer: wait), wait(), files.create, models.get and the
 * default webhook secret. A mismatch here is a bug in the emulator, fixed to match the real service.
 */
import Replicate from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';

let emu: EmulatorHandle;
const client = (auth = 'r8_emulator') => new Replicate({ auth, baseUrl: emu.baseUrls.replicate, useFileOutput: false });

beforeAll(async () => {
  emu = await startEmulator({ seed: 10, render: 'shared', faults: { replicate: { renderMs: 300 } } });
});
afterAll(async () => {
  await emu?.stop();
});

describe('replicate (official client) against the emulator', () => {
  it('predictions.create by model, get, and wait() until succeeded', async () => {
    const r = client();
    const p = await r.predictions.create({ model: 'google/veo-3.1', input: { prompt: 'official', duration: 4, resolution: '720p' } });
    expect(p.status).toBe('starting');
    expect((await r.predictions.get(p.id)).id).toBe(p.id);
    const done = await r.wait(p, { interval: 50 });
    expect(done.status).toBe('succeeded');
    expect(String(done.output)).toMatch(/\/files\/.+\.mp4$/);
  });

  it('run() blocks with Prefer: wait and returns the output', async () => {
    const out = await client().run('kwaivgi/kling-v3-video', { input: { prompt: 'run it', duration: 4, mode: 'standard' } });
    expect(String(out)).toMatch(/\.mp4$/);
  });

  it("predictions.list pages through the account's predictions, newest first", async () => {
    const r = client('r8_lister');
    const made: string[] = [];
    for (let i = 0; i < 3; i++)
      made.push((await r.predictions.create({ model: 'google/veo-3.1', input: { prompt: `list ${i}`, duration: 4 } })).id);
    const page = await r.predictions.list();
    expect(page.results.map((p) => p.id)).toEqual([...made].reverse());
    const all: string[] = [];
    for await (const batch of r.paginate(r.predictions.list)) all.push(...batch.map((p) => p.id));
    expect(all).toEqual([...made].reverse());
  });

  it('predictions.cancel ends a running prediction as canceled', async () => {
    emu.setFaults('replicate', { renderMs: 60_000 });
    try {
      const r = client();
      const p = await r.predictions.create({ model: 'google/veo-3.1', input: { prompt: 'cancel', duration: 4 } });
      const c = await r.predictions.cancel(p.id);
      expect(c.status).toBe('canceled');
    } finally {
      emu.setFaults('replicate', { renderMs: 300 });
    }
  });

  it('an input its schema refuses is an ApiError 422', async () => {
    const err = await client()
      .predictions.create({ model: 'google/veo-3.1', input: { prompt: 'x', duration: 7 } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ApiError', response: { status: 422 } });
  });

  it('files.create uploads, models.get returns the schema, webhooks.default.secret.get returns the key', async () => {
    const r = client();
    const f = await r.files.create(new Blob([Buffer.from('ref')], { type: 'image/png' }), { shot: 'a' });
    expect(f).toMatchObject({ size: 3, content_type: 'image/png', metadata: { shot: 'a' } });
    expect(f.urls.get).toContain(`/files/${f.id}`);
    const m = await r.models.get('bytedance', 'seedance-2.0');
    expect(m.latest_version?.openapi_schema).toBeTruthy();
    const s = await r.webhooks.default.secret.get();
    expect(s.key).toBe(emu.webhookSecrets!.replicate);
  });
});
