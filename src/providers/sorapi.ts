/**
 * SorAPI. The only provider here with an idempotency key (≤ 64 chars, at-most-once creation), so the
 * executor may replay an ambiguous create with the same key. Status strings vary in case (`SUCCESS`).
 * Charging of failed tasks is undocumented: we report `charged: true` so the budget never under-counts.
 */
import { createHash } from 'node:crypto';
import type { Job } from '../plan/types.ts';
import type { MapResult, Provider, ProviderEnv, StatusOutcome, SubmitOutcome, TaskRef, TaskStatus } from './types.ts';
import {
  asNumber,
  asRecord,
  asString,
  classifyHttpFailure,
  failureToStatus,
  failureToSubmit,
  sendWire,
  transportToStatus,
  transportToSubmit,
} from './http.ts';
import { withJobRef } from './job-ref.ts';
import { callbackJson, verifyHexHmac } from './webhooks.ts';

export const SORAPI_MAX_PROMPT = 5_000;
const MAX_KEY = 64;

function auth(env: ProviderEnv): Record<string, string> {
  return { authorization: `Bearer ${env.apiKey}` };
}

/** Keys longer than SorAPI's 64-char limit are replaced by their sha256 hex (64 chars), deterministically. */
export function sorapiIdempotencyKey(key: string): string {
  return key.length <= MAX_KEY ? key : createHash('sha256').update(key).digest('hex');
}

/**
 * SorAPI delivers callbacks to HTTPS URLs only (seed 001). Plain http is let through for loopback
 * hosts alone: nothing outside this machine can reach those, so they only ever serve the emulator.
 */
function callbackProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `sorapi: callback URL ${url} is not a URL`;
  }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return undefined;
  return `sorapi delivers callbacks to https:// URLs only; ${u.origin} is not (use an https --public-url, or run without callbacks and poll)`;
}

export function toSorapiRequest(job: Job, opts: { callbackUrl?: string; idempotencyKey?: string }): MapResult {
  const errors: string[] = [];
  if (!job.prompt) errors.push('sorapi: prompt is required');
  if (job.prompt.length > SORAPI_MAX_PROMPT)
    errors.push(`sorapi: prompt is ${job.prompt.length} characters, the limit is ${SORAPI_MAX_PROMPT}`);
  if (job.image) errors.push('sorapi does not accept a reference image');
  if (job.aspect === 'auto') errors.push('sorapi: aspect "auto" is not supported; use 16:9 or 9:16');
  const cbProblem = opts.callbackUrl === undefined ? undefined : callbackProblem(opts.callbackUrl);
  if (cbProblem) errors.push(cbProblem);
  if (errors.length) return { ok: false, errors };
  const json: Record<string, unknown> = {
    prompt: job.prompt,
    model_version: job.wireModel,
    duration: job.seconds,
    resolution: `${job.size.width}x${job.size.height}`,
  };
  // `vertical` is the only documented aspect_ratio value; landscape is the default, so it is omitted.
  if (job.aspect === '9:16') json.aspect_ratio = 'vertical';
  if (job.guidance !== undefined) json.guidance = job.guidance;
  if (job.seed !== undefined) json.seed = job.seed;
  if (job.negativePrompt !== undefined) json.negative_prompt = job.negativePrompt;
  if (opts.callbackUrl) json.callback_url = withJobRef(opts.callbackUrl, job.id);
  if (opts.idempotencyKey) json.idempotency_key = sorapiIdempotencyKey(opts.idempotencyKey);
  Object.assign(json, job.params);
  return { ok: true, request: { method: 'POST', path: '/api/generate', json } };
}

/** `response` is a list of URLs, or of `{format, url}` objects in callbacks. */
export function sorapiOutputs(response: unknown): string[] {
  const list = Array.isArray(response) ? response : typeof response === 'string' ? [response] : [];
  return list.map((x) => (typeof x === 'string' ? x : asString(asRecord(x).url))).filter((u): u is string => !!u);
}

export function parseSorapiStatus(body: Record<string, unknown>): TaskStatus {
  const status = (asString(body.status) ?? '').toLowerCase();
  switch (status) {
    case 'queued':
    case 'pending':
    case 'submitted':
      return { kind: 'queued' };
    case 'succeeded':
    case 'success':
    case 'completed':
    case 'complete': {
      const outputs = sorapiOutputs(body.response ?? body.output ?? body.urls);
      if (!outputs.length) return { kind: 'failed', code: 'no_output', message: 'sorapi: succeeded without response URLs', charged: true };
      return { kind: 'succeeded', outputs };
    }
    case 'failed':
    case 'failure':
    case 'error':
      return {
        kind: 'failed',
        code: asString(body.error_code) ?? 'task_failed',
        message: asString(body.error_message) ?? 'sorapi task failed',
        charged: true,
      };
    case 'expired':
      return { kind: 'failed', code: 'expired', message: asString(body.error_message) ?? 'sorapi task expired', charged: true };
    default: {
      const progress = asNumber(body.progress);
      return progress === undefined ? { kind: 'running' } : { kind: 'running', progress };
    }
  }
}

/** Some answers wrap the task in `data`. */
function unwrap(body: unknown): Record<string, unknown> {
  const o = asRecord(body);
  return o.data && typeof o.data === 'object' ? asRecord(o.data) : o;
}

export const sorapi: Provider = {
  name: 'sorapi',
  idempotentSubmit: true,
  toRequest: (job, opts) => toSorapiRequest(job, opts),

  async submit(env, job, opts): Promise<SubmitOutcome> {
    const mapped = toSorapiRequest(job, opts);
    if (!mapped.ok) return { kind: 'rejected', code: 'invalid_request', message: mapped.errors.join('; ') };
    const r = await sendWire(env, mapped.request, { headers: auth(env) });
    if (!r.ok) return transportToSubmit(r.error, r.notSent);
    if (r.res.status < 200 || r.res.status >= 300)
      return failureToSubmit(classifyHttpFailure(r.res.status, r.res.headers, r.res.body, env.now()));
    const body = unwrap(r.res.body);
    const id = asString(body.task_id) ?? asString(body.id);
    if (!id) return { kind: 'ambiguous', message: 'sorapi: submit answered without task_id' };
    return { kind: 'accepted', task: { id } };
  },

  async status(env, task: TaskRef): Promise<StatusOutcome> {
    const r = await sendWire(env, { method: 'GET', path: '/api/status', query: { id: task.id } }, { headers: auth(env) });
    if (!r.ok) return transportToStatus(r.error);
    if (r.res.status < 200 || r.res.status >= 300)
      return failureToStatus(classifyHttpFailure(r.res.status, r.res.headers, r.res.body, env.now()));
    return parseSorapiStatus(unwrap(r.res.body));
  },

  /** A task cannot be stopped here; `shotlist cancel` reports it as still running. */
  cancel: async () => ({ kind: 'unsupported', message: 'SorAPI documents no way to cancel a task (seed 001)' }),

  contentRequest: (_env, _task, outputs) => ({ url: outputs[0] ?? '', headers: {} }),

  async verifyCallback(req, secret) {
    const check = verifyHexHmac(req, secret);
    if (!check.ok) return { kind: 'invalid', reason: check.reason };
    const id = asString(callbackJson(req.rawBody)?.task_id);
    if (!id) return { kind: 'invalid', reason: 'sorapi callback without task_id' };
    return { kind: 'verified', taskId: id, deliveryId: check.id };
  },
};
