/** The OpenAI adapter's SDK error mapping against exact wire answers from a tiny local server. */
import { describe, expect, it } from 'vitest';
import { openai } from '../../src/providers/openai.ts';
import { closedPort, envFor, fakeServer, json, makeJob } from './helpers.ts';

const job = makeJob({ provider: 'openai', wireModel: 'sora-2', seconds: 4 });
const video = (over: Record<string, unknown> = {}) => ({
  id: 'video_1',
  object: 'video',
  model: 'sora-2',
  status: 'queued',
  progress: 0,
  created_at: 1_800_000_000,
  completed_at: null,
  expires_at: null,
  prompt: job.prompt,
  size: '1280x720',
  seconds: '4',
  remixed_from_video_id: null,
  error: null,
  ...over,
});

async function withServer<T>(handler: Parameters<typeof fakeServer>[0], fn: (url: string, count: () => number) => Promise<T>): Promise<T> {
  const srv = await fakeServer(handler);
  try {
    return await fn(`${srv.url}/v1`, () => srv.requests.length);
  } finally {
    await srv.close();
  }
}

describe('openai adapter over the SDK', () => {
  it('accepted, with the poll hint, and the SDK sends exactly one request', async () => {
    await withServer(
      (_req, _b, res) => json(res, 200, video(), { 'openai-poll-after-ms': '1500' }),
      async (url, count) => {
        expect(await openai.submit(envFor(url), job, { idempotencyKey: 'k' })).toEqual({
          kind: 'accepted',
          task: { id: 'video_1' },
          pollAfterMs: 1500,
        });
        expect(count()).toBe(1);
      },
    );
  });

  it.each([
    [
      '429 rate limit → throttled (retry-after-ms)',
      429,
      { 'retry-after-ms': '2500', 'retry-after': '3' },
      { error: { message: 'slow', type: 'requests', code: 'rate_limit_exceeded', param: null } },
      { kind: 'throttled', retryAfterMs: 2500 },
    ],
    [
      '429 insufficient_quota → quota_exhausted',
      429,
      {},
      { error: { message: 'quota', type: 'insufficient_quota', code: 'insufficient_quota', param: null } },
      { kind: 'quota_exhausted' },
    ],
    [
      '400 → rejected',
      400,
      {},
      { error: { message: 'bad size', type: 'invalid_request_error', code: null, param: 'size' } },
      { kind: 'rejected', code: 'invalid_request_error', httpStatus: 400 },
    ],
    [
      '401 → rejected unauthorized',
      401,
      {},
      { error: { message: 'bad key', type: 'invalid_request_error', code: 'invalid_api_key', param: null } },
      { kind: 'rejected', code: 'unauthorized' },
    ],
    [
      '503 → transient, not retried by the SDK',
      503,
      { 'retry-after': '1' },
      { error: { message: 'overloaded', type: 'server_error', code: null, param: null } },
      { kind: 'transient', httpStatus: 503, retryAfterMs: 1000 },
    ],
  ])('%s', async (_n, status, headers, body, want) => {
    await withServer(
      (_req, _b, res) => json(res, status, body, headers),
      async (url, count) => {
        expect(await openai.submit(envFor(url), job, { idempotencyKey: 'k' })).toMatchObject(want);
        expect(count()).toBe(1);
      },
    );
  });

  it('connection dropped after the create was received → ambiguous; the same on retrieve → transient', async () => {
    await withServer(
      (req) => req.socket.destroy(),
      async (url, count) => {
        expect((await openai.submit(envFor(url), job, { idempotencyKey: 'k' })).kind).toBe('ambiguous');
        expect(count()).toBe(1);
        expect((await openai.status(envFor(url), { id: 'video_1' }, job)).kind).toBe('transient');
      },
    );
  });

  it('connection refused → transient', async () => {
    const port = await closedPort();
    expect((await openai.submit(envFor(`http://127.0.0.1:${port}/v1`), job, { idempotencyKey: 'k' })).kind).toBe('transient');
  });

  it('status carries progress and the poll hint; content endpoint has auth', async () => {
    await withServer(
      (_req, _b, res) => json(res, 200, video({ status: 'in_progress', progress: 55 }), { 'openai-poll-after-ms': '800' }),
      async (url) => {
        expect(await openai.status(envFor(url), { id: 'video_1' }, job)).toEqual({ kind: 'running', progress: 55, pollAfterMs: 800 });
        expect(openai.contentRequest(envFor(url), { id: 'video_1' }, [])).toEqual({
          url: `${url}/videos/video_1/content?variant=video`,
          headers: { authorization: 'Bearer test-key' },
        });
      },
    );
  });

  it('reconcile pages through the list until videos are older than the send time', async () => {
    const sentAt = 1_800_000_000_000;
    const pages: Record<string, unknown> = {
      first: {
        object: 'list',
        data: [
          video({ id: 'video_new', created_at: 1_800_000_100, prompt: 'other' }),
          video({ id: 'video_mine', created_at: 1_800_000_010 }),
        ],
        has_more: true,
        last_id: 'video_mine',
        first_id: 'video_new',
      },
      second: {
        object: 'list',
        data: [video({ id: 'video_old', created_at: 1_799_990_000 })],
        has_more: true,
        last_id: 'video_old',
        first_id: 'video_old',
      },
    };
    await withServer(
      (req, _b, res) => json(res, 200, req.url?.includes('after=video_mine') ? pages.second : pages.first),
      async (url, count) => {
        expect(await openai.reconcile!(envFor(url), job, sentAt)).toEqual({ kind: 'found', task: { id: 'video_mine' } });
        expect(count()).toBe(2); // stopped at the old page, did not follow has_more further
      },
    );
  });

  it('reconcile reports unknown when the list fails', async () => {
    await withServer(
      (_req, _b, res) => json(res, 500, { error: { message: 'down', type: 'server_error', code: null, param: null } }),
      async (url) => {
        expect((await openai.reconcile!(envFor(url), job, Date.now())).kind).toBe('unknown');
      },
    );
  });
});
