import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_MS, parseRetryAfter, retryAfterFromText, retryAfterMs } from '../../src/providers/retry-after.ts';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

describe('parseRetryAfter', () => {
  const cases: Array<[string, Record<string, string>, unknown, number | undefined, string | undefined]> = [
    ['retry-after-ms wins', { 'retry-after-ms': '1500', 'retry-after': '9' }, undefined, 1500, 'retry-after-ms'],
    ['fractional ms rounds up', { 'retry-after-ms': '12.2' }, undefined, 13, 'retry-after-ms'],
    ['retry-after seconds', { 'retry-after': '8' }, undefined, 8000, 'retry-after'],
    ['retry-after fractional seconds', { 'retry-after': '0.5' }, undefined, 500, 'retry-after'],
    ['retry-after HTTP date', { 'retry-after': new Date(NOW + 42_000).toUTCString() }, undefined, 42_000, 'retry-after-date'],
    ['retry-after date in the past → 0', { 'retry-after': new Date(NOW - 5_000).toUTCString() }, undefined, 0, 'retry-after-date'],
    ['header names are case-insensitive', { 'Retry-After': '3' }, undefined, 3000, 'retry-after'],
    [
      'garbage header ignored, body used',
      { 'retry-after': 'soon' },
      { detail: 'Request was throttled. Your rate limit resets in ~30s.' },
      30_000,
      'body',
    ],
    [
      'replicate body hint',
      {},
      { detail: 'Request was throttled. Your rate limit for creating predictions is reduced; resets in ~30s.' },
      30_000,
      'body',
    ],
    ['body retry_after seconds', {}, { error: { message: 'slow down', retry_after: 8 } }, 8000, 'body'],
    ['body retry_after_ms', {}, { retry_after_ms: 250 }, 250, 'body'],
    ['text: try again in 20 seconds', {}, 'Rate limit reached. Please try again in 20 seconds.', 20_000, 'body'],
    ['text: retry after 2 min', {}, { message: 'retry after 2 min' }, 120_000, 'body'],
    ['nothing', {}, { error: { message: 'Too many requests' } }, undefined, undefined],
  ];
  it.each(cases)('%s', (_name, headers, body, ms, source) => {
    const got = parseRetryAfter(headers, body, NOW);
    expect(got?.ms).toBe(ms);
    expect(got?.source).toBe(source);
  });

  it('falls back to the default when nothing is said', () => {
    expect(retryAfterMs({}, undefined, NOW)).toBe(DEFAULT_RETRY_AFTER_MS);
    expect(retryAfterMs({}, undefined, NOW, 1234)).toBe(1234);
  });

  it('reads ms units in text hints', () => {
    expect(retryAfterFromText('resets in 750ms')).toBe(750);
    expect(retryAfterFromText('no hint here')).toBeUndefined();
  });
});
