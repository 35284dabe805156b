/**
 * APIXO task API. Envelope `{code, message, data}`; a failed task still answers `code: 200`, so task
 * state comes from `data.state`; `resultJson` is a JSON *string* holding `resultUrls`. Failed tasks are
 * reported not charged: APIXO bills on completed tasks (failCode/failMsg tasks carry no cost).
 */
import type { Job } from '../plan/types.ts';
import type { MapResult, Provider, ProviderEnv, StatusOutcome, SubmitOutcome, TaskRef, TaskStatus } from './types.ts';
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
import { bodyDeliveryId, callbackJson } from './webhooks.ts';

/** Docs (apixo.ai/docs/models/video/sora-2-pro, 2026-11): 1–5,000 characters. */
const MAX_PROMPT = 5_000;
/** sora-2-pro text-to-video sizes by neutral resolution, landscape first (`W*H`, an asterisk). */
const PRO_T2V_SIZE: Partial<Record<string, [string, string]>> = {
  '720p': ['1280*720', '720*1280'],
  '1024p': ['1792*1024', '1024*1792'],
};
/** sora-2-pro image-to-video takes a resolution, not a size. */
const PRO_I2V_RESOLUTIONS = ['720p', '1080p'];

function isPro(job: Job): boolean {
  return job.tier === 'pro' || job.wireModel.endsWith('-pro');
}
/** Result URLs: the seed says 15 days, later docs 24 h; assume the shorter. */
const RESULT_TTL_MS = 24 * 3_600_000;

function auth(env: ProviderEnv): Record<string, string> {
  return { authorization: `Bearer ${env.apiKey}` };
}

export function toApixoRequest(job: Job, opts: { callbackUrl?: string }): MapResult {
  const errors: string[] = [];
  if (job.image && !isUrl(job.image)) errors.push('apixo takes reference images as URLs only (image_urls); give an https URL');
  if (job.aspect === 'auto') errors.push('apixo: aspect must be 16:9 (landscape) or 9:16 (portrait); "auto" is not supported');
  if (job.prompt.length > MAX_PROMPT) errors.push(`apixo: prompt is ${job.prompt.length} characters, the limit is ${MAX_PROMPT}`);
  if (!job.prompt) errors.push('apixo: prompt is required');
  const pro = isPro(job);
  const proSize = PRO_T2V_SIZE[job.resolution];
  if (pro && !job.image && !proSize) {
    errors.push(
      `apixo ${job.wireModel} text-to-video offers 720p (1280*720, 720*1280) and 1024p (1792*1024, 1024*1792), not ${job.resolution}`,
    );
  }
  if (pro && job.image && !PRO_I2V_RESOLUTIONS.includes(job.resolution)) {
    errors.push(`apixo ${job.wireModel} image-to-video offers resolution ${PRO_I2V_RESOLUTIONS.join(' or ')}, not ${job.resolution}`);
  }
  if (errors.length) return { ok: false, errors };
  const input: Record<string, unknown> = {
    mode: job.image ? 'image-to-video' : 'text-to-video',
    prompt: job.prompt,
    duration: job.seconds,
  };
  // Standard takes an orientation; pro spells the frame as `size` (text) or `resolution` (image).
  if (!pro) input.aspect_ratio = job.aspect === '9:16' ? 'portrait' : 'landscape';
  else if (job.image) input.resolution = job.resolution;
  else if (proSize) input.size = proSize[job.aspect === '9:16' ? 1 : 0];
  if (job.image) input.image_urls = [job.image];
  Object.assign(input, job.params);
  const json: Record<string, unknown> = { request_type: opts.callbackUrl ? 'callback' : 'async' };
  if (opts.callbackUrl) json.callback_url = withJobRef(opts.callbackUrl, job.id);
  // The docs: only "official" routing remains; always send it explicitly.
  json.provider = 'official';
  json.input = input;
  return { ok: true, request: { method: 'POST', path: `/api/v1/generateTask/${encodeURIComponent(job.wireModel)}`, json } };
}

