/** SorAPI: idempotent create (`idempotency_key`), case-varying statuses, HMAC-signed webhooks. */
import { hexHmacSignature, DEFAULT_WEBHOOK_SECRETS, type Delivery } from '../callbacks.ts';
import type { Ctx, EmuCore, ProviderModule } from '../core.ts';
import { isRecord, parseJson, sendJson } from '../http.ts';
import { parseSeconds, parseSize, sizeFor } from '../sizes.ts';
import type { EmuTask, Phase } from '../tasks.ts';

const MODEL_VERSIONS = ['sora-2-latest', 'sora-2-preview'];
const errBody = (code: string, message: string, field?: string) => ({ error: { code, message, ...(field ? { field } : {}) } });

function statusOf(core: EmuCore, t: EmuTask, p: Phase): string {
  let s: string;
  if (p.kind === 'queued') s = 'queued';
  else if (p.kind === 'running') s = 'running';
  else if (p.kind === 'succeeded') s = core.now() > core.urlExpiresAt('sorapi', p.completedAt) ? 'expired' : 'succeeded';
  else s = 'failed';
  // Some tasks answer upper case (the docs' example shows `SUCCESS`): clients must compare case-insensitively.
  return t.meta.upper ? s.toUpperCase() : s;
}

function statusBody(core: EmuCore, t: EmuTask, p: Phase = core.phase(t)): Record<string, unknown> {
  const status = statusOf(core, t, p);
  const live = p.kind === 'succeeded' && status.toLowerCase() === 'succeeded';
  return {
    task_id: t.id,
    status,
    request: t.meta.request,
    response: live ? [core.resultUrl(t, p)] : [],
    error_message: p.kind === 'failed' ? p.message : p.kind === 'aborted' || p.kind === 'canceled' ? 'Task cancelled' : null,
  };
}

/** Callbacks go to HTTPS only; loopback http is the emulator's one concession, so local tests can listen. */
function httpsOrLoopback(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname));
  } catch {
    return false;
  }
}

async function generate(ctx: Ctx): Promise<void> {
  const { core } = ctx;
  const parsed = parseJson(await ctx.body());
  if (!parsed.ok || !isRecord(parsed.value)) return ctx.json(422, errBody('validation_error', 'Body must be a JSON object'));
  const b = parsed.value;
  const idem = b.idempotency_key;
  if (idem !== undefined && (typeof idem !== 'string' || idem.length === 0 || idem.length > 64)) {
    return ctx.json(422, errBody('validation_error', 'idempotency_key must be a string of 1 to 64 characters', 'idempotency_key'));
  }
  if (typeof idem === 'string') {
    // At-most-once creation: a replay with the same key answers the task that key already made.
    const prior = core.store.all('sorapi').find((t) => t.key === ctx.key && t.meta.idempotencyKey === idem);
    if (prior) return ctx.json(200, { task_id: prior.id, status: statusOf(core, prior, core.phase(prior)), idempotent_replay: true });
  }
  const prompt = b.prompt;
  if (typeof prompt !== 'string' || !prompt.trim()) return ctx.json(422, errBody('validation_error', 'prompt is required', 'prompt'));
  if (prompt.length > 5000)
    return ctx.json(422, errBody('validation_error', `prompt must be at most 5000 characters (got ${prompt.length})`, 'prompt'));
  const model = b.model_version ?? 'sora-2-latest';
  if (typeof model !== 'string' || !MODEL_VERSIONS.includes(model))
    return ctx.json(422, errBody('validation_error', `model_version must be one of ${MODEL_VERSIONS.join(', ')}`, 'model_version'));
  const seconds = parseSeconds(b.duration ?? 8);
  if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1 || seconds > 20)
    return ctx.json(422, errBody('validation_error', 'duration must be an integer number of seconds (1-20)', 'duration'));
  let size =
    b.resolution === undefined
      ? { width: 1280, height: 720 }
      : (parseSize(b.resolution) ?? (/^\d+p$/.test(String(b.resolution)) ? sizeFor('16:9', b.resolution) : undefined));
  if (!size) return ctx.json(422, errBody('validation_error', `resolution '${String(b.resolution)}' is not supported`, 'resolution'));
  // `vertical` is the only documented aspect_ratio value; landscape is what you get without one.
  if (b.aspect_ratio !== undefined && b.aspect_ratio !== 'vertical') {
    return ctx.json(
      422,
      errBody(
        'validation_error',
        `aspect_ratio '${String(b.aspect_ratio)}' is not supported (use 'vertical', or omit it for landscape)`,
        'aspect_ratio',
      ),
    );
  }
  if (b.aspect_ratio === 'vertical' && size.width > size.height) size = { width: size.height, height: size.width };
  if (b.guidance !== undefined && typeof b.guidance !== 'number')
    return ctx.json(422, errBody('validation_error', 'guidance must be a number', 'guidance'));
  if (b.seed !== undefined && !Number.isInteger(b.seed))
    return ctx.json(422, errBody('validation_error', 'seed must be an integer', 'seed'));
  const cb = b.callback_url;
  if (cb !== undefined && (typeof cb !== 'string' || !httpsOrLoopback(cb))) {
    return ctx.json(422, errBody('validation_error', 'callback_url must be an https URL', 'callback_url'));
  }
  if (b.callback_headers !== undefined && !isRecord(b.callback_headers))
    return ctx.json(422, errBody('validation_error', 'callback_headers must be an object', 'callback_headers'));
  if (!core.admit(ctx, sorapi)) return;

  const n = core.store.count('sorapi');
  const request = { ...b, model_version: model, duration: seconds, resolution: `${size.width}x${size.height}` };
  delete (request as Record<string, unknown>).callback_headers;
  const t = core.createTask({
    provider: 'sorapi',
    id: `sor_${core.newId(24)}`,
    key: ctx.key,
    prompt,
    model,
    ...size,
    seconds,
    callbackUrl: cb as string | undefined,
    meta: { idempotencyKey: idem, request, upper: n % 2 === 1, callbackHeaders: b.callback_headers },
    lines: [b.seed !== undefined ? `seed ${String(b.seed)}` : '', b.negative_prompt ? `negative: ${String(b.negative_prompt)}` : ''].filter(
      Boolean,
    ),
    failCode: 'generation_failed',
    failMessage: 'Generation failed: content moderation rejected the prompt.',
  });
  ctx.json(200, { task_id: t.id, status: statusOf(core, t, core.phase(t)) });
}

