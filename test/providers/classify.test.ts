import { describe, expect, it } from 'vitest';
import {
  buildUrl,
  classifyHttpFailure,
  classifyTransportError,
  envelopeStatus,
  errorInfo,
  failureToStatus,
  failureToSubmit,
  sendWire,
} from '../../src/providers/http.ts';
import { TransportError } from '../../src/providers/transport.ts';
import { closedPort, envFor, fakeServer, json } from './helpers.ts';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

describe('classifyHttpFailure (status × headers × body)', () => {
  const table: Array<[string, number, Record<string, string>, unknown, Record<string, unknown>]> = [
    [
      'openai 400 validation',
      400,
      {},
      { error: { message: 'Invalid seconds', type: 'invalid_request_error', param: 'seconds', code: null } },
      { kind: 'rejected', code: 'invalid_request_error', httpStatus: 400 },
    ],
    [
      'openai content policy',
      400,
      {},
      { error: { message: 'blocked', type: 'invalid_request_error', code: 'moderation_blocked' } },
      { kind: 'rejected', code: 'moderation_blocked' },
    ],
    [
      '401 bad key',
      401,
      {},
      { error: { message: 'Incorrect API key', type: 'invalid_request_error' } },
      { kind: 'rejected', code: 'unauthorized' },
    ],
    [
      'openai 429 rate limit with retry-after-ms',
      429,
      { 'retry-after-ms': '1200', 'retry-after': '2' },
      { error: { message: 'Rate limit', type: 'requests', code: 'rate_limit_exceeded' } },
      { kind: 'throttled', retryAfterMs: 1200 },
    ],
    [
      'openai 429 insufficient_quota → stop',
      429,
      { 'retry-after': '1' },
      { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } },
      { kind: 'quota_exhausted' },
    ],
    [
      'sorapi 429 Retry-After seconds',
      429,
      { 'retry-after': '7' },
      { detail: 'Too many requests' },
      { kind: 'throttled', retryAfterMs: 7000 },
    ],
    [
      '429 Retry-After HTTP date',
      429,
      { 'retry-after': new Date(NOW + 90_000).toUTCString() },
      '',
      { kind: 'throttled', retryAfterMs: 90_000 },
    ],
    [
      'replicate 429 body hint',
      429,
      {},
      { title: 'Request was throttled', detail: 'Request was throttled. Your rate limit resets in ~30s.', status: 429 },
      { kind: 'throttled', retryAfterMs: 30_000 },
    ],
    [
      '429 without any hint → default',
      429,
      {},
      { code: 429, error: { message: 'rate limited', type: 'rate_limited' } },
      { kind: 'throttled', retryAfterMs: 5000 },
    ],
    [
      'apidot 402 insufficient_credits',
      402,
      {},
      { code: 402, error: { message: 'Insufficient credits', type: 'insufficient_credits' } },
      { kind: 'quota_exhausted' },
    ],
    ['402 plain', 402, {}, 'Payment Required', { kind: 'quota_exhausted' }],
    ['403 with credits code', 403, {}, { code: 'insufficient_credits', message: 'top up' }, { kind: 'quota_exhausted' }],
    [
      'sorapi 422 validation',
      422,
      {},
      { detail: [{ loc: ['body', 'prompt'], msg: 'too long', type: 'value_error' }] },
      { kind: 'rejected', code: 'value_error', httpStatus: 422 },
    ],
    ['503 maintenance', 503, {}, { message: 'maintenance' }, { kind: 'transient', httpStatus: 503 }],
    ['503 with Retry-After keeps the hint', 503, { 'retry-after': '30' }, '', { kind: 'transient', httpStatus: 503, retryAfterMs: 30_000 }],
    ['500', 500, {}, 'oops', { kind: 'transient', httpStatus: 500 }],
    ['408', 408, {}, '', { kind: 'transient', httpStatus: 408 }],
    ['404', 404, {}, { error: { message: 'No such video' } }, { kind: 'not_found' }],
  ];
  it.each(table)('%s', (_name, status, headers, body, expected) => {
    expect(classifyHttpFailure(status, headers, body, NOW)).toMatchObject(expected);
  });

  it('a 404 on a create is a rejection, on a GET not_found', () => {
    const f = classifyHttpFailure(404, {}, { error: { message: 'model not found' } }, NOW);
    expect(failureToSubmit(f)).toMatchObject({ kind: 'rejected', code: 'not_found' });
    expect(failureToStatus(f)).toMatchObject({ kind: 'not_found' });
  });

  it('a GET refused with 4xx is a failed call, not a task failure', () => {
    expect(failureToStatus(classifyHttpFailure(401, {}, {}, NOW))).toMatchObject({ kind: 'transient', httpStatus: 401 });
  });
});

