/**
 * fal.ai queue. The submit answer's `status_url`/`response_url` are kept in `TaskRef.urls` and used as
 * given (they drop the app's sub-path, so reconstructing them is error-prone). COMPLETED is not success:
 * the result fetch can still be an error, which is what turns the task into `failed`. fal bills
 * successful outputs only, so failures are reported `charged: false` (5xx explicitly not charged).
 */
import type { Job } from '../plan/types.ts';
import type { CallbackVerdict, MapResult, Provider, ProviderEnv, StatusOutcome, SubmitOutcome, TaskRef, TaskStatus } from './types.ts';
import {
  asRecord,
  asString,
  classifyHttpFailure,
  errorInfo,
  failureToStatus,
  failureToSubmit,
  isUrl,
  sendWire,
  transportToStatus,
  transportToSubmit,
  type HttpResponse,
} from './http.ts';
import { withJobRef } from './job-ref.ts';
import { cancelFal, reconcileFal, uploadToFal } from './fal-ops.ts';
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

/**
 * How an app family spells its input on fal, from the vendored schemas (specs/fal): several enums
 * are strings there ("8", "8s"), some apps take no `resolution`, and image-to-video apps whose
 * frame follows the image (Kling v3, Wan 2.7) have no `aspect_ratio`.
 */
interface FalProfile {
  match: RegExp;
  duration: (seconds: number) => unknown;
  imageField: string;
  /** The wire resolution for a job, or undefined when the app takes none. */
  resolution: (job: Job, app: string) => string | undefined;
  /** Whether the app takes `aspect_ratio` (for image-to-video, some follow the image instead). */
  aspect: (imageMode: boolean) => boolean;
}

const always = () => true;
const textOnly = (imageMode: boolean) => !imageMode;
const neutralRes = (job: Job) => job.resolution;

