import { describe, expect, it } from 'vitest';
import { toApidotRequest } from '../../src/providers/apidot.ts';
import { toApixoRequest } from '../../src/providers/apixo.ts';
import { fal, falApp, falQueueRoot, toFalRequest } from '../../src/providers/fal.ts';
import { toOpenAIRequest } from '../../src/providers/openai.ts';
import { replicate, toReplicateRequest } from '../../src/providers/replicate.ts';
import { sorapiIdempotencyKey, toSorapiRequest } from '../../src/providers/sorapi.ts';
import type { MapResult } from '../../src/providers/types.ts';
import { envFor, makeJob } from './helpers.ts';

function req(r: MapResult) {
  if (!r.ok) throw new Error(`expected ok, got ${r.errors.join('; ')}`);
  return r.request;
}
function errs(r: MapResult): string {
  if (r.ok) throw new Error('expected errors');
  return r.errors.join('; ');
}

const URL_IMG = 'https://cdn.example.com/ref.png';

describe('openai toRequest', () => {
  const base = makeJob({ provider: 'openai', wireModel: 'sora-2', seconds: 8, size: { width: 720, height: 1280 }, aspect: '9:16' });
  it('text: JSON with seconds as a string and size WxH', () => {
    expect(req(toOpenAIRequest(base))).toEqual({
      method: 'POST',
      path: '/videos',
      json: { model: 'sora-2', prompt: base.prompt, seconds: '8', size: '720x1280' },
    });
  });
  it('params are merged last', () => {
    expect(req(toOpenAIRequest({ ...base, params: { seconds: '12', extra: 1 } })).json).toMatchObject({ seconds: '12', extra: 1 });
  });
  it('local image → multipart with input_reference', () => {
    const r = req(toOpenAIRequest({ ...base, image: '/tmp/ref.jpg' }));
    expect(r.json).toBeUndefined();
    expect(r.multipart).toEqual({
      fields: { model: 'sora-2', prompt: base.prompt, seconds: '8', size: '720x1280' },
      files: [{ field: 'input_reference', path: '/tmp/ref.jpg', contentType: 'image/jpeg' }],
    });
  });
  it.each([
    ['image URL', { image: URL_IMG }, /upload/],
    ['aspect auto', { aspect: 'auto' as const }, /auto/],
    ['empty prompt', { prompt: '' }, /prompt/],
    ['prompt too long', { prompt: 'x'.repeat(32_001) }, /prompt/],
  ])('rejects %s', (_n, over, re) => {
    expect(errs(toOpenAIRequest({ ...base, ...over }))).toMatch(re);
  });
});

describe('apidot toRequest', () => {
  const std = makeJob({ provider: 'apidot', wireModel: 'sora-2-official', tier: 'standard', seconds: 8 });
  const pro = makeJob({ provider: 'apidot', wireModel: 'sora-2-pro-official', tier: 'pro', resolution: '1080p', seconds: 12 });
  it('standard never sends resolution', () => {
    expect(req(toApidotRequest(std, {}))).toEqual({
      method: 'POST',
      path: '/api/generate/submit',
      json: { model: 'sora-2-official', input: { prompt: std.prompt, duration: 8, aspect_ratio: '16:9' } },
    });
  });
  it('pro sends resolution, image_urls and callback_url', () => {
    const r = req(toApidotRequest({ ...pro, image: URL_IMG }, { callbackUrl: 'https://cb.example/x' }));
    expect(r.json).toEqual({
      model: 'sora-2-pro-official',
      callback_url: `https://cb.example/x?job=${pro.id}`, // the job rides along: a late callback finds (and checks) its job
      input: { prompt: pro.prompt, duration: 12, aspect_ratio: '16:9', resolution: '1080p', image_urls: [URL_IMG] },
    });
  });
  it('auto only for pro with an image', () => {
    expect(req(toApidotRequest({ ...pro, aspect: 'auto', image: URL_IMG }, {})).json).toMatchObject({ input: { aspect_ratio: 'auto' } });
    expect(errs(toApidotRequest({ ...pro, aspect: 'auto' }, {}))).toMatch(/auto/);
    expect(errs(toApidotRequest({ ...std, aspect: 'auto', image: URL_IMG }, {}))).toMatch(/auto/);
  });
  it('local image is an error (URL only)', () => {
    expect(errs(toApidotRequest({ ...std, image: './ref.png' }, {}))).toMatch(/URL/);
  });
  it('non-Sora families always send resolution, plus seed when set', () => {
    const r = req(toApidotRequest(makeJob({ wireModel: 'seedance-2', tier: 'standard', resolution: '1080p', seconds: 5, seed: 9 }), {}));
    expect(r.json).toMatchObject({ model: 'seedance-2', input: { resolution: '1080p', duration: 5, seed: 9 } });
  });
  it('params merge into input, last', () => {
    expect(req(toApidotRequest({ ...std, params: { duration: 20, generate_audio: true } }, {})).json).toMatchObject({
      input: { duration: 20, generate_audio: true },
    });
  });
});