describe('envelopeStatus (APIDot/APIXO decide on body.code)', () => {
  it.each([
    [200, { code: 200, data: {} }, 200],
    [200, { code: 400, error: { message: 'bad' } }, 400],
    [200, { code: 429 }, 429],
    [200, { code: '402' }, 402],
    [500, { code: 200 }, 500],
    [200, { data: {} }, 200],
    [200, { code: 'ok' }, 200],
  ] as Array<[number, unknown, number]>)('HTTP %i %j → %i', (http, body, want) => {
    expect(envelopeStatus(http, body)).toBe(want);
  });
});

describe('errorInfo', () => {
  it('reads every provider error shape', () => {
    expect(errorInfo({ error: { message: 'm', type: 't' } }, 'x')).toEqual({ code: 't', message: 'm' });
    expect(errorInfo({ detail: [{ loc: ['body', 'duration'], msg: 'bad', type: 'enum' }] }, 'x')).toEqual({
      code: 'enum',
      message: 'body.duration: bad',
    });
    expect(errorInfo({ failCode: 'CONTENT_VIOLATION', failMsg: 'nope' }, 'x')).toEqual({ code: 'CONTENT_VIOLATION', message: 'nope' });
    expect(errorInfo('text body', 'x')).toEqual({ code: 'x', message: 'text body' });
  });
});

describe('classifyTransportError (error × operation)', () => {
  const socketClosedAfterSend = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('other side closed'), {
      name: 'SocketError',
      code: 'UND_ERR_SOCKET',
      socket: { bytesWritten: 238, bytesRead: 0 },
    }),
  });
  const socketClosedBeforeSend = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('other side closed'), {
      name: 'SocketError',
      code: 'UND_ERR_SOCKET',
      socket: { bytesWritten: 0, bytesRead: 0 },
    }),
  });
  const refused = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
  });
  const aggregateRefused = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1'), { code: 'ECONNREFUSED' })], ''), {
      code: 'ECONNREFUSED',
    }),
  });
  const dns = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }),
  });
  const connectTimeout = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
  });
  const headersTimeout = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
  });
  const reset = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
  });
  const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  const sentNot = new TransportError(socketClosedBeforeSend, { requestSent: false, responseStarted: false });
  const sentAll = new TransportError(socketClosedAfterSend, { requestSent: true, responseStarted: false });
  const headersTimeoutSent = new TransportError(headersTimeout, { requestSent: true, responseStarted: false });

  const table: Array<[string, unknown, 'create' | 'get', boolean, 'transient' | 'ambiguous']> = [
    ['socket closed after the body was sent, create', socketClosedAfterSend, 'create', false, 'ambiguous'],
    ['socket closed after send, GET', socketClosedAfterSend, 'get', false, 'transient'],
    // A socket's byte count in a cause chain is no longer trusted (it depends on the bundled undici):
    // without our transport's own record of the request, a closed socket on a create is ambiguous.
    ['socket closed, no transport record, create', socketClosedBeforeSend, 'create', false, 'ambiguous'],
    ['transport: reset before the request was fully sent, create', sentNot, 'create', false, 'transient'],
    ['transport: reset after the request was sent, create', sentAll, 'create', false, 'ambiguous'],
    ['transport: headers timeout (request sent), create', headersTimeoutSent, 'create', false, 'ambiguous'],
    ['ECONNREFUSED, create', refused, 'create', false, 'transient'],
    ['ECONNREFUSED aggregate, create', aggregateRefused, 'create', false, 'transient'],
    ['DNS failure, create', dns, 'create', false, 'transient'],
    ['connect timeout, create', connectTimeout, 'create', false, 'transient'],
    ['headers timeout after send, create', headersTimeout, 'create', false, 'ambiguous'],
    ['reset without socket facts, create', reset, 'create', false, 'ambiguous'],
    ['our own timeout, create', timeout, 'create', false, 'ambiguous'],
    ['our own timeout, GET', timeout, 'get', false, 'transient'],
    ['aborted before fetch was called, create', timeout, 'create', true, 'transient'],
  ];
  it.each(table)('%s', (_name, err, op, notSent, kind) => {
    const got = classifyTransportError(err, op, notSent);
    expect(got.kind).toBe(kind);
    expect(got.message.length).toBeGreaterThan(0);
  });
});