async function handle(ctx: Ctx): Promise<void> {
  if (ctx.method === 'POST' && ctx.path === '/api/generate') return generate(ctx);
  if (ctx.method === 'GET' && ctx.path === '/api/status') {
    // The reference names the parameter `id`; its code example sends `task_id`: accept both.
    const id = ctx.url.searchParams.get('id') ?? ctx.url.searchParams.get('task_id');
    if (!id) return ctx.json(422, errBody('validation_error', 'id is required', 'id'));
    const t = ctx.core.store.get('sorapi', id);
    if (!t) return ctx.json(404, errBody('not_found', `task ${id} not found`));
    return ctx.json(200, statusBody(ctx.core, t));
  }
  ctx.json(404, errBody('not_found', `no route ${ctx.method} ${ctx.path}`));
}

function callbacks(core: EmuCore, t: EmuTask, p: Phase): Delivery[] {
  if (!t.callbackUrl) return [];
  const secret = core.secrets.sorapi ?? DEFAULT_WEBHOOK_SECRETS.sorapi;
  const extra = isRecord(t.meta.callbackHeaders)
    ? Object.fromEntries(Object.entries(t.meta.callbackHeaders).map(([k, v]) => [k, String(v)]))
    : {};
  const make = (phase: Phase): Delivery => {
    const s = statusBody(core, t, phase);
    const body = JSON.stringify({
      task_id: t.id,
      status: s.status,
      response: (s.response as string[]).map((url) => ({ format: 'mp4', url })),
      request: t.meta.request,
      error_message: s.error_message,
      metadata: { idempotency_key: t.meta.idempotencyKey ?? null },
    });
    return { url: t.callbackUrl!, body, headers: { ...extra, 'x-signature': hexHmacSignature(secret, body) } };
  };
  const out = [make(p)];
  if (core.opts.outOfOrder) out.push(make({ kind: 'running', progress: 50 }));
  return out;
}

export const sorapi: ProviderModule = {
  name: 'sorapi',
  prefix: '/sorapi',
  authScheme: 'Bearer',
  classify(method, path) {
    if (method === 'POST' && path === '/api/generate') return 'create';
    if (method === 'GET' && path === '/api/status') return 'status';
    return 'other';
  },
  unauthorized: (ctx) => ctx.json(401, errBody('unauthorized', 'Missing or invalid API key')),
  rateLimited: (ctx, s, reason) =>
    ctx.json(
      429,
      errBody(
        reason === 'concurrency' ? 'concurrency_limit' : 'rate_limited',
        reason === 'concurrency' ? 'Concurrent job limit reached for your plan' : 'Too many requests',
      ),
      { 'retry-after': String(s) },
    ),
  serverError: (ctx) => ctx.json(503, errBody('maintenance', 'Service under maintenance, please retry later'), { 'retry-after': '5' }),
  quotaExhausted: (ctx) => ctx.json(402, errBody('insufficient_credits', 'Your plan has no credits left')),
  expiredFile: (res) => sendJson(res, 410, errBody('expired', 'This result URL has expired')),
  handle,
  callbacks,
};
