import { describe, expect, it } from 'vitest';
import { apidotFiles, parseApidotStatus } from '../../src/providers/apidot.ts';
import { apixoResultUrls, parseApixoStatus } from '../../src/providers/apixo.ts';
import { interpretFalResult, parseFalQueueStatus } from '../../src/providers/fal.ts';
import { matchesJob, parseOpenAIVideo } from '../../src/providers/openai.ts';
import { parseReplicatePrediction } from '../../src/providers/replicate.ts';
import { parseSorapiStatus } from '../../src/providers/sorapi.ts';
import { makeJob } from './helpers.ts';

const NOW = Date.UTC(2026, 10, 21);
const CONTENT = 'http://x/v1/videos/video_1/content?variant=video';

describe('openai video → TaskStatus', () => {
  it.each([
    [{ status: 'queued', progress: 0 }, 500, { kind: 'queued', pollAfterMs: 500 }],
    [{ status: 'in_progress', progress: 42 }, 2000, { kind: 'running', progress: 42, pollAfterMs: 2000 }],
    [
      { status: 'completed', progress: 100, expires_at: 1_800_000_000, completed_at: 1_799_996_400 },
      undefined,
      { kind: 'succeeded', outputs: [CONTENT], expiresAt: 1_800_000_000_000 },
    ],
    [
      { status: 'completed', completed_at: 1_700_000_000, expires_at: null },
      undefined,
      { kind: 'succeeded', outputs: [CONTENT], expiresAt: 1_700_000_000_000 + 3_600_000 },
    ],
    [
      { status: 'failed', error: { code: 'moderation_blocked', message: 'blocked' } },
      undefined,
      { kind: 'failed', code: 'moderation_blocked', message: 'blocked', charged: false },
    ],
  ] as const)('%j', (video, poll, want) => {
    expect(parseOpenAIVideo(video as unknown as Record<string, unknown>, CONTENT, poll)).toEqual(want);
  });

  it('reconcile matching: prompt + model (or dated snapshot) + size + seconds, created after the cutoff', () => {
    const job = makeJob({ wireModel: 'sora-2', seconds: 8, size: { width: 1280, height: 720 } });
    const v = { id: 'video_1', created_at: NOW / 1000, model: 'sora-2', prompt: job.prompt, size: '1280x720', seconds: '8' };
    expect(matchesJob(v, job, NOW - 60_000)).toBe(true);
    expect(matchesJob({ ...v, model: 'sora-2-2025-10-06' }, job, NOW - 60_000)).toBe(true);
    expect(matchesJob({ ...v, model: 'sora-2-pro' }, job, NOW - 60_000)).toBe(false);
    expect(matchesJob({ ...v, prompt: 'other' }, job, NOW - 60_000)).toBe(false);
    expect(matchesJob({ ...v, size: '720x1280' }, job, NOW - 60_000)).toBe(false);
    expect(matchesJob({ ...v, seconds: '4' }, job, NOW - 60_000)).toBe(false);
    expect(matchesJob({ ...v, created_at: NOW / 1000 - 61 }, job, NOW - 60_000)).toBe(false);
  });
});

describe('apidot quirks', () => {
  it('files under data.files or data.output.files', () => {
    const f = [
      { file_url: 'https://f/1.mp4', file_type: 'video' },
      { file_url: 'https://f/1.jpg', file_type: 'image' },
    ];
    expect(apidotFiles({ files: f })).toEqual(['https://f/1.mp4']);
    expect(apidotFiles({ output: { files: f } })).toEqual(['https://f/1.mp4']);
    expect(apidotFiles({ output: { files: [{ file_url: 'https://f/2.mp4' }] } })).toEqual(['https://f/2.mp4']);
  });
  it.each([
    [{ status: 'not_started' }, { kind: 'queued' }],
    [
      { status: 'running', progress: 30 },
      { kind: 'running', progress: 30 },
    ],
    [
      { status: 'finished', output: { files: [{ file_url: 'https://f/a.mp4', file_type: 'video' }] } },
      { kind: 'succeeded', outputs: ['https://f/a.mp4'] },
    ],
    [
      { status: 'finished', files: [] },
      { kind: 'failed', code: 'no_output' },
    ],
    [
      { status: 'failed', error_message: 'content policy' },
      { kind: 'failed', code: 'task_failed', message: 'content policy', charged: false },
    ],
  ])('%j', (data, want) => {
    expect(parseApidotStatus(data)).toMatchObject(want);
  });
});

describe('sorapi quirks', () => {
  it.each([
    [{ status: 'queued' }, { kind: 'queued' }],
    [{ status: 'RUNNING' }, { kind: 'running' }],
    [
      { status: 'SUCCESS', response: ['https://s/1.mp4'] },
      { kind: 'succeeded', outputs: ['https://s/1.mp4'] },
    ],
    [
      { status: 'Succeeded', response: [{ format: 'mp4', url: 'https://s/2.mp4' }] },
      { kind: 'succeeded', outputs: ['https://s/2.mp4'] },
    ],
    [
      { status: 'FAILED', error_message: 'nsfw' },
      { kind: 'failed', message: 'nsfw', charged: true },
    ],
    [{ status: 'expired' }, { kind: 'failed', code: 'expired' }],
  ])('%j', (body, want) => {
    expect(parseSorapiStatus(body)).toMatchObject(want);
  });
});

