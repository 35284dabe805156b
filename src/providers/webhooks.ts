/**
 * Callback signature schemes. Pure except the fal JWKS fetch, which goes through an injected fetch
 * and a cache object the caller owns (no module-level state).
 *
 * - Standard Webhooks (OpenAI, Replicate): the `standardwebhooks` package (the spec's reference
 *   library) computes the `v1,<base64>` signature; we compare it and check the ±300 s window here.
 * - SorAPI: `X-Signature` = hex HMAC-SHA256 of the raw body.
 * - fal: ED25519 over `request_id\nuser_id\ntimestamp\nsha256hex(body)`, hex signature, keys from a JWKS URL, ±300 s.
 */
import { createHash, createHmac, createPublicKey, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { CallbackRequest } from './types.ts';

export const WEBHOOK_TOLERANCE_S = 300;

export type SignatureCheck = { ok: true; id: string } | { ok: false; reason: string };

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A stable id for a delivery that carries none: the body's hash (a retried delivery has the same body). */
export function bodyDeliveryId(rawBody: Buffer): string {
  return createHash('sha256').update(rawBody).digest('hex').slice(0, 32);
}

function timestampOk(tsHeader: string | undefined, nowMs: number, toleranceS: number): string | undefined {
  if (!tsHeader || !/^\d+$/.test(tsHeader.trim())) return 'missing or malformed timestamp';
  const ts = Number(tsHeader.trim());
  const skew = Math.abs(nowMs / 1000 - ts);
  return skew > toleranceS ? `timestamp outside tolerance (${Math.round(skew)} s)` : undefined;
}

function standardWebhook(secret: string): Webhook | undefined {
  try {
    return new Webhook(secret);
  } catch {
    return undefined; // not base64 after `whsec_`
  }
}

/** `v1,<base64>` for a payload: what a sender puts in `webhook-signature` (the emulator and tests sign with it). */
export function signStandardWebhook(secret: string, id: string, timestampS: number, rawBody: Buffer | string): string {
  const wh = standardWebhook(secret);
  if (!wh) throw new Error('webhook secret is not a whsec_ base64 key');
  return wh.sign(id, new Date(timestampS * 1000), rawBody);
}

/**
 * The package's own `verify` reads the wall clock for the timestamp window; ours comes from the
 * injected clock. So the window is checked here and the package signs the expected value, which is
 * compared in constant time against every `v1` entry of the header (the package's method, too).
 */
export function verifyStandardWebhook(
  req: CallbackRequest,
  secret: string | undefined,
  nowMs: number,
  toleranceS = WEBHOOK_TOLERANCE_S,
): SignatureCheck {
  if (!secret) return { ok: false, reason: 'no webhook secret configured' };
  const wh = standardWebhook(secret);
  if (!wh) return { ok: false, reason: 'webhook secret is not a whsec_ base64 key' };
  const id = req.headers['webhook-id'];
  const sigHeader = req.headers['webhook-signature'];
  if (!id || !sigHeader) return { ok: false, reason: 'missing webhook-id or webhook-signature header' };
  const tsHeader = req.headers['webhook-timestamp'];
  const tsError = timestampOk(tsHeader, nowMs, toleranceS);
  if (tsError || !tsHeader) return { ok: false, reason: tsError ?? 'missing timestamp' };
  const expected = Buffer.from(wh.sign(id, new Date(Number(tsHeader.trim()) * 1000), req.rawBody).split(',', 2)[1] ?? '', 'base64');
  for (const part of sigHeader.split(' ')) {
    const [version, sig] = part.split(',', 2);
    if (version !== 'v1' || !sig) continue;
    if (safeEqual(Buffer.from(sig, 'base64'), expected)) return { ok: true, id };
  }
  return { ok: false, reason: 'no matching v1 signature' };
}

export function signHexHmac(secret: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** SorAPI: hex HMAC-SHA256 of the raw body in `x-signature` (optionally `sha256=`-prefixed). */
export function verifyHexHmac(req: CallbackRequest, secret: string | undefined, headerName = 'x-signature'): SignatureCheck {
  if (!secret) return { ok: false, reason: 'no webhook secret configured' };
  const raw = req.headers[headerName]?.trim().replace(/^sha256=/i, '');
  if (!raw || !/^[0-9a-f]+$/i.test(raw)) return { ok: false, reason: `missing or malformed ${headerName}` };
  const expected = createHmac('sha256', secret).update(req.rawBody).digest();
  return safeEqual(Buffer.from(raw, 'hex'), expected)
    ? { ok: true, id: bodyDeliveryId(req.rawBody) }
    : { ok: false, reason: 'signature mismatch' };
}

// ---------------------------------------------------------------------------------------------
// fal: ED25519 with keys from a JWKS URL

/** fal's published webhook keys; pass it as the fal callback `secret` in production. */
export const FAL_JWKS_URL = 'https://rest.alpha.fal.ai/.well-known/jwks.json';

export interface JwksCache {
  /** Public keys published at `url`; cached for `ttlMs`; `force` refetches (key rotation). */
  keys(url: string, nowMs: number, force?: boolean): Promise<KeyObject[]>;
}

/** fal says JWKS may be cached up to 24 h. A forced refetch is allowed at most once a minute. */
export function createJwksCache(fetchFn: typeof fetch = fetch, ttlMs = 24 * 3_600_000): JwksCache {
  const entries = new Map<string, { at: number; keys: KeyObject[] }>();
  return {
    async keys(url, nowMs, force = false) {
      const hit = entries.get(url);
      if (hit && nowMs - hit.at < ttlMs && !(force && nowMs - hit.at > 60_000)) return hit.keys;
      const res = await fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`JWKS ${url}: HTTP ${res.status}`);
      const body = (await res.json()) as { keys?: Array<Record<string, unknown>> };
      const keys: KeyObject[] = [];
      for (const jwk of body.keys ?? []) {
        if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') continue;
        try {
          keys.push(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }));
        } catch {
          /* one malformed key must not hide the valid ones */
        }
      }
      entries.set(url, { at: nowMs, keys });
      return keys;
    },
  };
}

