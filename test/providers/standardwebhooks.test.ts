/**
 * Standard Webhooks both ways with the spec's reference package: it verifies what the emulator signs
 * (OpenAI and Replicate), and what it signs our receiver accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { PROVIDERS } from '../../src/providers/index.ts';
import { startCallbackReceiver } from '../../src/run/index.ts';
import type { CallbackReceiver } from '../../src/run/callbacks.ts';
import { postJson, startReceiver, until } from '../emulator/helpers.ts';

describe('standardwebhooks package ↔ emulator and receiver', () => {
  let emu: EmulatorHandle;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    hooks = await startReceiver();
    emu = await startEmulator({
      render: 'shared',
      openaiWebhookUrl: `${hooks.url}/openai`,
      faults: { openai: { renderMs: 50 }, replicate: { renderMs: 50 } },
    });
  });
  afterAll(async () => {
    await emu.stop();
    await hooks.close();
  });

  it("the package verifies the emulator's OpenAI and Replicate signatures (and rejects a tampered body)", async () => {
    const v = await postJson(`${emu.baseUrls.openai}/videos`, { model: 'sora-2', prompt: 'hook', seconds: '4', size: '1280x720' });
    expect(v.status).toBe(200);
    const p = await postJson(`${emu.baseUrls.replicate}/models/bytedance/seedance-2.0-fast/predictions`, {
      input: { prompt: 'hook', duration: 4, resolution: '720p', aspect_ratio: '16:9' },
      webhook: `${hooks.url}/replicate`,
      webhook_events_filter: ['completed'],
    });
    expect(p.status).toBe(201);
    const got = await until(async () => {
      const o = hooks.received.find((h) => h.path.endsWith('/openai'));
      const r = hooks.received.find((h) => h.path.endsWith('/replicate'));
      return o && r ? { o, r } : undefined;
    });
    const secrets = emu.webhookSecrets!;
    const o = new Webhook(secrets.openai!).verify(got.o.body, got.o.headers) as { type: string; data: { id: string } };
    expect(o).toMatchObject({ type: 'video.completed', data: { id: v.body.id } });
    const r = new Webhook(secrets.replicate!).verify(got.r.body, got.r.headers) as { id: string; status: string };
    expect(r).toMatchObject({ id: p.body.id, status: 'succeeded' });
    expect(() => new Webhook(secrets.openai!).verify(got.o.body.replace('completed', 'failed'), got.o.headers)).toThrow();
  });

  it('payloads the package signs are accepted by our receiver; a wrong secret is refused', async () => {
    const secret = `whsec_${Buffer.from('a-test-secret-of-some-length').toString('base64')}`;
    let receiver: CallbackReceiver | undefined;
    const woken: string[] = [];
    try {
      receiver = await startCallbackReceiver({
        listen: '127.0.0.1:0',
        providers: new Map([
          ['openai', PROVIDERS.openai],
          ['replicate', PROVIDERS.replicate],
        ]),
        secrets: { openai: secret, replicate: secret },
        now: () => Date.now(),
        onTask: (_p, id) => (woken.push(id), true),
      });
      const send = async (provider: string, id: string, body: string, key = secret) => {
        const wh = new Webhook(key);
        const at = new Date();
        const headers = {
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': wh.sign(id, at, body),
        };
        return (await fetch(`${receiver!.url}/callbacks/${provider}`, { method: 'POST', headers, body })).status;
      };
      expect(
        await send('openai', 'msg_1', JSON.stringify({ id: 'evt_1', object: 'event', type: 'video.completed', data: { id: 'video_1' } })),
      ).toBe(200);
      expect(await send('replicate', 'msg_2', JSON.stringify({ id: 'pred_1', status: 'succeeded' }))).toBe(200);
      const other = `whsec_${Buffer.from('another-secret-entirely').toString('base64')}`;
      expect(await send('openai', 'msg_3', JSON.stringify({ data: { id: 'video_2' } }), other)).toBe(401);
      expect(woken).toEqual(['video_1', 'pred_1']);
    } finally {
      await receiver?.close();
    }
  });
});
