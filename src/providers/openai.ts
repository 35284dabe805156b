/**
 * OpenAI Videos API through the official SDK (6.x). The SDK never retries on its own (`maxRetries: 0`):
 * retry decisions belong to the executor, and a silent SDK retry of a create is exactly how users got
 * billed twice. A failed video is reported `charged: false` (OpenAI bills generated seconds; failed
 * jobs produce none and no billing for them is documented).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, toFile } from 'openai';
import type { Job } from '../plan/types.ts';
import type {
  CallbackVerdict,
  MapResult,
  Provider,
  ProviderEnv,
  ReconcileOptions,
  ReconcileOutcome,
  StatusOutcome,
  SubmitOutcome,
  TaskRef,
  TaskStatus,
} from './types.ts';
import {
  asNumber,
  asRecord,
  asString,
  classifyHttpFailure,
  classifyTransportError,
  failureToStatus,
  failureToSubmit,
  headersToRecord,
  isUrl,
  type Op,
} from './http.ts';
import { callbackJson, verifyStandardWebhook } from './webhooks.ts';
import { cappedFetch, MAX_API_BODY_BYTES } from './transport.ts';

export const OPENAI_MAX_PROMPT = 32_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** Downloads are guaranteed for about an hour after completion (guide). */
const CONTENT_TTL_MS = 3_600_000;
/** How far before the create's send time a matching video may have been stamped (clock skew). */
const RECONCILE_SKEW_MS = 60_000;
const RECONCILE_MAX_PAGES = 10;

export function openaiSize(job: Job): string {
  return `${job.size.width}x${job.size.height}`;
}

function contentTypeFor(path: string): string {
  const ext = path.toLowerCase().split('.').pop();
  return ext === 'png' ? 'image/png' : ext === 'webp' ? 'image/webp' : 'image/jpeg';
}

export function toOpenAIRequest(job: Job): MapResult {
  const errors: string[] = [];
  if (job.aspect === 'auto') errors.push('openai: aspect "auto" is not supported; the size must be explicit');
  if (!job.prompt || job.prompt.length > OPENAI_MAX_PROMPT)
    errors.push(`openai: prompt must be 1–${OPENAI_MAX_PROMPT} characters (got ${job.prompt.length})`);
  if (!Number.isInteger(job.seconds) || job.seconds <= 0) errors.push(`openai: seconds must be a positive integer (got ${job.seconds})`);
  if (job.image && isUrl(job.image))
    errors.push('openai takes the reference image as an upload (input_reference); give a local file path, not a URL');
  if (errors.length) return { ok: false, errors };
  const fields: Record<string, unknown> = {
    model: job.wireModel,
    prompt: job.prompt,
    seconds: String(job.seconds),
    size: openaiSize(job),
    ...job.params,
  };
  if (!job.image) return { ok: true, request: { method: 'POST', path: '/videos', json: fields } };
  const strings = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return {
    ok: true,
    request: {
      method: 'POST',
      path: '/videos',
      multipart: { fields: strings, files: [{ field: 'input_reference', path: job.image, contentType: contentTypeFor(job.image) }] },
    },
  };
}

function client(env: ProviderEnv): OpenAI {
  return new OpenAI({
    apiKey: env.apiKey || 'missing-key',
    baseURL: env.baseUrl,
    maxRetries: 0,
    fetch: cappedFetch(env.fetch, MAX_API_BODY_BYTES),
    timeout: REQUEST_TIMEOUT_MS,
  });
}

