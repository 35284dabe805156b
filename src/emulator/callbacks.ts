/**
 * Signed callback delivery. Signatures follow each provider's documented scheme:
 * Standard Webhooks (OpenAI, Replicate), hex HMAC-SHA256 `X-Signature` (SorAPI), ED25519 with a
 * JWKS (fal); APIDot and APIXO are unsigned.
 */
import { createHash, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Clock } from '../clock.ts';
import type { ProviderName } from '../providers/types.ts';

/** Test defaults; real secrets come from `EmulatorOptions.webhookSecrets`. */
export const DEFAULT_WEBHOOK_SECRETS: Record<'openai' | 'replicate' | 'sorapi', string> = {
  openai: `whsec_${Buffer.from('shotlist-emulator-openai-webhook-secret').toString('base64')}`,
  replicate: `whsec_${Buffer.from('shotlist-emulator-replicate-webhook-secret').toString('base64')}`,
  sorapi: 'shotlist-emulator-sorapi-signing-secret',
};

/** Standard Webhooks `v1,<base64>`, signed by the `standardwebhooks` package (key: base64 after `whsec_`). */
export function standardWebhookSignature(secret: string, id: string, timestampS: number, body: string): string {
  return new Webhook(secret).sign(id, new Date(timestampS * 1000), body);
}

export function hexHmacSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export interface FalSigner {
  privateKey: KeyObject;
  /** JWKS document as fal serves it. */
  jwks: { keys: Array<Record<string, unknown>> };
}

export function createFalSigner(): FalSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  return { privateKey, jwks: { keys: [{ ...jwk, kid: 'emulator-1', use: 'sig', alg: 'EdDSA' }] } };
}

/** Hex ED25519 signature over `request_id\nuser_id\ntimestamp\nsha256hex(body)`. */
export function falSignature(signer: FalSigner, requestId: string, userId: string, timestampS: number, body: string): string {
  const digest = createHash('sha256').update(body).digest('hex');
  const msg = Buffer.from(`${requestId}\n${userId}\n${timestampS}\n${digest}`);
  return sign(null, msg, signer.privateKey).toString('hex');
}

/**
 * Retry schedules a provider documents (delay before each retry). SorAPI: "retried up to 6 times over
 * 24 h" (seed 001); the individual delays are not published, so these grow geometrically and end
 * inside the 24 h. Providers not listed use the sender's default short backoff.
 */
export const CALLBACK_RETRY_DELAYS_MS: Partial<Record<ProviderName, readonly number[]>> = {
  sorapi: [60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 55_440_000],
};

export interface Delivery {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface CallbackSenderOptions {
  clock: Clock;
  signal: AbortSignal;
  duplicates: number;
  /** Attempts per delivery (first try included); retries back off on the emulator clock. */
  attempts?: number;
  onDelivered?: (provider: ProviderName, d: Delivery, status: number | 'error') => void;
}

/** Sends deliveries in the given order; each one retried on failure. Never throws. */
export class CallbackSender {
  readonly log: Array<{ provider: ProviderName; url: string; status: number | 'error' }> = [];
  private inflight = new Set<Promise<void>>();

  constructor(private readonly o: CallbackSenderOptions) {}

  send(provider: ProviderName, deliveries: Delivery[]): void {
    const copies: Delivery[] = [];
    for (const d of deliveries) {
      copies.push(d);
      for (let i = 0; i < this.o.duplicates; i++) copies.push(d);
    }
    const p = (async () => {
      for (const d of copies) await this.deliver(provider, d);
    })();
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async deliver(provider: ProviderName, d: Delivery): Promise<void> {
    const schedule = CALLBACK_RETRY_DELAYS_MS[provider];
    const attempts = schedule ? schedule.length + 1 : (this.o.attempts ?? 3);
    for (let i = 0; i < attempts && !this.o.signal.aborted; i++) {
      let status: number | 'error' = 'error';
      try {
        const r = await fetch(d.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': `shotlist-emulator/${provider}`, ...d.headers },
          body: d.body,
          signal: AbortSignal.any([this.o.signal, AbortSignal.timeout(10_000)]),
        });
        status = r.status;
        await r.arrayBuffer().catch(() => undefined);
      } catch {
        status = 'error';
      }
      this.log.push({ provider, url: d.url, status });
      this.o.onDelivered?.(provider, d, status);
      if (typeof status === 'number' && status < 300) return;
      if (i + 1 < attempts && !(await this.backoff(schedule ? schedule[i]! : 500 * 2 ** i))) return;
    }
  }

  /** Sleep on the emulator clock; false when stopped meanwhile (a fake clock ignores abort signals, so race it). */
  private backoff(ms: number): Promise<boolean> {
    const signal = this.o.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
      this.o.clock.sleep(ms, signal).then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve(!signal.aborted);
        },
        () => resolve(false),
      );
    });
  }

  /** Wait for deliveries in flight (bounded), e.g. before stopping. */
  async drain(timeoutMs = 2000): Promise<void> {
    const all = Promise.allSettled(this.inflight);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
