/** APIDot unified async API: `{code, data}` envelopes, where a 200 HTTP answer can still carry `code: 400`. */
import type { Delivery } from '../callbacks.ts';
import type { Ctx, EmuCore, ProviderModule } from '../core.ts';
import { isoNoZone, isRecord, parseJson } from '../http.ts';
import { parseSeconds, sizeFor } from '../sizes.ts';
import type { EmuTask, Phase } from '../tasks.ts';

const SORA_STANDARD = 'sora-2-official';
const SORA_PRO = 'sora-2-pro-official';
const SORA_DURATIONS = [4, 8, 12, 16, 20];
/** Models this emulation knows (others answer "model not found", as resellers did for retired models). */
const KNOWN = /^(sora-2(-pro)?-official|veo3\.1-(lite|fast|quality)|seedance-2(-fast)?|happy-horse|wan2\.7-[a-z-]+|kling[\w.-]*)$/;

const errBody = (code: number, type: string, message: string) => ({ code, error: { message, type } });

/**
 * Validation errors on `input` fields answer HTTP 200 with `code: 400` (the documented quirk);
 * envelope errors (bad JSON, missing/unknown model) answer HTTP 400.
 */
function inputError(ctx: Ctx, message: string): void {
  ctx.json(200, errBody(400, 'invalid_request', message));
}

function statusOf(p: Phase): 'not_started' | 'running' | 'finished' | 'failed' {
  if (p.kind === 'queued') return 'not_started';
  if (p.kind === 'running') return 'running';
  return p.kind === 'succeeded' ? 'finished' : 'failed';
}

function statusData(core: EmuCore, t: EmuTask, stale = false): Record<string, unknown> {
  const p: Phase = stale ? { kind: 'running', progress: 50 } : core.phase(t);
  const files = p.kind === 'succeeded' ? [{ file_url: core.resultUrl(t, p), file_type: 'video' }] : [];
  const data: Record<string, unknown> = {
    task_id: t.id,
    status: statusOf(p),
    progress: p.kind === 'running' ? p.progress : p.kind === 'succeeded' ? 100 : 0,
    created_time: isoNoZone(t.createdAt),
    error_message:
      p.kind === 'failed'
        ? p.message
        : p.kind === 'aborted' || p.kind === 'canceled'
          ? 'Task was cancelled by the upstream provider.'
          : null,
  };
  // Some APIDot examples put files at data.files, others at data.output.files: clients must read both.
  if (t.meta.filesUnderOutput) data.output = { files };
  else data.files = files;
  return data;
}