/** Map whatever the SDK threw onto an outcome. Order matters: the abort/connection errors extend APIError. */
export function classifySdkError(err: unknown, op: Op, nowMs: number, notSent = false): SubmitOutcome | StatusOutcome {
  if (err instanceof APIUserAbortError) {
    return op === 'create' && !notSent
      ? { kind: 'ambiguous', message: 'aborted while the create was in flight' }
      : { kind: 'transient', message: 'aborted' };
  }
  if (err instanceof APIConnectionTimeoutError) {
    return op === 'create'
      ? { kind: 'ambiguous', message: 'timed out waiting for the create answer' }
      : { kind: 'transient', message: 'request timed out' };
  }
  if (err instanceof APIConnectionError) {
    const c = classifyTransportError(err.cause ?? err, op, notSent);
    return { kind: c.kind, message: c.message };
  }
  if (err instanceof APIError && typeof err.status === 'number') {
    const f = classifyHttpFailure(err.status, headersToRecord(err.headers), err.error ? { error: err.error } : err.message, nowMs);
    return op === 'create' ? failureToSubmit(f) : failureToStatus(f);
  }
  const c = classifyTransportError(err, op, notSent);
  return { kind: c.kind, message: c.message };
}

export function parseOpenAIVideo(v: Record<string, unknown>, contentUrl: string, pollAfterMs?: number): TaskStatus {
  const poll = pollAfterMs === undefined ? {} : { pollAfterMs };
  const progress = asNumber(v.progress);
  switch (asString(v.status)) {
    case 'queued':
      return { kind: 'queued', ...poll };
    case 'completed': {
      const expires = asNumber(v.expires_at);
      const completed = asNumber(v.completed_at);
      const expiresAt = expires !== undefined ? expires * 1000 : completed !== undefined ? completed * 1000 + CONTENT_TTL_MS : undefined;
      return expiresAt === undefined
        ? { kind: 'succeeded', outputs: [contentUrl] }
        : { kind: 'succeeded', outputs: [contentUrl], expiresAt };
    }
    case 'failed': {
      const e = asRecord(v.error);
      return {
        kind: 'failed',
        code: asString(e.code) ?? 'video_failed',
        message: asString(e.message) ?? 'openai video failed',
        charged: false,
      };
    }
    default:
      return progress === undefined ? { kind: 'running', ...poll } : { kind: 'running', progress, ...poll };
  }
}

function contentUrl(env: ProviderEnv, id: string): string {
  return `${env.baseUrl.replace(/\/+$/, '')}/videos/${encodeURIComponent(id)}/content?variant=video`;
}

function pollAfter(headers: Headers): number | undefined {
  return asNumber(headers.get('openai-poll-after-ms'));
}

/** Does a listed video look like the create we sent for this job? */
export function matchesJob(v: Record<string, unknown>, job: Job, cutoffMs: number): boolean {
  const created = asNumber(v.created_at);
  if (created === undefined || created * 1000 < cutoffMs) return false;
  const model = asString(v.model) ?? '';
  const modelOk = model === job.wireModel || model.startsWith(`${job.wireModel}-20`); // dated snapshots
  return (
    modelOk &&
    (asString(v.prompt) ?? '') === job.prompt &&
    asString(v.size) === openaiSize(job) &&
    String(v.seconds) === String(job.seconds)
  );
}

async function prepareReference(env: ProviderEnv, job: Job, image: string): Promise<string> {
  await mkdir(env.workDir, { recursive: true });
  const fit = job.imageFit ?? 'pad';
  const dest = join(env.workDir, `openai-ref-${job.id}-${openaiSize(job)}-${fit}.png`);
  if (!env.fitImage) throw new Error('no image preparer injected (ProviderEnv.fitImage)');
  await env.fitImage(image, dest, job.size.width, job.size.height, env.signal, fit);
  return dest;
}