const FAL_PROFILES: FalProfile[] = [
  // Sora 2: duration "4" | "8" | "12" | …; pro takes 720p | 1080p (| true_1080p via params), standard only 720p.
  {
    match: /(^|\/)sora-2(\/|$)/,
    duration: (s) => String(s),
    imageField: 'image_url',
    resolution: (job, app) => (/\/pro(\/|$)/.test(app) ? job.resolution : '720p'),
    aspect: always,
  },
  { match: /(^|\/)veo3/, duration: (s) => `${s}s`, imageField: 'image_url', resolution: neutralRes, aspect: always },
  { match: /kling-video/, duration: (s) => String(s), imageField: 'start_image_url', resolution: () => undefined, aspect: textOnly },
  { match: /seedance/, duration: (s) => String(s), imageField: 'image_url', resolution: neutralRes, aspect: always },
  { match: /(^|\/)wan\//, duration: (s) => String(s), imageField: 'image_url', resolution: neutralRes, aspect: textOnly },
];
// happy-horse and unknown apps: integer seconds (DEFAULT_PROFILE below).

const DEFAULT_PROFILE: FalProfile = { match: /.*/, duration: (s) => s, imageField: 'image_url', resolution: neutralRes, aspect: always };

export function falProfile(app: string): FalProfile {
  return FAL_PROFILES.find((p) => p.match.test(app)) ?? DEFAULT_PROFILE;
}

export function toFalRequest(job: Job, opts: { callbackUrl?: string }): MapResult {
  const errors: string[] = [];
  if (!job.prompt) errors.push('fal: prompt is required');
  if (job.aspect === 'auto' && !job.image) errors.push('fal: aspect "auto" needs a reference image');
  if (errors.length) return { ok: false, errors };
  const app = falApp(job);
  const profile = falProfile(app);
  const imageMode = !!job.image || /image-to-video/.test(app);
  const json: Record<string, unknown> = { prompt: job.prompt, duration: profile.duration(job.seconds) };
  if (profile.aspect(imageMode)) json.aspect_ratio = job.aspect;
  const resolution = profile.resolution(job, app);
  if (resolution !== undefined) json.resolution = resolution;
  if (job.image) json[profile.imageField] = job.image;
  if (job.seed !== undefined) json.seed = job.seed;
  if (job.negativePrompt !== undefined) json.negative_prompt = job.negativePrompt;
  Object.assign(json, job.params);
  const request = {
    method: 'POST' as const,
    path: `/${app}`,
    json,
    ...(opts.callbackUrl ? { query: { fal_webhook: withJobRef(opts.callbackUrl, job.id) } } : {}),
  };
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
 * What the result fetch after COMPLETED means. 2xx with a video → succeeded. `X-Fal-Needs-Retry`
 * (on any status) means the answer is not the task's outcome: fetch again — the clip may exist and
 * be billed, so it is never recorded failed. A throttle or 404 is a failed call too. Anything else
 * is final: a 503/504 with an `error_type` here is fal's own verdict after its queue retried the runner (up to 10 times),
 * 422 a content refusal; fal bills successful outputs only, so these are `charged: false`.
 */
export function interpretFalResult(res: HttpResponse, nowMs: number): StatusOutcome {
  if (res.status >= 200 && res.status < 300) {
    const outputs = falOutputs(res.body);
    return outputs.length
      ? { kind: 'succeeded', outputs }
      : { kind: 'failed', code: 'no_output', message: 'fal: result without video.url', charged: false };
  }
  const needsRetry = res.headers['x-fal-needs-retry'] === '1' || res.headers['x-fal-needs-retry']?.toLowerCase() === 'true';
  const f = classifyHttpFailure(res.status, res.headers, res.body, nowMs);
  if (f.kind === 'throttled' || f.kind === 'quota_exhausted' || f.kind === 'not_found') return f;
  if (needsRetry)
    return {
      kind: 'transient',
      message: `fal result HTTP ${res.status}, marked X-Fal-Needs-Retry: fetching it again`,
      httpStatus: res.status,
    };
  const info = errorInfo(res.body, `http_${res.status}`);
  const errorType = res.headers['x-fal-error-type'] ?? asString(asRecord(res.body).error_type);
  // A bare gateway 5xx (no fal error type, no JSON body) is not fal's verdict on the request: ask again.
  const falBody = typeof res.body === 'object' && res.body !== null;
  if (res.status >= 502 && res.status <= 504 && !errorType && !falBody) return failureToStatus(f);
  return { kind: 'failed', code: errorType ?? info.code, message: `fal result HTTP ${res.status}: ${info.message}`, charged: false };
}

export function parseFalQueueStatus(body: Record<string, unknown>): TaskStatus | 'completed' {
  const status = (asString(body.status) ?? '').toUpperCase();
  if (status === 'IN_QUEUE') return { kind: 'queued' };
  if (status === 'COMPLETED') {
    if (body.error)
      return {
        kind: 'failed',
        code: asString(body.error_type) ?? 'task_failed',
        message: String(asString(body.error) ?? 'fal task failed'),
        charged: false,
      };
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
      if (job.image && !isUrl(job.image))
        return { kind: 'rejected', code: 'invalid_request', message: 'fal: local image not uploaded (fal storage upload comes first)' };
      const r = await sendWire(env, mapped.request, { headers: auth(env) });
      if (!r.ok) return transportToSubmit(r.error, r.notSent);
      if (r.res.status < 200 || r.res.status >= 300)
        return failureToSubmit(classifyHttpFailure(r.res.status, r.res.headers, r.res.body, env.now()));
      const b = asRecord(r.res.body);
      const id = asString(b.request_id);
      if (!id) return { kind: 'ambiguous', message: 'fal: submit answered without request_id' };
      const urls: Record<string, string> = { app: falApp(job) };
      for (const [k, field] of [
        ['status', 'status_url'],
        ['response', 'response_url'],
        ['cancel', 'cancel_url'],
      ] as const) {
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
      if (r.res.status < 200 || r.res.status >= 300)
        return failureToStatus(classifyHttpFailure(r.res.status, r.res.headers, r.res.body, env.now()));
      const parsed = parseFalQueueStatus(asRecord(r.res.body));
      if (parsed !== 'completed') return parsed;
      const responseUrl = ownUrl(env, task.urls?.response) ?? `/${root}/requests/${encodeURIComponent(task.id)}`;
      const res = await sendWire(env, { method: 'GET', path: responseUrl }, { headers: auth(env) });
      if (!res.ok) return transportToStatus(res.error);
      return interpretFalResult(res.res, env.now());
    },

    contentRequest: (_env, _task, outputs) => ({ url: outputs[0] ?? '', headers: {} }),

    cancel: (env, task) => cancelFal(env, task, falQueueRoot(task.urls?.app ?? '')),
    uploadImage: (env, path, contentType) => uploadToFal(env, path, contentType),

    async reconcile(env, job, sentAtMs, opts) {
      const mapped = toFalRequest(job, {});
      if (!mapped.ok) return { kind: 'absent' };
      return reconcileFal(env, falApp(job), asRecord(mapped.request.json), sentAtMs, opts);
    },

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