describe('sendWire over real sockets', () => {
  it('classifies a connection destroyed after the create was received as ambiguous', async () => {
    const srv = await fakeServer((req) => req.socket.destroy());
    try {
      const r = await sendWire(envFor(srv.url), { method: 'POST', path: '/x', json: { a: 1 } }, { headers: {} });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(classifyTransportError(r.error, 'create', r.notSent).kind).toBe('ambiguous');
        expect(classifyTransportError(r.error, 'get', r.notSent).kind).toBe('transient');
      }
      expect(srv.requests).toHaveLength(1);
    } finally {
      await srv.close();
    }
  });

  it('classifies connection refused as transient even for a create', async () => {
    const port = await closedPort();
    const r = await sendWire(envFor(`http://127.0.0.1:${port}`), { method: 'POST', path: '/x', json: {} }, { headers: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(classifyTransportError(r.error, 'create', r.notSent).kind).toBe('transient');
  });

  it('times out a create whose answer never comes as ambiguous', async () => {
    const srv = await fakeServer(() => {
      /* never answer */
    });
    try {
      const r = await sendWire(envFor(srv.url), { method: 'POST', path: '/x', json: {} }, { headers: {}, timeoutMs: 150 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(classifyTransportError(r.error, 'create', r.notSent).kind).toBe('ambiguous');
    } finally {
      await srv.close();
    }
  });

  it('does not send when the signal is already aborted', async () => {
    const srv = await fakeServer((_req, _b, res) => json(res, 200, {}));
    try {
      const ac = new AbortController();
      ac.abort();
      const r = await sendWire(envFor(srv.url, { signal: ac.signal }), { method: 'POST', path: '/x', json: {} }, { headers: {} });
      expect(r).toMatchObject({ ok: false, notSent: true });
      expect(srv.requests).toHaveLength(0);
    } finally {
      await srv.close();
    }
  });

  it('sends JSON with auth and query, and parses JSON answers with lower-cased headers', async () => {
    const srv = await fakeServer((_req, _b, res) => json(res, 201, { ok: true }, { 'X-Thing': 'v' }));
    try {
      const r = await sendWire(
        envFor(`${srv.url}/base/`),
        { method: 'POST', path: '/p', query: { a: 'b c' }, json: { n: 1 } },
        { headers: { authorization: 'Bearer k' } },
      );
      expect(r).toMatchObject({ ok: true, res: { status: 201, body: { ok: true }, headers: { 'x-thing': 'v' } } });
      const req = srv.requests[0]!;
      expect(req.url).toBe('/base/p?a=b+c');
      expect(req.headers.authorization).toBe('Bearer k');
      expect(req.headers['content-type']).toBe('application/json');
      expect(JSON.parse(req.body.toString())).toEqual({ n: 1 });
    } finally {
      await srv.close();
    }
  });

  it('buildUrl keeps absolute URLs', () => {
    expect(buildUrl('http://a/v1', 'http://b/q/status', { x: '1' })).toBe('http://b/q/status?x=1');
    expect(buildUrl('http://a/v1/', 'videos')).toBe('http://a/v1/videos');
  });
});