export function falSignedMessage(requestId: string, userId: string, timestamp: string, rawBody: Buffer): Buffer {
  const bodyHash = createHash('sha256').update(rawBody).digest('hex');
  return Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${bodyHash}`, 'utf8');
}

export function verifyFalSignature(
  req: CallbackRequest,
  keys: KeyObject[],
  nowMs: number,
  toleranceS = WEBHOOK_TOLERANCE_S,
): SignatureCheck {
  const h = req.headers;
  const requestId = h['x-fal-webhook-request-id'];
  const userId = h['x-fal-webhook-user-id'];
  const ts = h['x-fal-webhook-timestamp'];
  const sig = h['x-fal-webhook-signature'];
  if (!requestId || !userId || !ts || !sig) return { ok: false, reason: 'missing X-Fal-Webhook-* headers' };
  const tsError = timestampOk(ts, nowMs, toleranceS);
  if (tsError) return { ok: false, reason: tsError };
  if (!/^[0-9a-f]+$/i.test(sig)) return { ok: false, reason: 'malformed signature' };
  const message = falSignedMessage(requestId, userId, ts.trim(), req.rawBody);
  const signature = Buffer.from(sig, 'hex');
  for (const key of keys) {
    try {
      if (cryptoVerify(null, message, key, signature)) return { ok: true, id: requestId };
    } catch {
      /* wrong key type or length: try the next key */
    }
  }
  return { ok: false, reason: keys.length ? 'signature does not verify with any published key' : 'no Ed25519 keys in JWKS' };
}

export async function verifyFalWebhook(
  req: CallbackRequest,
  jwksUrl: string | undefined,
  nowMs: number,
  cache: JwksCache,
): Promise<SignatureCheck> {
  if (!jwksUrl) return { ok: false, reason: 'no JWKS URL configured' };
  try {
    const first = verifyFalSignature(req, await cache.keys(jwksUrl, nowMs), nowMs);
    if (first.ok || !first.reason.startsWith('signature does not verify')) return first;
    // The signer may have rotated keys since we cached them.
    return verifyFalSignature(req, await cache.keys(jwksUrl, nowMs, true), nowMs);
  } catch (err) {
    return { ok: false, reason: `JWKS unavailable: ${(err as Error).message}` };
  }
}

/** Parse a callback body as JSON, or undefined. */
export function callbackJson(rawBody: Buffer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(rawBody.toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
