/**
 * Replicate predictions by model name (`google/veo-3.1`). Failed and aborted predictions are not
 * billed; a prediction canceled after it started is billed for the time it ran (public models too,
 * changelog 2025-10-16). Input and output are deleted an hour after the prediction finishes. 429s
 * state their wait in the body (`retry_after`, "resets in ~30s"), not in a header.
 */
import type { Job } from '../plan/types.ts';
import type { CallbackVerdict, MapResult, Provider, ProviderEnv, StatusOutcome, SubmitOutcome, TaskRef, TaskStatus } from './types.ts';
import {
  asRecord,
  asString,
  classifyHttpFailure,
  failureToStatus,
  failureToSubmit,
  isUrl,
  sendWire,
  transportToStatus,
  transportToSubmit,
} from './http.ts';
import { withJobRef } from './job-ref.ts';
import { billedWithoutOutput, cancelReplicate, reconcileReplicate, uploadToReplicate } from './replicate-ops.ts';
import { callbackJson, verifyStandardWebhook } from './webhooks.ts';

const OUTPUT_TTL_MS = 3_600_000;

function auth(env: ProviderEnv): Record<string, string> {
  return { authorization: `Bearer ${env.apiKey}` };
}

/** How each model family on Replicate names its inputs (the neutral fields → that model's schema). */
function replicateInput(job: Job, model: string): Record<string, unknown> | string {
  if (model.startsWith('openai/sora-2')) {
    if (job.aspect === 'auto') return 'replicate sora-2: aspect must be 16:9 (landscape) or 9:16 (portrait)';
    const input: Record<string, unknown> = {
      prompt: job.prompt,
      seconds: job.seconds,
      aspect_ratio: job.aspect === '9:16' ? 'portrait' : 'landscape',
    };
    if (job.image) input.input_reference = job.image;
    // Pro only: "standard" is 720p, "high" the larger size.
    if (job.tier === 'pro') input.resolution = job.resolution === '720p' ? 'standard' : 'high';
    return input;
  }
  if (job.aspect === 'auto' && !job.image) return `replicate ${model}: aspect "auto" needs a reference image`;
  const input: Record<string, unknown> = { prompt: job.prompt, duration: job.seconds };
  if (job.aspect !== 'auto') input.aspect_ratio = job.aspect;
  const kling = model.startsWith('kwaivgi/kling');
  if (kling) input.mode = job.resolution === '1080p' ? 'pro' : 'standard';
  else input.resolution = job.resolution;
  if (job.image) input[kling ? 'start_image' : 'image'] = job.image;
  if (job.seed !== undefined) input.seed = job.seed;
  if (job.negativePrompt !== undefined) input.negative_prompt = job.negativePrompt;
  return input;
}

export function toReplicateRequest(job: Job, opts: { callbackUrl?: string }): MapResult {
  const errors: string[] = [];
  const [model = '', version] = job.wireModel.split(':', 2);
  const parts = model.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) errors.push(`replicate: model "${job.wireModel}" is not owner/name`);
  if (!job.prompt) errors.push('replicate: prompt is required');
  const input = replicateInput(job, model);
  if (typeof input === 'string') errors.push(input);
  if (errors.length || typeof input === 'string') return { ok: false, errors };
  Object.assign(input, job.params);
  const json: Record<string, unknown> = version ? { version: `${model}:${version}`, input } : { input };
  if (opts.callbackUrl) {
    json.webhook = withJobRef(opts.callbackUrl, job.id);
    json.webhook_events_filter = ['completed'];
  }
  const path = version ? '/predictions' : `/models/${parts[0]}/${parts[1]}/predictions`;
  return { ok: true, request: { method: 'POST', path, json } };
}

export function replicateOutputs(output: unknown): string[] {
  const list = Array.isArray(output) ? output : output === undefined || output === null ? [] : [output];
  return list.map((x) => (typeof x === 'string' ? x : asString(asRecord(x).url))).filter((u): u is string => !!u);
}

