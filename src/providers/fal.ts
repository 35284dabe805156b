/**
 * fal.ai queue. The submit answer's `status_url`/`response_url` are kept in `TaskRef.urls` and used as
 * given (they drop the app's sub-path, so reconstructing them is error-prone). COMPLETED is not success:
 * the result fetch can still be an error, which is what turns the task into `failed`. fal bills
 * successful outputs only, so failures are reported `charged: false` (5xx explicitly not charged).
 */
import type { Job } from '../plan/types.ts';
import type { CallbackVerdict, MapResult, Provider, ProviderEnv, StatusOutcome, SubmitOutcome, TaskRef, TaskStatus } from './types.ts';
import {
  asRecord, asString, classifyHttpFailure, errorInfo, failureToStatus, failureToSubmit, isUrl, sendWire,
  transportToStatus, transportToSubmit, type HttpResponse,
} from './http.ts';
import { isProviderOrigin } from './origin.ts';
import { bodyDeliveryId, callbackJson, createJwksCache, verifyFalWebhook, type JwksCache } from './webhooks.ts';

/** A stored follow-up URL, only if it is on the configured origin (older checkpoints may hold others). */
function ownUrl(env: ProviderEnv, url: string | undefined): string | undefined {
  return url && isProviderOrigin(url, env.baseUrl) ? url : undefined;
}

function auth(env: ProviderEnv): Record<string, string> {
  return { authorization: `Key ${env.apiKey}` };
}

/** The app for this job: image jobs given a text-to-video app id use its image-to-video sibling. */
export function falApp(job: Job): string {
  const segments = job.wireModel.split('/').filter(Boolean);
  if (!job.image) return segments.join('/');
  // `fal-ai/sora-2/text-to-video` and `fal-ai/sora-2/text-to-video/pro` alike.
  return segments.map((s) => (s === 'text-to-video' ? 'image-to-video' : s)).join('/');
}

/** How a model family spells its input on fal (several enums are strings there). */
interface FalProfile {
  match: RegExp;
  duration: (seconds: number) => unknown;
  imageField: string;
  resolution: boolean;
}

const FAL_PROFILES: FalProfile[] = [
  { match: /(^|\/)veo3/, duration: (s) => `${s}s`, imageField: 'image_url', resolution: true },
  { match: /kling-video/, duration: (s) => String(s), imageField: 'start_image_url', resolution: false },
  { match: /seedance/, duration: (s) => String(s), imageField: 'image_url', resolution: true },
  // sora-2, wan, happy-horse: integer seconds.
  { match: /.*/, duration: (s) => s, imageField: 'image_url', resolution: true },
];

export function falProfile(app: string): FalProfile {
  return FAL_PROFILES.find((p) => p.match.test(app)) ?? FAL_PROFILES[FAL_PROFILES.length - 1]!;
}

export function toFalRequest(job: Job, opts: { callbackUrl?: string }): MapResult {
  const errors: string[] = [];
  if (!job.prompt) errors.push('fal: prompt is required');
  if (job.image && !isUrl(job.image)) errors.push('fal takes reference images as URLs (image_url); give an https URL');
  if (job.aspect === 'auto' && !job.image) errors.push('fal: aspect "auto" needs a reference image');
  if (errors.length) return { ok: false, errors };
  const app = falApp(job);
  const profile = falProfile(app);
  const json: Record<string, unknown> = { prompt: job.prompt, duration: profile.duration(job.seconds), aspect_ratio: job.aspect };
  if (profile.resolution) json.resolution = job.resolution;
  if (job.image) json[profile.imageField] = job.image;
  if (job.seed !== undefined) json.seed = job.seed;
  if (job.negative_prompt !== undefined) json.negative_prompt = job.negative_prompt;
  Object.assign(json, job.params);
  const request = { method: 'POST' as const, path: `/${app}`, json, ...(opts.callbackUrl ? { query: { fal_webhook: opts.callbackUrl } } : {}) };
  return { ok: true, request };
}

/** fal's queue URLs live under the app's owner/name only: `fal-ai/sora-2/text-to-video` → `fal-ai/sora-2`. */
export function falQueueRoot(app: string): string {
  return app.split('/').filter(Boolean).slice(0, 2).join('/');
}

export function falOutputs(result: unknown): string[] {
  const r = asRecord(result);
  const candidates = [r.video, asRecord(r.output).video, ...(Array.isArray(r.videos) ? r.videos : [])];
  const urls = candidates.map((v) => (typeof v === 'string' ? v : asString(asRecord(v).url))).filter((u): u is string => !!u);
  return [...new Set(urls)];
}

/**
 * What the result fetch after COMPLETED means. 2xx with a video → succeeded. A throttle, a gateway
 * error (502/503/504) or a 404 is a failed *call*: poll again. Anything else (422 content policy, 500
 * "runner lost" with `X-Fal-Needs-Retry`) is the task's own failure; fal does not bill it. With
 * `X-Fal-Needs-Retry` the same input may succeed on a new submission, which the code says.
 */
