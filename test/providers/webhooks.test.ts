import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apidot } from '../../src/providers/apidot.ts';
import { apixo } from '../../src/providers/apixo.ts';
import { createFalProvider } from '../../src/providers/fal.ts';
import { openai } from '../../src/providers/openai.ts';
import { replicate } from '../../src/providers/replicate.ts';
import { sorapi } from '../../src/providers/sorapi.ts';
import type { CallbackRequest } from '../../src/providers/types.ts';
import {
  createJwksCache,
  falSignedMessage,
  signHexHmac,
  signStandardWebhook,
  verifyHexHmac,
  verifyStandardWebhook,
} from '../../src/providers/webhooks.ts';
import { fakeServer, json } from './helpers.ts';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const NOW_S = NOW / 1000;
const SECRET = `whsec_${Buffer.from('a-test-secret-of-some-length-123').toString('base64')}`;

function stdReq(body: string, opts: { secret?: string; ts?: number; id?: string; extraSig?: string } = {}): CallbackRequest {
  const id = opts.id ?? 'msg_1';
  const ts = opts.ts ?? NOW_S;
  const sig = signStandardWebhook(opts.secret ?? SECRET, id, ts, body);
  return {
    headers: { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': opts.extraSig ? `${opts.extraSig} ${sig}` : sig },
    rawBody: Buffer.from(body),
  };
}

describe('Standard Webhooks (OpenAI, Replicate)', () => {
  const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'video.completed', data: { id: 'video_abc' } });

  it('valid signature passes and yields the task id and webhook-id', async () => {
    expect(verifyStandardWebhook(stdReq(body), SECRET, NOW)).toEqual({ ok: true, id: 'msg_1' });
    expect(await openai.verifyCallback!(stdReq(body), SECRET, NOW)).toEqual({ kind: 'verified', taskId: 'video_abc', deliveryId: 'msg_1' });
  });
  it('accepts when any of several v1 signatures matches (key rotation)', () => {
    expect(verifyStandardWebhook(stdReq(body, { extraSig: 'v1,AAAA v2,zzz' }), SECRET, NOW).ok).toBe(true);
  });
  it('rejects a tampered body', () => {
    const r = stdReq(body);
    r.rawBody = Buffer.from(body.replace('video_abc', 'video_xyz'));
    expect(verifyStandardWebhook(r, SECRET, NOW)).toMatchObject({ ok: false });
  });
  it('rejects the wrong secret', () => {
    const other = `whsec_${Buffer.from('another-secret').toString('base64')}`;
    expect(verifyStandardWebhook(stdReq(body, { secret: other }), SECRET, NOW)).toMatchObject({ ok: false, reason: /no matching/ });
  });
  it.each([[-301], [301]])('rejects a timestamp %i s away; accepts ±300', (d) => {
    expect(verifyStandardWebhook(stdReq(body, { ts: NOW_S + d }), SECRET, NOW)).toMatchObject({ ok: false, reason: /tolerance/ });
    expect(verifyStandardWebhook(stdReq(body, { ts: NOW_S + Math.sign(d) * 300 }), SECRET, NOW).ok).toBe(true);
  });
  it('rejects missing headers and missing secret', () => {
    expect(verifyStandardWebhook({ headers: {}, rawBody: Buffer.from(body) }, SECRET, NOW).ok).toBe(false);
    expect(verifyStandardWebhook(stdReq(body), undefined, NOW).ok).toBe(false);
  });
  it('replicate: the body is the prediction', async () => {
    const pb = JSON.stringify({ id: 'pred_9', status: 'succeeded', output: 'https://r/o.mp4' });
    expect(await replicate.verifyCallback!(stdReq(pb, { id: 'msg_r' }), SECRET, NOW)).toEqual({
      kind: 'verified',
      taskId: 'pred_9',
      deliveryId: 'msg_r',
    });
    const bad = stdReq(pb);
    bad.rawBody = Buffer.from(pb + ' ');
    expect((await replicate.verifyCallback!(bad, SECRET, NOW)).kind).toBe('invalid');
  });
});

