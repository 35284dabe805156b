/**
 * The provider's fetch, wrapped so the limiter sees throttles at the wire: a 429's Retry-After
 * pauses the provider the instant the response arrives (not after the adapter has parsed it), and
 * no request to the provider's API host leaves while a pause is in force. Downloads from other
 * hosts (CDN result URLs) pass straight through.
 */
import { retryAfterFromHeaders } from '../providers/retry-after.ts';
import type { ProviderLimiter, RateReport } from './limiter.ts';

function urlOf(input: string | URL | Request): URL | undefined {
  try {
    return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  } catch {
    return undefined;
  }
}

/**
 * The server's own account of a limit: OpenAI's `x-ratelimit-limit-requests` (per minute) and
 * `x-ratelimit-remaining-requests`. (Other providers' windows are not documented: not guessed at.)
 */
export function rateReport(headers: Headers): RateReport | undefined {
  const num = (name: string): number | undefined => {
    const v = headers.get(name)?.trim();
    return v && /^\d+(\.\d+)?$/.test(v) ? Number(v) : undefined;
  };
  const limitPerMin = num('x-ratelimit-limit-requests');
  const remaining = num('x-ratelimit-remaining-requests');
  if (limitPerMin === undefined && remaining === undefined) return undefined;
  return { limitPerMin, remaining };
}

export function gatedFetch(inner: typeof fetch, limiter: ProviderLimiter, baseUrl: string, now: () => number): typeof fetch {
  let apiOrigin: string | undefined;
  try {
    apiOrigin = new URL(baseUrl).origin;
  } catch {
    apiOrigin = undefined;
  }
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = urlOf(input);
    if (!url || url.origin !== apiOrigin) return inner(input, init);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const scope = method === 'POST' ? 'submit' : 'poll';
    await limiter.waitPause(scope, init?.signal ?? undefined);
    limiter.sending(scope);
    let res: Response;
    try {
      res = await inner(input, init);
    } finally {
      limiter.answered(scope);
    }
    // Headers only: the body belongs to the adapter, which also reads body hints ("resets in ~30s").
    if (res.status === 429) {
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => (headers[name] = value));
      const wait = retryAfterFromHeaders(headers, now());
      if (wait && wait.ms > 0) limiter.pause(scope, wait.ms);
    }
    limiter.observe(scope, res.status, rateReport(res.headers));
    return res;
  }) as typeof fetch;
}