describe('sorapi toRequest', () => {
  const j = makeJob({ provider: 'sorapi', wireModel: 'sora-2-latest', seconds: 8, seed: 42, guidance: 6.5, negativePrompt: 'blur' });
  it('maps every field incl. seed, guidance, negative_prompt, callback and idempotency key', () => {
    expect(req(toSorapiRequest(j, { callbackUrl: 'https://cb/x', idempotencyKey: 'job123-a1' }))).toEqual({
      method: 'POST',
      path: '/api/generate',
      json: {
        prompt: j.prompt,
        model_version: 'sora-2-latest',
        duration: 8,
        resolution: '1280x720',
        guidance: 6.5,
        seed: 42,
        negative_prompt: 'blur',
        callback_url: `https://cb/x?job=${j.id}`,
        idempotency_key: 'job123-a1',
      },
    });
  });
  it('omits unset optional fields', () => {
    const r = req(toSorapiRequest(makeJob({ wireModel: 'sora-2-latest' }), {}));
    expect(Object.keys(r.json as object).sort()).toEqual(['duration', 'model_version', 'prompt', 'resolution']);
  });
  it('portrait is aspect_ratio "vertical" (the only documented value); landscape omits it', () => {
    const r = req(toSorapiRequest({ ...j, aspect: '9:16', size: { width: 720, height: 1280 } }, {}));
    expect(r.json).toMatchObject({ aspect_ratio: 'vertical', resolution: '720x1280' });
    expect(r.json).not.toHaveProperty('aspect_ratio', '9:16');
  });
  it('callback URLs must be https (loopback http only serves the emulator)', () => {
    expect(errs(toSorapiRequest(j, { callbackUrl: 'http://hooks.example.com/cb' }))).toMatch(
      /https:\/\/ URLs only.*http:\/\/hooks.example.com/,
    );
    expect(req(toSorapiRequest(j, { callbackUrl: 'http://127.0.0.1:9000/callbacks/sorapi' })).json).toMatchObject({
      callback_url: `http://127.0.0.1:9000/callbacks/sorapi?job=${j.id}`,
    });
  });
  it('prompt ≤ 5000', () => {
    expect(req(toSorapiRequest({ ...j, prompt: 'x'.repeat(5000) }, {})).path).toBe('/api/generate');
    expect(errs(toSorapiRequest({ ...j, prompt: 'x'.repeat(5001) }, {}))).toMatch(/5000/);
  });
  it('idempotency keys over 64 chars are hashed deterministically to 64', () => {
    const long = 'k'.repeat(80);
    expect(sorapiIdempotencyKey(long)).toHaveLength(64);
    expect(sorapiIdempotencyKey(long)).toBe(sorapiIdempotencyKey(long));
    expect(sorapiIdempotencyKey('short')).toBe('short');
  });
  it('rejects images and auto', () => {
    expect(errs(toSorapiRequest({ ...j, image: URL_IMG }, {}))).toMatch(/image/);
    expect(errs(toSorapiRequest({ ...j, aspect: 'auto' }, {}))).toMatch(/auto/);
  });
});

