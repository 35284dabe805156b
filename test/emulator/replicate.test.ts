import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { startEmulator, DEFAULT_WEBHOOK_SECRETS, type EmulatorHandle } from '../../src/emulator/index.ts';
import { download, getJson, postJson, startReceiver, until } from './helpers.ts';

describe('replicate emulation (fake clock)', () => {
  const clock = new FakeClock();
  let emu: EmulatorHandle;
  let base: string;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    hooks = await startReceiver();
    emu = await startEmulator({ clock, seed: 2, webhookDuplicates: 1, webhookOutOfOrder: true, faults: { replicate: { renderMs: 3000 } } });
    base = emu.baseUrls.replicate;
  });
  afterAll(async () => {
    await emu.stop();
    await hooks.close();
  });

  it('runs starting → processing → succeeded with an output URL, signed webhooks (duplicated, then a stale one), and 1 h expiry', async () => {
    const r = await postJson(`${base}/models/openai/sora-2/predictions`, {
      input: { prompt: 'replicate shot', seconds: 4, aspect_ratio: 'landscape' },
      webhook: hooks.url,
      webhook_events_filter: ['start', 'completed'],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'starting', output: null, model: 'openai/sora-2' });
    await clock.advance(1500);
    expect((await getJson(`${base}/predictions/${r.body.id}`)).body.status).toBe('processing');
    await clock.advance(1500);
    const done = await until(async () => {
      const s = await getJson(`${base}/predictions/${r.body.id}`);
      return s.body.status === 'succeeded' ? s.body : undefined;
    });
    expect(typeof done.output).toBe('string');
    expect(done.urls.get).toBe(`${base}/predictions/${r.body.id}`);
    expect((await download(done.output)).status).toBe(200);

    const hs = await until(async () => (hooks.received.length >= 4 ? hooks.received : undefined));
    const key = Buffer.from(DEFAULT_WEBHOOK_SECRETS.replicate.slice(6), 'base64');
    for (const h of hs) {
      const sig = createHmac('sha256', key)
        .update(`${h.headers['webhook-id']}.${h.headers['webhook-timestamp']}.${h.body}`)
        .digest('base64');
      expect(h.headers['webhook-signature']).toBe(`v1,${sig}`);
    }
    const statuses = hs.map((h) => JSON.parse(h.body).status);
    expect(statuses).toEqual(['succeeded', 'succeeded', 'processing', 'processing']); // each duplicated; a stale one after the final
    expect(hs[0]!.headers['webhook-id']).toBe(hs[1]!.headers['webhook-id']);

    await clock.advance(3_600_001);
    expect((await download(done.output)).status).toBe(404);
    expect((await getJson(`${base}/predictions/${r.body.id}`)).body.data_removed).toBe(true);
  });

  it('produces failed and aborted predictions, cancels, and throttles with the wait only in the body', async () => {
    emu.setFaults('replicate', { renderMs: 100, taskFailRate: 1 });
    const f = await postJson(`${base}/models/openai/sora-2/predictions`, { input: { prompt: 'x', seconds: 4 } });
    emu.setFaults('replicate', { renderMs: 100, abortRate: 1 });
    const a = await postJson(`${base}/models/openai/sora-2/predictions`, { input: { prompt: 'y', seconds: 4 } });
    emu.setFaults('replicate', { renderMs: 100 });
    const c = await postJson(`${base}/models/openai/sora-2/predictions`, { input: { prompt: 'z', seconds: 4 } });
    const cr = await postJson(`${base}/predictions/${c.body.id}/cancel`, {});
    expect(cr.body.status).toBe('canceled');
    await clock.advance(100);
    const fs = (await getJson(`${base}/predictions/${f.body.id}`)).body;
    expect(fs.status).toBe('failed');
    expect(fs.error).toBeTruthy();
    expect((await getJson(`${base}/predictions/${a.body.id}`)).body.status).toBe('aborted');

    const bad = await postJson(`${base}/models/openai/sora-2/predictions`, { input: { prompt: 'x', seconds: 5 } });
    expect(bad.status).toBe(422);
    emu.setFaults('replicate', { rate429: 1, retryAfterS: 30 });
    const rl = await postJson(`${base}/models/openai/sora-2/predictions`, { input: { prompt: 'x', seconds: 4 } });
    expect(rl.status).toBe(429);
    expect(rl.body.detail).toMatch(/resets in ~30s\./);
    expect(rl.headers.get('retry-after')).toBeNull();
    emu.setFaults('replicate', { maxConcurrent: 1, renderMs: 1000 });
    const one = await postJson(`${base}/models/openai/sora-2/predictions`, { input: { prompt: 'x', seconds: 4 } });
    expect(one.status).toBe(201);
    const two = await postJson(`${base}/models/openai/sora-2/predictions`, { input: { prompt: 'x', seconds: 4 } });
    expect(two.status).toBe(429);
    emu.setFaults('replicate', { quotaCreates: 0 });
    const q = await postJson(`${base}/models/openai/sora-2/predictions`, { input: { prompt: 'x', seconds: 4 } });
    expect(q.status).toBe(402);
    const unauth = await postJson(`${base}/models/openai/sora-2/predictions`, {}, {});
    expect(unauth.status).toBe(401);
    emu.setFaults('replicate', {});
  });
});
