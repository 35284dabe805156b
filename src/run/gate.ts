/**
 * The provider's fetch, wrapped so the limiter sees throttles at the wire: a 429's Retry-After
 * pauses the provider the instant the response arrives (not after the adapter has parsed it), and
 * no request to the provider's API host leaves while a pause is in force. Downloads from other
 * hosts (CDN result URLs) pass straight through.
 */
import { retryAfterFromHeaders } from '../providers/retry-after.ts';
import type { ProviderLimiter } from './limiter.ts';

function urlOf(input: string | URL | Request): URL | undefined {
  try {
    return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  } catch {
    return undefined;
  }
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
    const res = await inner(input, init);
    if (res.status === 429) {
      // Headers only: the body belongs to the adapter, which also reads body hints ("resets in ~30s").
      const headers: Record<string, string> = {};
      res.headers.forEach((value, name) => (headers[name] = value));
      const wait = retryAfterFromHeaders(headers, now());
      if (wait && wait.ms > 0) limiter.pause(scope, wait.ms);
    }
    return res;
  }) as typeof fetch;
}