describe('apixo toRequest', () => {
  const j = makeJob({ provider: 'apixo', wireModel: 'sora-2', seconds: 8, aspect: '9:16', size: { width: 720, height: 1280 } });
  const pro = { ...j, wireModel: 'sora-2-pro', tier: 'pro' as const };
  it('async text-to-video, portrait, always provider "official"', () => {
    expect(req(toApixoRequest(j, {}))).toEqual({
      method: 'POST',
      path: '/api/v1/generateTask/sora-2',
      json: {
        request_type: 'async',
        provider: 'official',
        input: { mode: 'text-to-video', prompt: j.prompt, duration: 8, aspect_ratio: 'portrait' },
      },
    });
  });
  it('callback image-to-video, landscape, exactly one URL', () => {
    const r = req(toApixoRequest({ ...j, aspect: '16:9', image: URL_IMG }, { callbackUrl: 'https://cb/x' }));
    expect(r.json).toEqual({
      request_type: 'callback',
      callback_url: `https://cb/x?job=${j.id}`,
      provider: 'official',
      input: { mode: 'image-to-video', prompt: j.prompt, duration: 8, aspect_ratio: 'landscape', image_urls: [URL_IMG] },
    });
  });
  it.each([
    ['720p', '9:16', '720*1280'],
    ['720p', '16:9', '1280*720'],
    ['1024p', '9:16', '1024*1792'],
    ['1024p', '16:9', '1792*1024'],
  ] as const)('sora-2-pro text-to-video %s %s sends input.size %s and no aspect_ratio', (resolution, aspect, size) => {
    const input = (req(toApixoRequest({ ...pro, resolution, aspect }, {})).json as { input: Record<string, unknown> }).input;
    expect(input).toEqual({ mode: 'text-to-video', prompt: j.prompt, duration: 8, size });
  });
  it('sora-2-pro image-to-video sends resolution 720p | 1080p; other combinations are refused', () => {
    const input = (req(toApixoRequest({ ...pro, resolution: '1080p', image: URL_IMG }, {})).json as { input: Record<string, unknown> })
      .input;
    expect(input).toEqual({ mode: 'image-to-video', prompt: j.prompt, duration: 8, resolution: '1080p', image_urls: [URL_IMG] });
    expect(errs(toApixoRequest({ ...pro, resolution: '1080p' }, {}))).toMatch(/text-to-video offers 720p .*1024p/);
    expect(errs(toApixoRequest({ ...pro, resolution: '1024p', image: URL_IMG }, {}))).toMatch(
      /image-to-video offers resolution 720p or 1080p/,
    );
  });
  it('rejects local images, auto and prompts over 5,000 characters', () => {
    expect(errs(toApixoRequest({ ...j, image: '/x.png' }, {}))).toMatch(/URL/);
    expect(errs(toApixoRequest({ ...j, aspect: 'auto' }, {}))).toMatch(/auto/);
    expect(req(toApixoRequest({ ...j, prompt: 'x'.repeat(5_000) }, {})).path).toBe('/api/v1/generateTask/sora-2');
    expect(errs(toApixoRequest({ ...j, prompt: 'x'.repeat(5_001) }, {}))).toMatch(/5000/);
  });
});

describe('fal toRequest', () => {
  const j = makeJob({ provider: 'fal', wireModel: 'fal-ai/sora-2/text-to-video', seconds: 8 });
  it('text: POST /{app} with the input as body', () => {
    expect(req(toFalRequest(j, {}))).toEqual({
      method: 'POST',
      path: '/fal-ai/sora-2/text-to-video',
      // fal's Sora 2 schema: duration is the string enum "4" | "8" | "12" | "16" | "20".
      json: { prompt: j.prompt, duration: '8', aspect_ratio: '16:9', resolution: '720p' },
    });
  });
  it('image swaps text-to-video for image-to-video and adds image_url; webhook in the query', () => {
    const r = req(toFalRequest({ ...j, image: URL_IMG, aspect: 'auto' }, { callbackUrl: 'https://cb/x' }));
    expect(r.path).toBe('/fal-ai/sora-2/image-to-video');
    expect(r.query).toEqual({ fal_webhook: 'https://cb/x?job=job123abc456' });
    expect(r.json).toMatchObject({ image_url: URL_IMG, aspect_ratio: 'auto' });
  });
  it('swaps the text-to-video segment anywhere in the app id; keeps other apps', () => {
    expect(falApp({ ...j, wireModel: 'fal-ai/sora-2/text-to-video/pro', image: URL_IMG })).toBe('fal-ai/sora-2/image-to-video/pro');
    expect(falApp({ ...j, wireModel: 'fal-ai/kling-video/v3/pro/text-to-video', image: URL_IMG })).toBe(
      'fal-ai/kling-video/v3/pro/image-to-video',
    );
    expect(falApp({ ...j, wireModel: 'fal-ai/sora-2/pro/image-to-video', image: URL_IMG })).toBe('fal-ai/sora-2/pro/image-to-video');
    expect(falApp({ ...j, wireModel: 'fal-ai/veo3.1', image: URL_IMG })).toBe('fal-ai/veo3.1');
    expect(falApp({ ...j, wireModel: 'fal-ai/sora-2/pro/text-to-video' })).toBe('fal-ai/sora-2/pro/text-to-video');
  });
  it.each([
    ['fal-ai/veo3.1', { duration: '8s', resolution: '1080p', image_url: URL_IMG }],
    ['fal-ai/veo3.1/fast', { duration: '8s' }],
    ['bytedance/seedance-2.0/text-to-video', { duration: '8', resolution: '1080p', image_url: URL_IMG }],
    ['fal-ai/kling-video/v3/pro/text-to-video', { duration: '8', start_image_url: URL_IMG }],
    ['fal-ai/wan/v2.7/text-to-video', { duration: '8', resolution: '1080p' }],
  ])('model family %s spells its inputs its own way', (app, want) => {
    const r = req(toFalRequest({ ...j, wireModel: app, seconds: 8, resolution: '1080p', image: URL_IMG }, {}));
    expect(r.json).toMatchObject(want);
    if (app.includes('kling')) expect(r.json).not.toHaveProperty('resolution');
  });
  it('queue root drops the sub-path', () => {
    expect(falQueueRoot('fal-ai/sora-2/pro/text-to-video')).toBe('fal-ai/sora-2');
  });
  it('maps a local image for the plan (the executor uploads it first) but never sends one; rejects auto without an image', async () => {
    expect(req(toFalRequest({ ...j, image: '/ref.png' }, {})).json).toMatchObject({ image_url: '/ref.png' });
    expect(errs(toFalRequest({ ...j, aspect: 'auto' }, {}))).toMatch(/auto/);
    let calls = 0;
    const spy = (async () => {
      calls++;
      return new Response('{}');
    }) as unknown as typeof fetch;
    const out = await fal.submit(envFor('http://fal.test', { fetch: spy }), { ...j, image: '/ref.png' }, { idempotencyKey: 'k' });
    expect(out).toMatchObject({ kind: 'rejected', message: expect.stringMatching(/not uploaded/) });
    expect(calls).toBe(0);
  });
});

