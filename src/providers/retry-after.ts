/**
 * How long a provider asked us to wait. Providers say it in different places: OpenAI sends
 * `retry-after-ms` and `retry-after`, SorAPI `Retry-After` in seconds (RFC 9110 also allows an
 * HTTP date), Replicate only in the 429 body ("…resets in ~30s."). Pure: the caller passes `nowMs`.
 */

export type RetryAfterSource = 'retry-after-ms' | 'retry-after' | 'retry-after-date' | 'body';

export interface RetryAfter {
  ms: number;
  source: RetryAfterSource;
}

/** Used when a throttle carries no hint at all. */
export const DEFAULT_RETRY_AFTER_MS = 5_000;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

function header(headers: Record<string, string>, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  if (v !== undefined) return v;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** `retry-after-ms`, then `retry-after` (delta seconds or HTTP date). */
export function retryAfterFromHeaders(headers: Record<string, string>, nowMs: number): RetryAfter | undefined {
  const ms = header(headers, 'retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return { ms: Math.ceil(Number(ms)), source: 'retry-after-ms' };
  const ra = header(headers, 'retry-after')?.trim();
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return { ms: Math.ceil(Number(ra) * 1000), source: 'retry-after' };
  const at = Date.parse(ra);
  if (Number.isFinite(at)) return { ms: Math.max(0, at - nowMs), source: 'retry-after-date' };
  return undefined;
}

const TEXT_HINTS = [
  /resets?\s+in\s+~?\s*(\d+(?:\.\d+)?)\s*(ms|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b/i,
  /(?:retry|try again)\s+(?:after|in)\s+~?\s*(\d+(?:\.\d+)?)\s*(ms|s|secs?|seconds?|m|mins?|minutes?|h|hours?)\b/i,
];

/** A wait stated in a text, e.g. Replicate's "Request was throttled. … resets in ~30s.". */
export function retryAfterFromText(text: string): number | undefined {
  for (const re of TEXT_HINTS) {
    const m = re.exec(text);
    if (m?.[1] && m[2]) {
      const unit = UNIT_MS[m[2].toLowerCase()];
      if (unit) return Math.ceil(Number(m[1]) * unit);
    }
  }
  return undefined;
}

/** A wait in a JSON body: `retry_after` (s), `retry_after_ms`, `retryAfter` (s), nested under `error`, or in a message. */
export function retryAfterFromBody(body: unknown): number | undefined {
  if (typeof body === 'string') return retryAfterFromText(body);
  if (!body || typeof body !== 'object') return undefined;
  const o = body as Record<string, unknown>;
  const num = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : undefined;
  const ms = num(o.retry_after_ms);
  if (ms !== undefined) return Math.ceil(ms);
  const s = num(o.retry_after) ?? num(o.retryAfter);
  if (s !== undefined) return Math.ceil(s * 1000);
  for (const key of ['error', 'detail', 'message', 'msg']) {
    const nested = o[key];
    if (nested !== undefined && nested !== body) {
      const found = retryAfterFromBody(nested);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Headers win over the body (they are the machine-readable contract); undefined when nothing was said. */
export function parseRetryAfter(headers: Record<string, string>, body: unknown, nowMs: number): RetryAfter | undefined {
  const fromHeaders = retryAfterFromHeaders(headers, nowMs);
  if (fromHeaders) return fromHeaders;
  const fromBody = retryAfterFromBody(body);
  return fromBody === undefined ? undefined : { ms: fromBody, source: 'body' };
}

export function retryAfterMs(headers: Record<string, string>, body: unknown, nowMs: number, defaultMs = DEFAULT_RETRY_AFTER_MS): number {
  return parseRetryAfter(headers, body, nowMs)?.ms ?? defaultMs;
}