describe('apixo quirks', () => {
  it('resultJson is a JSON string (an object is accepted too)', () => {
    expect(apixoResultUrls('{"resultUrls":["https://x/1.mp4"]}')).toEqual(['https://x/1.mp4']);
    expect(apixoResultUrls({ resultUrls: ['https://x/2.mp4'] })).toEqual(['https://x/2.mp4']);
    expect(apixoResultUrls('not json')).toEqual([]);
  });
  it.each([
    [{ state: 'pending' }, { kind: 'queued' }],
    [{ state: 'processing' }, { kind: 'running' }],
    [
      { state: 'success', resultJson: '{"resultUrls":["https://x/1.mp4"]}', completeTime: 1_000 },
      { kind: 'succeeded', outputs: ['https://x/1.mp4'], expiresAt: 1_000 + 86_400_000 },
    ],
    [
      { state: 'failed', failCode: 'CONTENT_VIOLATION', failMsg: 'no' },
      { kind: 'failed', code: 'CONTENT_VIOLATION', message: 'no', charged: false },
    ],
  ])('%j', (data, want) => {
    expect(parseApixoStatus(data)).toEqual(want);
  });
});

describe('fal quirks', () => {
  it('queue statuses', () => {
    expect(parseFalQueueStatus({ status: 'IN_QUEUE', queue_position: 3 })).toEqual({ kind: 'queued' });
    expect(parseFalQueueStatus({ status: 'IN_PROGRESS' })).toEqual({ kind: 'running' });
    expect(parseFalQueueStatus({ status: 'COMPLETED' })).toBe('completed');
    expect(parseFalQueueStatus({ status: 'COMPLETED', error: 'boom' })).toMatchObject({ kind: 'failed', charged: false });
  });
  it.each([
    ['200 with video', 200, {}, { video: { url: 'https://f/v.mp4' }, video_id: 'v' }, { kind: 'succeeded', outputs: ['https://f/v.mp4'] }],
    ['200 without video', 200, {}, { foo: 1 }, { kind: 'failed', code: 'no_output' }],
    [
      '422 detail → failed, not charged',
      422,
      {},
      { detail: [{ loc: ['body'], msg: 'content policy', type: 'content_policy_violation' }] },
      { kind: 'failed', code: 'content_policy_violation', charged: false },
    ],
    ['500 with detail → failed', 500, {}, { detail: 'Internal error during generation' }, { kind: 'failed', charged: false }],
    // Issue 9 §5: marked X-Fal-Needs-Retry, the clip may exist and be billed: fetch again, never "failed".
    [
      '503 with X-Fal-Needs-Retry → fetch the result again',
      503,
      { 'x-fal-needs-retry': '1' },
      { detail: 'unavailable', error_type: 'runner_connection_error' },
      { kind: 'transient' },
    ],
    [
      '500 with X-Fal-Needs-Retry → fetch the result again',
      500,
      { 'x-fal-needs-retry': '1' },
      { detail: 'runner lost' },
      { kind: 'transient' },
    ],
    // Issue 10: unmarked 503/504 after COMPLETED is fal's final verdict (its queue already retried): failed, not charged.
    [
      '503 runner_disconnected → final, not charged',
      503,
      { 'x-fal-error-type': 'runner_disconnected' },
      { detail: 'runner lost', error_type: 'runner_disconnected' },
      { kind: 'failed', code: 'runner_disconnected', charged: false },
    ],
    [
      '504 request_timeout → final, not charged',
      504,
      {},
      { detail: 'Request timed out', error_type: 'request_timeout' },
      { kind: 'failed', code: 'request_timeout', charged: false },
    ],
    ['502 without body → poll again', 502, {}, undefined, { kind: 'transient' }],
    ['404 → not_found', 404, {}, { detail: 'Request not found' }, { kind: 'not_found' }],
    ['429 → throttled', 429, { 'retry-after': '2' }, {}, { kind: 'throttled', retryAfterMs: 2000 }],
  ])('result fetch: %s', (_n, status, headers, body, want) => {
    expect(interpretFalResult({ status, headers, body }, NOW)).toMatchObject(want);
  });
});

describe('replicate quirks', () => {
  it.each([
    [{ status: 'starting' }, { kind: 'queued' }],
    [{ status: 'processing' }, { kind: 'running' }],
    [
      { status: 'succeeded', output: 'https://r/o.mp4', completed_at: '2026-11-21T00:00:00.000Z' },
      { kind: 'succeeded', outputs: ['https://r/o.mp4'], expiresAt: NOW + 3_600_000 },
    ],
    [
      { status: 'succeeded', output: ['https://r/a.mp4'] },
      { kind: 'succeeded', outputs: ['https://r/a.mp4'] },
    ],
    [
      { status: 'failed', error: 'E005 flagged' },
      { kind: 'failed', code: 'prediction_failed', message: 'E005 flagged', charged: false },
    ],
    [{ status: 'canceled' }, { kind: 'failed', code: 'canceled', charged: false }],
    [{ status: 'aborted' }, { kind: 'failed', code: 'aborted', charged: false }],
  ])('%j', (p, want) => {
    expect(parseReplicatePrediction(p)).toMatchObject(want);
  });
});