describe('replicate toRequest', () => {
  const j = makeJob({ provider: 'replicate', wireModel: 'openai/sora-2', seconds: 8, aspect: '9:16' });
  it('text: model predictions endpoint, portrait, no resolution for standard', () => {
    expect(req(toReplicateRequest(j, {}))).toEqual({
      method: 'POST',
      path: '/models/openai/sora-2/predictions',
      json: { input: { prompt: j.prompt, seconds: 8, aspect_ratio: 'portrait' } },
    });
  });
  it('pro: resolution standard|high; image URL as input_reference; webhook completed only', () => {
    const r = req(
      toReplicateRequest(
        { ...j, wireModel: 'openai/sora-2-pro', tier: 'pro', resolution: '1024p', aspect: '16:9', image: URL_IMG },
        { callbackUrl: 'https://cb/x' },
      ),
    );
    expect(r.json).toEqual({
      input: { prompt: j.prompt, seconds: 8, aspect_ratio: 'landscape', input_reference: URL_IMG, resolution: 'high' },
      webhook: 'https://cb/x?job=job123abc456',
      webhook_events_filter: ['completed'],
    });
    expect(
      (req(toReplicateRequest({ ...j, tier: 'pro', resolution: '720p' }, {})).json as { input: { resolution: string } }).input.resolution,
    ).toBe('standard');
  });
  it('version-pinned ids use /predictions with version', () => {
    const r = req(toReplicateRequest({ ...j, wireModel: 'openai/sora-2:abc123' }, {}));
    expect(r.path).toBe('/predictions');
    expect(r.json).toMatchObject({ version: 'openai/sora-2:abc123' });
  });
  it.each([
    [
      'google/veo-3.1',
      { prompt: j.prompt, duration: 8, aspect_ratio: '9:16', resolution: '1080p', image: URL_IMG, seed: 5, negative_prompt: 'blur' },
    ],
    [
      'kwaivgi/kling-v3-video',
      { prompt: j.prompt, duration: 8, aspect_ratio: '9:16', mode: 'pro', start_image: URL_IMG, seed: 5, negative_prompt: 'blur' },
    ],
    [
      'bytedance/seedance-2.0',
      { prompt: j.prompt, duration: 8, aspect_ratio: '9:16', resolution: '1080p', image: URL_IMG, seed: 5, negative_prompt: 'blur' },
    ],
  ])('model family %s gets its own input names', (model, want) => {
    const r = req(toReplicateRequest({ ...j, wireModel: model, resolution: '1080p', image: URL_IMG, seed: 5, negativePrompt: 'blur' }, {}));
    expect(r.path).toBe(`/models/${model}/predictions`);
    expect((r.json as { input: unknown }).input).toEqual(want);
  });
  it('maps a local image for the plan but never sends one; rejects auto and malformed ids', async () => {
    expect(req(toReplicateRequest({ ...j, image: '/ref.png' }, {})).json).toMatchObject({ input: { input_reference: '/ref.png' } });
    let calls = 0;
    const spy = (async () => {
      calls++;
      return new Response('{}');
    }) as unknown as typeof fetch;
    const out = await replicate.submit(envFor('http://rep.test', { fetch: spy }), { ...j, image: '/ref.png' }, { idempotencyKey: 'k' });
    expect(out).toMatchObject({ kind: 'rejected', message: expect.stringMatching(/not uploaded/) });
    expect(calls).toBe(0);
    expect(errs(toReplicateRequest({ ...j, aspect: 'auto' }, {}))).toMatch(/portrait/);
    expect(errs(toReplicateRequest({ ...j, wireModel: 'sora-2' }, {}))).toMatch(/owner\/name/);
  });
});
