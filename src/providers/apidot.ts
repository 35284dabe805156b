/**
 * APIDot unified async API. Envelope `{code, data}`: an HTTP 200 can carry `code: 400`, so every
 * decision is made on `body.code` when present. Failed tasks are not charged (APIDot docs: credits are
 * only deducted for finished tasks).
 */
import type { Job } from '../plan/types.ts';
import type { MapResult, Provider, ProviderEnv, StatusOutcome, SubmitOutcome, TaskRef, TaskStatus } from './types.ts';
import { bodyDeliveryId, callbackJson } from './webhooks.ts';
import {
  asNumber,
  asRecord,
  asString,
  classifyHttpFailure,
  envelopeStatus,
  failureToStatus,
  failureToSubmit,
  isUrl,
  sendWire,
  transportToStatus,
  transportToSubmit,
} from './http.ts';
import { withJobRef } from './job-ref.ts';

function auth(env: ProviderEnv): Record<string, string> {
  return { authorization: `Bearer ${env.apiKey}` };
}

export function toApidotRequest(job: Job, opts: { callbackUrl?: string }): MapResult {
  const errors: string[] = [];
  if (job.image && !isUrl(job.image))
    errors.push('apidot takes reference images as URLs only (image_urls); upload the image somewhere and give its https URL');
  const sora = job.wireModel.startsWith('sora-2');
  if (job.aspect === 'auto' && !(job.image && (job.tier === 'pro' || !sora)))
    errors.push('apidot: aspect "auto" is only accepted for pro models with a reference image');
  if (!job.prompt) errors.push('apidot: prompt is required');
  if (errors.length) return { ok: false, errors };
  const input: Record<string, unknown> = { prompt: job.prompt, duration: job.seconds, aspect_ratio: job.aspect };
  // Sora on APIDot: `resolution` is pro-only (a standard model answers 400 when it is present).
  // Other families (Seedance, Veo, Wan, Happy Horse) require it.
  if (job.tier === 'pro' || !sora) input.resolution = job.resolution;
  if (job.image) input.image_urls = [job.image];
  if (job.seed !== undefined) input.seed = job.seed;
  if (job.negativePrompt !== undefined) input.negative_prompt = job.negativePrompt;
  Object.assign(input, job.params);
  const json: Record<string, unknown> = { model: job.wireModel };
  if (opts.callbackUrl) json.callback_url = withJobRef(opts.callbackUrl, job.id);
  json.input = input;
  return { ok: true, request: { method: 'POST', path: '/api/generate/submit', json } };
}

export function apidotFiles(data: Record<string, unknown>): string[] {
  const files = Array.isArray(data.files)
    ? data.files
    : Array.isArray(asRecord(data.output).files)
      ? (asRecord(data.output).files as unknown[])
      : [];
  const items = files.map(asRecord);
  const videos = items.filter((f) => !f.file_type || f.file_type === 'video');
  return (videos.length ? videos : items).map((f) => asString(f.file_url) ?? asString(f.url)).filter((u): u is string => !!u);
}

/** Normalize a status envelope's `data`. */
export function parseApidotStatus(data: Record<string, unknown>): TaskStatus {
  const status = (asString(data.status) ?? '').toLowerCase();
  const progress = asNumber(data.progress);
  switch (status) {
    case 'not_started':
    case 'pending':
    case 'queued':
      return { kind: 'queued' };
    case 'running':
    case 'processing':
      return progress === undefined ? { kind: 'running' } : { kind: 'running', progress };
    case 'finished':
    case 'succeeded':
    case 'success': {
      const outputs = apidotFiles(data);
      if (!outputs.length) return { kind: 'failed', code: 'no_output', message: 'apidot: task finished without files', charged: false };
      return { kind: 'succeeded', outputs };
    }
    case 'failed':
      return {
        kind: 'failed',
        code: asString(data.error_code) ?? 'task_failed',
        message: asString(data.error_message) ?? 'apidot task failed',
        charged: false,
      };
    default:
      return { kind: 'running', ...(progress === undefined ? {} : { progress }) };
  }
}

export const apidot: Provider = {
  name: 'apidot',
  idempotentSubmit: false,
  toRequest: (job, opts) => toApidotRequest(job, opts),

  async submit(env, job, opts): Promise<SubmitOutcome> {
    const mapped = toApidotRequest(job, opts);
    if (!mapped.ok) return { kind: 'rejected', code: 'invalid_request', message: mapped.errors.join('; ') };
    const r = await sendWire(env, mapped.request, { headers: auth(env) });
    if (!r.ok) return transportToSubmit(r.error, r.notSent);
    const status = envelopeStatus(r.res.status, r.res.body);
    if (status < 200 || status >= 300) return failureToSubmit(classifyHttpFailure(status, r.res.headers, r.res.body, env.now()));
    const id = asString(asRecord(asRecord(r.res.body).data).task_id);
    // The create answered 2xx but we cannot read a task id: it may exist, so do not resubmit blindly.
    if (!id) return { kind: 'ambiguous', message: 'apidot: submit answered without data.task_id' };
    return { kind: 'accepted', task: { id } };
  },

  async status(env, task: TaskRef): Promise<StatusOutcome> {
    const r = await sendWire(env, { method: 'GET', path: `/api/generate/status/${encodeURIComponent(task.id)}` }, { headers: auth(env) });
    if (!r.ok) return transportToStatus(r.error);
    const status = envelopeStatus(r.res.status, r.res.body);
    if (status < 200 || status >= 300) return failureToStatus(classifyHttpFailure(status, r.res.headers, r.res.body, env.now()));
    return parseApidotStatus(asRecord(asRecord(r.res.body).data));
  },

  /** A task cannot be stopped here; `shotlist cancel` reports it as still running. */
  cancel: async () => ({ kind: 'unsupported', message: 'APIDot documents no way to cancel a task (docs and examples, 2026-07)' }),

  contentRequest: (_env, _task, outputs) => ({ url: outputs[0] ?? '', headers: {} }),

  /** No documented signature: return the task id; the executor trusts it only after a status GET. */
  async verifyCallback(req) {
    const body = callbackJson(req.rawBody);
    const id = asString(asRecord(body?.data).task_id) ?? asString(body?.task_id);
    if (!id) return { kind: 'invalid', reason: 'apidot callback without task_id' };
    return { kind: 'unsigned', taskId: id, deliveryId: bodyDeliveryId(req.rawBody) };
  },
};
