import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderName } from '../../src/providers/types.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { postJson } from './helpers.ts';

/** One valid create per provider: [path under the base URL, body, auth header]. */
const CREATE: Record<ProviderName, [string, unknown, Record<string, string>]> = {
  openai: ['/videos', { prompt: 'x', seconds: '4' }, { authorization: 'Bearer k' }],
  apidot: ['/api/generate/submit', { model: 'sora-2-official', input: { prompt: 'x', duration: 4 } }, { authorization: 'Bearer k' }],
  sorapi: ['/api/generate', { prompt: 'x', duration: 4 }, { authorization: 'Bearer k' }],
  apixo: ['/api/v1/generateTask/sora-2', { input: { prompt: 'x', duration: 4 } }, { authorization: 'Bearer k' }],
  fal: ['/fal-ai/sora-2/text-to-video', { prompt: 'x', duration: '4' }, { authorization: 'Key k' }],
  replicate: ['/models/openai/sora-2/predictions', { input: { prompt: 'x', seconds: 4 } }, { authorization: 'Bearer k' }],
};

/** What each provider's throttling, overload, quota and auth answers look like on the wire. */
const SHAPES: Record<
  ProviderName,
  { r429: (b: any, h: Headers) => void; r5xx: (b: any) => void; quota: [number, (b: any) => void]; r401: (b: any) => void }
> = {
  openai: {
    r429: (b, h) => {
      expect(b.error.code).toBe('rate_limit_exceeded');
      expect(h.get('retry-after-ms')).toBe('5000');
      expect(h.get('retry-after')).toBe('5');
    },
    r5xx: (b) => expect(b.error.type).toBe('server_error'),
    quota: [429, (b) => expect(b.error.code).toBe('insufficient_quota')],
    r401: (b) => expect(b.error.code).toBe('invalid_api_key'),
  },
  apidot: {
    r429: (b, h) => {
      expect(b).toMatchObject({ code: 429, error: { type: 'rate_limited' } });
      expect(h.get('retry-after')).toBe('5');
    },
    r5xx: (b) => expect(b.code).toBe(503),
    quota: [402, (b) => expect(b.error.type).toBe('insufficient_credits')],
    r401: (b) => expect(b.error.type).toBe('authentication_error'),
  },
  sorapi: {
    r429: (b, h) => {
      expect(b.error.code).toBe('rate_limited');
      expect(h.get('retry-after')).toBe('5');
    },
    r5xx: (b) => expect(b.error.code).toBe('maintenance'),
    quota: [402, (b) => expect(b.error.code).toBe('insufficient_credits')],
    r401: (b) => expect(b.error.code).toBe('unauthorized'),
  },
  apixo: {
    r429: (b, h) => {
      expect(b.code).toBe(429);
      expect(h.get('retry-after')).toBe('5');
    },
    r5xx: (b) => expect(b.code).toBe(503),
    quota: [402, (b) => expect(b.code).toBe(402)],
    r401: (b) => expect(b.code).toBe(401),
  },
  fal: {
    r429: (b, h) => {
      expect(typeof b.detail).toBe('string');
      expect(h.get('retry-after')).toBe('5');
    },
    r5xx: (b) => expect(b.detail).toBeTruthy(),
    quota: [402, (b) => expect(b.detail).toMatch(/balance/i)],
    r401: (b) => expect(b.detail).toBeTruthy(),
  },
  replicate: {
    r429: (b, h) => {
      expect(b.detail).toMatch(/resets in ~5s\./);
      expect(h.get('retry-after')).toBeNull();
    },
    r5xx: (b) => expect(b.status).toBe(503),
    quota: [402, (b) => expect(b.title).toMatch(/credit/i)],
    r401: (b) => expect(b.status).toBe(401),
  },
};

describe('fault answers in each provider’s own shape', () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({ render: 'shared', seed: 4 });
  });
  afterAll(() => emu.stop());

  for (const p of Object.keys(CREATE) as ProviderName[]) {
    it(p, async () => {
      const [path, body, auth] = CREATE[p];
      const url = `${emu.baseUrls[p]}${path}`;
      const s = SHAPES[p];
      const noAuth = await postJson(url, body, {});
      expect(noAuth.status).toBe(401);
      s.r401(noAuth.body);

      emu.setFaults(p, { rate429: 1, retryAfterS: 5 });
      const t = await postJson(url, body, auth);
      expect(t.status).toBe(429);
      s.r429(t.body, t.headers);
      expect(t.headers.get('x-request-id')).toBeTruthy();

      emu.setFaults(p, { rate5xx: 1 });
      const o = await postJson(url, body, auth);
      expect(o.status).toBe(503);
      s.r5xx(o.body);

      emu.setFaults(p, { quotaCreates: 1, renderMs: 60_000 });
      const first = await postJson(url, body, auth);
      expect(first.status).toBeLessThan(300);
      const q = await postJson(url, body, auth);
      expect(q.status).toBe(s.quota[0]);
      s.quota[1](q.body);
      expect(emu.counts(p)).toMatchObject({ creates: 1, rejected429: 1 });
      emu.setFaults(p, {});
    });
  }
});
