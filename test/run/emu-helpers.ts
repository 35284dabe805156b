/** Helpers for executor tests against the real emulator with the real adapters. */
import { fitImage } from '../../src/media/image.ts';
import { tmpdir } from 'node:os';
import type { Job } from '../../src/plan/types.ts';
import { getProvider } from '../../src/providers/index.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import type { ProviderBinding } from '../../src/run/index.ts';
import type { ProviderLimits } from '../../src/catalog/types.ts';
import { makeJob } from './helpers.ts';

/** Each provider's wire id for Sora 2 (what the catalog resolves `sora-2` to). */
export const WIRE: Record<ProviderName, string> = {
  openai: 'sora-2',
  apidot: 'sora-2-official',
  sorapi: 'sora-2-latest',
  apixo: 'sora-2',
  fal: 'fal-ai/sora-2/text-to-video',
  replicate: 'openai/sora-2',
};

const ID_PREFIX: Record<ProviderName, string> = { openai: 'ope', apidot: 'apd', sorapi: 'sor', apixo: 'apx', fal: 'fal', replicate: 'rep' };

/** A 4 s 720p 16:9 job every provider accepts, with a distinct prompt. */
export function emuJob(provider: ProviderName, i: number, over: Partial<Job> = {}): Job {
  return makeJob(i, {
    // Distinct per provider (apidot and apixo share their first three letters: one id for two jobs
    // made tests that run both depend on which of the two the checkpoint record ended up with).
    id: `${ID_PREFIX[provider]}${String(i).padStart(5, '0')}`,
    provider,
    wireModel: WIRE[provider],
    prompt: `${provider} test shot ${i}: a red ball bouncing`,
    seconds: 4,
    size: { width: 1280, height: 720 },
    cost: { usd: 0.4, credits: null },
    ...over,
  });
}

export interface LoggedRequest {
  url: string;
  method: string;
  sentAt: number;
  doneAt?: number;
  status?: number;
  retryAfterMs?: number;
  error?: string;
  /** Request body when it was a string (JSON creates). */
  body?: string;
}

/** Wraps fetch and records when each request was sent and what came back (client-side truth). */
export function recordingFetch(log: LoggedRequest[]): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const entry: LoggedRequest = { url, method, sentAt: performance.now(), body: typeof init?.body === 'string' ? init.body : undefined };
    log.push(entry);
    try {
      const res = await fetch(input, init);
      entry.doneAt = performance.now();
      entry.status = res.status;
      const ms = Number(res.headers.get('retry-after-ms'));
      const s = Number(res.headers.get('retry-after'));
      if (ms > 0) entry.retryAfterMs = ms;
      else if (s > 0) entry.retryAfterMs = s * 1000;
      return res;
    } catch (e) {
      entry.doneAt = performance.now();
      entry.error = (e as Error).message;
      throw e;
    }
  }) as typeof fetch;
}

export function emuBinding(
  name: ProviderName,
  baseUrl: string,
  fetchImpl: typeof fetch,
  limits: Partial<ProviderLimits> = {},
  renderSeconds = 0.3,
): ProviderBinding {
  const provider = getProvider(name);
  if (!provider) throw new Error(`no adapter for ${name}`);
  return {
    provider,
    env: { baseUrl, apiKey: 'test-key', fetch: fetchImpl, now: () => Date.now(), workDir: tmpdir(), fitImage },
    limits: { submit_per_min: 6000, submit_burst: 20, polls_per_min: 6000, max_in_flight: 10, downloads: 4, ...limits },
    renderSeconds: () => renderSeconds,
    chargesFailures: false,
  };
}