export function interpretFalResult(res: HttpResponse, nowMs: number): StatusOutcome {
  if (res.status >= 200 && res.status < 300) {
    const outputs = falOutputs(res.body);
    return outputs.length ? { kind: 'succeeded', outputs } : { kind: 'failed', code: 'no_output', message: 'fal: result without video.url', charged: false };
  }
  const needsRetry = res.headers['x-fal-needs-retry'] === '1' || res.headers['x-fal-needs-retry'] === 'true';
  const f = classifyHttpFailure(res.status, res.headers, res.body, nowMs);
  if (f.kind === 'throttled' || f.kind === 'quota_exhausted' || f.kind === 'not_found') return f;
  if (!needsRetry && [502, 503, 504].includes(res.status)) return failureToStatus(f);
  const info = errorInfo(res.body, `http_${res.status}`);
  return {
    kind: 'failed',
    code: needsRetry ? 'fal_needs_retry' : info.code,
    message: `fal result HTTP ${res.status}: ${info.message}${needsRetry ? ' (fal marks it retryable: resubmit)' : ''}`,
    charged: false,
  };
}

export function parseFalQueueStatus(body: Record<string, unknown>): TaskStatus | 'completed' {
  const status = (asString(body.status) ?? '').toUpperCase();
  if (status === 'IN_QUEUE') return { kind: 'queued' };
  if (status === 'COMPLETED') {
    if (body.error) return { kind: 'failed', code: asString(body.error_type) ?? 'task_failed', message: String(asString(body.error) ?? 'fal task failed'), charged: false };
    return 'completed';
  }
  return { kind: 'running' };
}

export interface FalProviderOptions {
  /** JWKS cache for webhook verification; owned by this provider instance. */
  jwks?: JwksCache;
}

export function createFalProvider(options: FalProviderOptions = {}): Provider {
  const jwks = options.jwks ?? createJwksCache();
  return {
    name: 'fal',
    idempotentSubmit: false,
    toRequest: (job, opts) => toFalRequest(job, opts),

    async submit(env, job, opts): Promise<SubmitOutcome> {
      const mapped = toFalRequest(job, opts);
      if (!mapped.ok) return { kind: 'rejected', code: 'invalid_request', message: mapped.errors.join('; ') };
      const r = await sendWire(env, mapped.request, { headers: auth(env) });
      if (!r.ok) return transportToSubmit(r.error, r.notSent);
      if (r.res.status < 200 || r.res.status >= 300) return failureToSubmit(classifyHttpFailure(r.res.status, r.res.headers, r.res.body, env.now()));
      const b = asRecord(r.res.body);
      const id = asString(b.request_id);
      if (!id) return { kind: 'ambiguous', message: 'fal: submit answered without request_id' };
      const urls: Record<string, string> = { app: falApp(job) };
      for (const [k, field] of [['status', 'status_url'], ['response', 'response_url'], ['cancel', 'cancel_url']] as const) {
        const u = asString(b[field]);
        // A follow-up URL on another origin is not used (the key would go there): the queue's own path is.
        if (u && isProviderOrigin(u, env.baseUrl)) urls[k] = u;
      }
      return { kind: 'accepted', task: { id, urls } };
    },

    async status(env, task: TaskRef, job: Job): Promise<StatusOutcome> {
      const root = falQueueRoot(task.urls?.app ?? falApp(job));
      const statusUrl = ownUrl(env, task.urls?.status) ?? `/${root}/requests/${encodeURIComponent(task.id)}/status`;
      const r = await sendWire(env, { method: 'GET', path: statusUrl }, { headers: auth(env) });
      if (!r.ok) return transportToStatus(r.error);
      if (r.res.status < 200 || r.res.status >= 300) return failureToStatus(classifyHttpFailure(r.res.status, r.res.headers, r.res.body, env.now()));
      const parsed = parseFalQueueStatus(asRecord(r.res.body));
      if (parsed !== 'completed') return parsed;
      const responseUrl = ownUrl(env, task.urls?.response) ?? `/${root}/requests/${encodeURIComponent(task.id)}`;
      const res = await sendWire(env, { method: 'GET', path: responseUrl }, { headers: auth(env) });
      if (!res.ok) return transportToStatus(res.error);
      return interpretFalResult(res.res, env.now());
    },

    contentRequest: (_env, _task, outputs) => ({ url: outputs[0] ?? '', headers: {} }),

    /** `secret` is the JWKS URL fal publishes its ED25519 keys at. */
    async verifyCallback(req, secret, nowMs): Promise<CallbackVerdict> {
      const check = await verifyFalWebhook(req, secret, nowMs, jwks);
      if (!check.ok) return { kind: 'invalid', reason: check.reason };
      const bodyId = asString(callbackJson(req.rawBody)?.request_id);
      if (bodyId && bodyId !== check.id) return { kind: 'invalid', reason: 'request_id in body differs from the signed header' };
      return { kind: 'verified', taskId: check.id, deliveryId: `${check.id}:${bodyDeliveryId(req.rawBody).slice(0, 16)}` };
    },
  };
}

export const fal: Provider = createFalProvider();