export const openai: Provider = {
  name: 'openai',
  idempotentSubmit: false,
  toRequest: (job) => toOpenAIRequest(job),

  async submit(env, job): Promise<SubmitOutcome> {
    const mapped = toOpenAIRequest(job);
    if (!mapped.ok) return { kind: 'rejected', code: 'invalid_request', message: mapped.errors.join('; ') };
    const params: Record<string, unknown> = {
      model: job.wireModel,
      prompt: job.prompt,
      seconds: String(job.seconds),
      size: openaiSize(job),
      ...job.params,
    };
    if (job.image) {
      try {
        const prepared = await prepareReference(env, job, job.image);
        params.input_reference = await toFile(await readFile(prepared), basename(prepared), { type: 'image/png' });
      } catch (err) {
        // An unreadable or missing image will not get better by retrying.
        return {
          kind: 'rejected',
          code: 'invalid_image',
          message: `openai: cannot prepare reference image ${job.image}: ${(err as Error).message}`,
        };
      }
    }
    if (env.signal?.aborted) return { kind: 'transient', message: 'aborted before sending' };
    try {
      const { data, response } = await client(env)
        .videos.create(params as unknown as OpenAI.Videos.VideoCreateParams, { signal: env.signal })
        .withResponse();
      if (!data?.id) return { kind: 'ambiguous', message: 'openai: create answered without a video id' };
      const poll = pollAfter(response.headers);
      return poll === undefined
        ? { kind: 'accepted', task: { id: data.id } }
        : { kind: 'accepted', task: { id: data.id }, pollAfterMs: poll };
    } catch (err) {
      return classifySdkError(err, 'create', env.now()) as SubmitOutcome;
    }
  },

  async status(env, task: TaskRef): Promise<StatusOutcome> {
    try {
      const { data, response } = await client(env).videos.retrieve(task.id, { signal: env.signal }).withResponse();
      return parseOpenAIVideo(data as unknown as Record<string, unknown>, contentUrl(env, task.id), pollAfter(response.headers));
    } catch (err) {
      return classifySdkError(err, 'get', env.now()) as StatusOutcome;
    }
  },

  /** A task cannot be stopped here; `shotlist cancel` reports it as still running. */
  cancel: async () => ({
    kind: 'unsupported',
    message: 'OpenAI has no cancel: DELETE /videos/{id} removes only completed or failed videos (spec, 2026)',
  }),

  contentRequest: (env, task) => ({ url: contentUrl(env, task.id), headers: { authorization: `Bearer ${env.apiKey}` } }),

  /** List recent videos (newest first) and find the one this job's ambiguous create made. */
  async reconcile(env, job, sentAtMs, opts?: ReconcileOptions): Promise<ReconcileOutcome> {
    const cutoff = sentAtMs - RECONCILE_SKEW_MS;
    const exclude = new Set(opts?.excludeTaskIds ?? []);
    try {
      let page = await client(env).videos.list({ order: 'desc', limit: 100 }, { signal: env.signal });
      const candidates: string[] = [];
      for (let n = 0; n < RECONCILE_MAX_PAGES; n++) {
        let older = false;
        for (const v of page.data) {
          const rec = v as unknown as Record<string, unknown>;
          if ((asNumber(rec.created_at) ?? 0) * 1000 < cutoff) older = true;
          else if (matchesJob(rec, job, cutoff) && !exclude.has(v.id)) candidates.push(v.id);
        }
        if (older || !page.hasNextPage()) break;
        page = await page.getNextPage();
      }
      // Newest first: the last candidate is the earliest create after our send, i.e. ours.
      const id = candidates[candidates.length - 1];
      return id ? { kind: 'found', task: { id } } : { kind: 'absent' };
    } catch (err) {
      return { kind: 'unknown', message: `openai list failed: ${(err as Error).message}` };
    }
  },

  async verifyCallback(req, secret, nowMs): Promise<CallbackVerdict> {
    const check = verifyStandardWebhook(req, secret, nowMs);
    if (!check.ok) return { kind: 'invalid', reason: check.reason };
    const id = asString(asRecord(callbackJson(req.rawBody)?.data).id);
    if (!id) return { kind: 'invalid', reason: 'openai webhook without data.id' };
    return { kind: 'verified', taskId: id, deliveryId: check.id };
  },
};