describe('SorAPI hex HMAC', () => {
  const secret = 'sorapi-signing-secret';
  const body = JSON.stringify({ task_id: 'task_7', status: 'succeeded', response: [{ format: 'mp4', url: 'https://s/x.mp4' }] });
  const req = (sig: string, raw = body): CallbackRequest => ({ headers: { 'x-signature': sig }, rawBody: Buffer.from(raw) });

  it('valid passes; deliveryId is stable across retried deliveries', async () => {
    const v1 = await sorapi.verifyCallback!(req(signHexHmac(secret, body)), secret, NOW);
    const v2 = await sorapi.verifyCallback!(req(signHexHmac(secret, body)), secret, NOW);
    expect(v1).toMatchObject({ kind: 'verified', taskId: 'task_7' });
    expect(v1).toEqual(v2);
  });
  it('rejects tampered body, wrong secret, malformed signature', () => {
    expect(verifyHexHmac(req(signHexHmac(secret, body), body.replace('task_7', 'task_8')), secret).ok).toBe(false);
    expect(verifyHexHmac(req(signHexHmac('other', body)), secret).ok).toBe(false);
    expect(verifyHexHmac(req('not-hex'), secret).ok).toBe(false);
  });
});

describe('fal ED25519 with JWKS', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const body = JSON.stringify({ request_id: 'req_1', status: 'OK', payload: { video: { url: 'https://f/v.mp4' } } });

  function falReq(opts: { ts?: number; key?: typeof privateKey; raw?: string } = {}): CallbackRequest {
    const ts = String(opts.ts ?? NOW_S);
    const sig = sign(null, falSignedMessage('req_1', 'user_1', ts, Buffer.from(body)), opts.key ?? privateKey).toString('hex');
    return {
      headers: {
        'x-fal-webhook-request-id': 'req_1',
        'x-fal-webhook-user-id': 'user_1',
        'x-fal-webhook-timestamp': ts,
        'x-fal-webhook-signature': sig,
      },
      rawBody: Buffer.from(opts.raw ?? body),
    };
  }

  it('verifies against keys fetched from the JWKS URL, caches them, rejects forgeries', async () => {
    const srv = await fakeServer((_req, _b, res) => json(res, 200, { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }, jwk] }));
    try {
      const fal = createFalProvider({ jwks: createJwksCache(fetch) });
      const jwksUrl = `${srv.url}/.well-known/jwks.json`;
      const v = await fal.verifyCallback!(falReq(), jwksUrl, NOW);
      expect(v).toMatchObject({ kind: 'verified', taskId: 'req_1' });
      expect(await fal.verifyCallback!(falReq(), jwksUrl, NOW)).toEqual(v);
      expect(srv.requests).toHaveLength(1); // cached

      expect(await fal.verifyCallback!(falReq({ raw: body.replace('OK', 'ERROR') }), jwksUrl, NOW)).toMatchObject({ kind: 'invalid' });
      expect(await fal.verifyCallback!(falReq({ key: other.privateKey }), jwksUrl, NOW)).toMatchObject({ kind: 'invalid' });
      expect(await fal.verifyCallback!(falReq({ ts: NOW_S - 301 }), jwksUrl, NOW)).toMatchObject({ kind: 'invalid', reason: /tolerance/ });
      expect(await fal.verifyCallback!(falReq({ ts: NOW_S + 301 }), jwksUrl, NOW)).toMatchObject({ kind: 'invalid', reason: /tolerance/ });
    } finally {
      await srv.close();
    }
  });

  it('signed message is request_id\\nuser_id\\ntimestamp\\nsha256hex(body)', () => {
    const sha = createHash('sha256').update(body).digest('hex');
    expect(falSignedMessage('r', 'u', '1', Buffer.from(body)).toString()).toBe(`r\nu\n1\n${sha}`);
  });

  it('an unreachable JWKS is invalid, not a crash', async () => {
    const fal = createFalProvider({ jwks: createJwksCache(fetch) });
    expect(await fal.verifyCallback!(falReq(), 'http://127.0.0.1:9/jwks', NOW)).toMatchObject({ kind: 'invalid', reason: /JWKS/ });
    expect(await fal.verifyCallback!(falReq(), undefined, NOW)).toMatchObject({ kind: 'invalid' });
  });
});

describe('unsigned providers (APIDot, APIXO)', () => {
  it('return the task id from the body with a body-hash delivery id', async () => {
    const a = JSON.stringify({ code: 200, data: { task_id: 'task-unified-1-abcdefgh', status: 'finished' } });
    const v = await apidot.verifyCallback!({ headers: {}, rawBody: Buffer.from(a) }, undefined, NOW);
    expect(v).toMatchObject({ kind: 'unsigned', taskId: 'task-unified-1-abcdefgh' });
    const x = JSON.stringify({ code: 200, message: 'success', data: { taskId: 'tx_1', state: 'success' } });
    expect(await apixo.verifyCallback!({ headers: {}, rawBody: Buffer.from(x) }, undefined, NOW)).toMatchObject({
      kind: 'unsigned',
      taskId: 'tx_1',
    });
    expect((await apixo.verifyCallback!({ headers: {}, rawBody: Buffer.from('{}') }, undefined, NOW)).kind).toBe('invalid');
  });
});