export function parseReplicatePrediction(p: Record<string, unknown>): TaskStatus {
  const status = (asString(p.status) ?? '').toLowerCase();
  const error = asString(p.error) ?? (p.error ? JSON.stringify(p.error) : undefined);
  switch (status) {
    case 'starting':
      return { kind: 'queued' };
    case 'succeeded': {
      const outputs = replicateOutputs(p.output);
      if (!outputs.length) return { kind: 'failed', code: 'no_output', message: 'replicate: succeeded without output', charged: false };
      const done = asString(p.completed_at);
      const doneMs = done ? Date.parse(done) : NaN;
      return Number.isFinite(doneMs) ? { kind: 'succeeded', outputs, expiresAt: doneMs + OUTPUT_TTL_MS } : { kind: 'succeeded', outputs };
    }
    case 'failed':
      return { kind: 'failed', code: 'prediction_failed', message: error ?? 'replicate prediction failed', charged: false };
    case 'canceled':
    case 'cancelled':
      return { kind: 'failed', code: 'canceled', message: error ?? 'replicate prediction canceled', charged: billedWithoutOutput(p) };
    case 'aborted':
      return { kind: 'failed', code: 'aborted', message: error ?? 'replicate prediction aborted before it started', charged: false };
    default:
      return { kind: 'running' };
  }
}

export const replicate: Provider = {
  name: 'replicate',
  idempotentSubmit: false,
  toRequest: (job, opts) => toReplicateRequest(job, opts),

  async submit(env, job, opts): Promise<SubmitOutcome> {
    const mapped = toReplicateRequest(job, opts);
    if (!mapped.ok) return { kind: 'rejected', code: 'invalid_request', message: mapped.errors.join('; ') };
    if (job.image && !isUrl(job.image))
      return { kind: 'rejected', code: 'invalid_request', message: 'replicate: local image not uploaded (the Files API comes first)' };
    const r = await sendWire(env, mapped.request, { headers: auth(env) });
    if (!r.ok) return transportToSubmit(r.error, r.notSent);
    if (r.res.status < 200 || r.res.status >= 300)
      return failureToSubmit(classifyHttpFailure(r.res.status, r.res.headers, r.res.body, env.now()));
    const id = asString(asRecord(r.res.body).id);
    if (!id) return { kind: 'ambiguous', message: 'replicate: create answered without a prediction id' };
    return { kind: 'accepted', task: { id } };
  },

  async status(env, task: TaskRef): Promise<StatusOutcome> {
    const r = await sendWire(env, { method: 'GET', path: `/predictions/${encodeURIComponent(task.id)}` }, { headers: auth(env) });
    if (!r.ok) return transportToStatus(r.error);
    if (r.res.status < 200 || r.res.status >= 300)
      return failureToStatus(classifyHttpFailure(r.res.status, r.res.headers, r.res.body, env.now()));
    return parseReplicatePrediction(asRecord(r.res.body));
  },

  contentRequest: (_env, _task, outputs) => ({ url: outputs[0] ?? '', headers: {} }),

  cancel: (env, task) => cancelReplicate(env, task),
  uploadImage: (env, path, contentType) => uploadToReplicate(env, path, contentType),

  async reconcile(env, job, sentAtMs, opts) {
    const mapped = toReplicateRequest(job, {});
    if (!mapped.ok) return { kind: 'absent' };
    const model = job.wireModel.split(':', 1)[0] ?? job.wireModel;
    return reconcileReplicate(env, model, asRecord(asRecord(mapped.request.json).input), sentAtMs, opts);
  },

  /** Standard Webhooks; the body is the prediction. */
  async verifyCallback(req, secret, nowMs): Promise<CallbackVerdict> {
    const check = verifyStandardWebhook(req, secret, nowMs);
    if (!check.ok) return { kind: 'invalid', reason: check.reason };
    const id = asString(callbackJson(req.rawBody)?.id);
    if (!id) return { kind: 'invalid', reason: 'replicate callback without prediction id' };
    return { kind: 'verified', taskId: id, deliveryId: check.id };
  },
};