async function submit(ctx: Ctx): Promise<void> {
  const { core } = ctx;
  const parsed = parseJson(await ctx.body());
  if (!parsed.ok || !isRecord(parsed.value))
    return ctx.json(400, errBody(400, 'invalid_request', `Invalid request body: ${parsed.ok ? 'expected an object' : parsed.message}`));
  const b = parsed.value;
  const model = b.model;
  if (typeof model !== 'string' || !model) return ctx.json(400, errBody(400, 'invalid_request', 'model is required'));
  if (!KNOWN.test(model)) return ctx.json(400, errBody(400, 'invalid_request', `model not found: ${model}`));
  const input = isRecord(b.input) ? b.input : undefined;
  if (!input) return inputError(ctx, 'input is required');
  const prompt = input.prompt;
  if (typeof prompt !== 'string' || !prompt.trim()) return inputError(ctx, 'input.prompt is required');
  const sora = model === SORA_STANDARD || model === SORA_PRO;
  const pro = model === SORA_PRO;
  const images = input.image_urls;
  if (images !== undefined && (!Array.isArray(images) || images.some((u) => typeof u !== 'string')))
    return inputError(ctx, 'input.image_urls must be an array of URLs');
  const hasImage = Array.isArray(images) && images.length > 0;
  if (sora && Array.isArray(images) && images.length > 1) return inputError(ctx, 'input.image_urls accepts at most 1 image');
  const seconds = parseSeconds(input.duration ?? (sora ? 8 : 5));
  if (seconds === undefined || !Number.isInteger(seconds)) return inputError(ctx, 'input.duration must be an integer');
  if (sora && !SORA_DURATIONS.includes(seconds)) return inputError(ctx, `input.duration must be one of ${SORA_DURATIONS.join(', ')}`);
  if (!sora && (seconds < 1 || seconds > 20)) return inputError(ctx, 'input.duration must be between 1 and 20');
  const aspect = input.aspect_ratio ?? '16:9';
  if (typeof aspect !== 'string' || !['16:9', '9:16', 'auto', '1:1', '4:3', '3:4', '21:9'].includes(aspect))
    return inputError(ctx, `input.aspect_ratio '${String(aspect)}' is not supported`);
  if (sora && aspect === 'auto' && !(pro && hasImage))
    return inputError(ctx, "input.aspect_ratio 'auto' requires the pro model and an image");
  if (sora && !['16:9', '9:16', 'auto'].includes(aspect)) return inputError(ctx, 'input.aspect_ratio must be 16:9, 9:16 or auto');
  const resolution = input.resolution;
  if (sora && !pro && resolution !== undefined) return inputError(ctx, 'input.resolution is only supported by sora-2-pro-official');
  if (resolution !== undefined && !['480p', '720p', '1024p', '1080p'].includes(String(resolution)))
    return inputError(ctx, `input.resolution '${String(resolution)}' is not supported`);
  const callbackUrl = b.callback_url;
  if (callbackUrl !== undefined && (typeof callbackUrl !== 'string' || !/^https?:\/\//.test(callbackUrl)))
    return inputError(ctx, 'callback_url must be an http(s) URL');
  if (!core.admit(ctx, apidot)) return;

  const size = sizeFor(aspect === 'auto' ? '16:9' : aspect, resolution ?? '720p');
  const n = core.store.count('apidot');
  const t = core.createTask({
    provider: 'apidot',
    id: `task-unified-${Math.floor(core.now() / 1000)}-${core.ids.alnum(8)}`,
    key: ctx.key,
    prompt,
    model,
    ...size,
    seconds,
    callbackUrl: callbackUrl as string | undefined,
    meta: { filesUnderOutput: !sora || n % 2 === 1 },
    failCode: 'content_policy',
    failMessage: 'Generation failed: the prompt was flagged by the content policy.',
  });
  ctx.json(200, { code: 200, data: { task_id: t.id, status: 'not_started', created_time: isoNoZone(t.createdAt) } });
}

async function handle(ctx: Ctx): Promise<void> {
  if (ctx.method === 'POST' && ctx.path === '/api/generate/submit') return submit(ctx);
  const m = /^\/api\/generate\/status\/([^/]+)$/.exec(ctx.path);
  if (ctx.method === 'GET' && m) {
    const t = ctx.core.store.get('apidot', decodeURIComponent(m[1]!));
    if (!t) return ctx.json(404, errBody(404, 'not_found', 'task not found'));
    return ctx.json(200, { code: 200, data: statusData(ctx.core, t) });
  }
  ctx.json(404, errBody(404, 'not_found', `no route ${ctx.method} ${ctx.path}`));
}

function callbacks(core: EmuCore, t: EmuTask): Delivery[] {
  if (!t.callbackUrl) return [];
  const out: Delivery[] = [{ url: t.callbackUrl, body: JSON.stringify({ code: 200, data: statusData(core, t) }), headers: {} }];
  if (core.opts.outOfOrder)
    out.push({ url: t.callbackUrl, body: JSON.stringify({ code: 200, data: statusData(core, t, true) }), headers: {} });
  return out;
}

export const apidot: ProviderModule = {
  name: 'apidot',
  prefix: '/apidot',
  authScheme: 'Bearer',
  classify(method, path) {
    if (method === 'POST' && path === '/api/generate/submit') return 'create';
    if (method === 'GET' && path.startsWith('/api/generate/status/')) return 'status';
    return 'other';
  },
  unauthorized: (ctx) => ctx.json(401, errBody(401, 'authentication_error', 'Invalid or missing API key')),
  rateLimited: (ctx, s, reason) =>
    ctx.json(
      429,
      errBody(429, 'rate_limited', reason === 'concurrency' ? 'Too many running tasks' : 'Rate limit exceeded, please slow down'),
      { 'retry-after': String(s) },
    ),
  serverError: (ctx) => ctx.json(503, errBody(503, 'server_error', 'Service temporarily unavailable')),
  quotaExhausted: (ctx) => ctx.json(402, errBody(402, 'insufficient_credits', 'Insufficient credits, please top up your account')),
  expiredFile(res) {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
  },
  handle,
  callbacks,
};
