/**
 * The provider's fetch, wrapped so the limiter sees throttles at the wire: a 429's Retry-After
 * pauses the provider the instant the response arrives (not after the adapter has parsed it), and
 * no request to the provider's API host leaves while a pause is in force. Downloads from other
 * hosts (CDN result URLs) pass straight through.
 */
import { currentCreate, reachesOnSocket } from '../providers/create-scope.ts';
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
  const resetMs = goDurationMs(headers.get('x-ratelimit-reset-requests'));
  return resetMs === undefined ? { limitPerMin, remaining } : { limitPerMin, remaining, resetMs };
}

/** OpenAI writes reset times as Go durations (`20ms`, `1.2s`, `6m0s`). */
export function goDurationMs(v: string | null): number | undefined {
  const t = v?.trim();
  if (!t || !/^(\d+(\.\d+)?(h|m|s|ms))+$/.test(t)) return undefined;
  let ms = 0;
  for (const [, n, u] of t.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    ms += Number(n) * (u === 'ms' ? 1 : u === 's' ? 1000 : u === 'm' ? 60_000 : 3_600_000);
  }
  return ms;
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
    const create = scope === 'submit' ? currentCreate() : undefined;
    await limiter.waitPause(scope, init?.signal ?? undefined);
    // A create takes its submit turn here, at the wire: whatever the run wrote or awaited before it
    // (intent, reservation, image preparation) cannot bunch the arrivals the pacer spaced.
    if (create && !(await create.turn())) throw abortError(init?.signal);
    limiter.sending(scope);
    let res: Response;
    try {
      // A fetch without our transport's socket hook: the create counts as reached before it is handed over.
      if (create && !reachesOnSocket(inner)) await create.reach();
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

function abortError(signal: AbortSignal | null | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  return new DOMException('This operation was aborted', 'AbortError');
}