export function apixoResultUrls(resultJson: unknown): string[] {
  let parsed: unknown = resultJson;
  if (typeof resultJson === 'string') {
    try {
      parsed = JSON.parse(resultJson) as unknown;
    } catch {
      return [];
    }
  }
  const urls = asRecord(parsed).resultUrls;
  return Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string' && !!u) : [];
}

export function parseApixoStatus(data: Record<string, unknown>): TaskStatus {
  const state = (asString(data.state) ?? '').toLowerCase();
  switch (state) {
    case 'pending':
    case 'queued':
    case 'waiting':
      return { kind: 'queued' };
    case 'success':
    case 'succeeded': {
      const outputs = apixoResultUrls(data.resultJson);
      if (!outputs.length) return { kind: 'failed', code: 'no_output', message: 'apixo: success without resultUrls', charged: false };
      const done = asNumber(data.completeTime);
      return done === undefined ? { kind: 'succeeded', outputs } : { kind: 'succeeded', outputs, expiresAt: done + RESULT_TTL_MS };
    }
    case 'failed':
    case 'fail':
      return {
        kind: 'failed',
        code: asString(data.failCode) ?? 'task_failed',
        message: asString(data.failMsg) ?? 'apixo task failed',
        charged: false,
      };
    default:
      return { kind: 'running' };
  }
}

export const apixo: Provider = {
  name: 'apixo',
  idempotentSubmit: false,
  toRequest: (job, opts) => toApixoRequest(job, opts),

  async submit(env, job, opts): Promise<SubmitOutcome> {
    const mapped = toApixoRequest(job, opts);
    if (!mapped.ok) return { kind: 'rejected', code: 'invalid_request', message: mapped.errors.join('; ') };
    const r = await sendWire(env, mapped.request, { headers: auth(env) });
    if (!r.ok) return transportToSubmit(r.error, r.notSent);
    const status = envelopeStatus(r.res.status, r.res.body);
    if (status < 200 || status >= 300) return failureToSubmit(classifyHttpFailure(status, r.res.headers, r.res.body, env.now()));
    const data = asRecord(asRecord(r.res.body).data);
    const id = asString(data.taskId) ?? asString(data.task_id);
    if (!id) return { kind: 'ambiguous', message: 'apixo: submit answered without data.taskId' };
    return { kind: 'accepted', task: { id } };
  },

  async status(env, task: TaskRef, job: Job): Promise<StatusOutcome> {
    const req = { method: 'GET' as const, path: `/api/v1/statusTask/${encodeURIComponent(job.wireModel)}`, query: { taskId: task.id } };
    const r = await sendWire(env, req, { headers: auth(env) });
    if (!r.ok) return transportToStatus(r.error);
    const status = envelopeStatus(r.res.status, r.res.body);
    if (status < 200 || status >= 300) return failureToStatus(classifyHttpFailure(status, r.res.headers, r.res.body, env.now()));
    return parseApixoStatus(asRecord(asRecord(r.res.body).data));
  },

  /** A task cannot be stopped here; `shotlist cancel` reports it as still running. */
  cancel: async () => ({ kind: 'unsupported', message: 'APIXO documents no way to cancel a task (apixo.ai docs, 2026-11)' }),

  contentRequest: (_env, _task, outputs) => ({ url: outputs[0] ?? '', headers: {} }),

  /** Unsigned; same envelope as status. The executor confirms with a status GET. */
  async verifyCallback(req) {
    const body = callbackJson(req.rawBody);
    const data = asRecord(body?.data);
    const id = asString(data.taskId) ?? asString(data.task_id) ?? asString(body?.taskId);
    if (!id) return { kind: 'invalid', reason: 'apixo callback without taskId' };
    return { kind: 'unsigned', taskId: id, deliveryId: bodyDeliveryId(req.rawBody) };
  },
};
