/** APIXO task API: `{code, message, data}`; status by query param; `resultJson` is a JSON string; failed tasks answer code 200. */
import type { Delivery } from '../callbacks.ts';
import type { Ctx, EmuCore, ProviderModule } from '../core.ts';
import { isRecord, parseJson } from '../http.ts';
import { parseSeconds, sizeFor } from '../sizes.ts';
import type { EmuTask, Phase } from '../tasks.ts';

/** Allowed durations per model family; doc versions disagreed (10|15, now 4|8|12), so keep it as data. */
const DURATIONS: Record<string, number[]> = { 'sora-2': [4, 8, 12], 'sora-2-pro': [4, 8, 12] };
/** The documented failCodes (apixo.ai docs, 2026-11); an image URL can only fail an image-to-video task. */
const CONTENT_VIOLATION = { code: 'CONTENT_VIOLATION', msg: 'Content violates safety guidelines.' };
const INVALID_IMAGE_URL = { code: 'INVALID_IMAGE_URL', msg: 'Cannot access provided image URL.' };
/** sora-2-pro: text-to-video sizes and image-to-video resolutions (docs 2026-11). */
const PRO_SIZES: Record<string, [number, number]> = {
  '1280*720': [1280, 720],
  '720*1280': [720, 1280],
  '1792*1024': [1792, 1024],
  '1024*1792': [1024, 1792],
};
const PRO_I2V_RES = ['720p', '1080p'];
const MAX_PROMPT = 5_000;

const env = (code: number, message: string, data: unknown = null) => ({ code, message, data });

function stateOf(p: Phase): 'pending' | 'processing' | 'success' | 'failed' {
  if (p.kind === 'queued') return 'pending';
  if (p.kind === 'running') return 'processing';
  return p.kind === 'succeeded' ? 'success' : 'failed';
}

function taskData(core: EmuCore, t: EmuTask, p: Phase = core.phase(t)): Record<string, unknown> {
  const done = p.kind !== 'queued' && p.kind !== 'running' ? p.completedAt : null;
  const aborted = p.kind === 'aborted' || p.kind === 'canceled';
  return {
    taskId: t.id,
    model: t.model,
    state: stateOf(p),
    param: JSON.stringify(t.meta.request ?? {}),
    resultJson: p.kind === 'succeeded' ? JSON.stringify({ resultUrls: [core.resultUrl(t, p)] }) : '',
    failCode: p.kind === 'failed' ? p.code : aborted ? 'TASK_CANCELLED' : '',
    failMsg: p.kind === 'failed' ? p.message : aborted ? 'The task was cancelled upstream.' : '',
    costTime: done === null ? 0 : done - t.createdAt,
    createTime: t.createdAt,
    completeTime: done,
  };
}

async function generate(ctx: Ctx, model: string): Promise<void> {
  const { core } = ctx;
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(model)) return ctx.json(404, env(404, `model not found: ${model}`));
  const parsed = parseJson(await ctx.body());
  if (!parsed.ok || !isRecord(parsed.value)) return ctx.json(400, env(400, 'request body must be a JSON object'));
  const b = parsed.value;
  const requestType = b.request_type ?? 'async';
  if (requestType !== 'async' && requestType !== 'callback') return ctx.json(400, env(400, "request_type must be 'async' or 'callback'"));
  const cb = b.callback_url;
  if (requestType === 'callback' && (typeof cb !== 'string' || !/^https?:\/\//.test(cb)))
    return ctx.json(400, env(400, 'callback_url is required when request_type is callback'));
  // Only "official" routing remains (docs 2026-11); the retired auto/value strategies are refused.
  if (b.provider !== undefined && b.provider !== 'official') return ctx.json(400, env(400, "provider must be 'official'"));
  const input = isRecord(b.input) ? b.input : undefined;
  if (!input) return ctx.json(400, env(400, 'input is required'));
  const mode = input.mode ?? 'text-to-video';
  if (mode !== 'text-to-video' && mode !== 'image-to-video')
    return ctx.json(400, env(400, "input.mode must be 'text-to-video' or 'image-to-video'"));
  const prompt = input.prompt;
  if (typeof prompt !== 'string' || !prompt.trim()) return ctx.json(400, env(400, 'input.prompt is required'));
  if (prompt.length > MAX_PROMPT) return ctx.json(400, env(400, `input.prompt must be at most ${MAX_PROMPT} characters`));
  const images = input.image_urls;
  if (mode === 'image-to-video' && (!Array.isArray(images) || images.length !== 1 || typeof images[0] !== 'string')) {
    return ctx.json(400, env(400, 'input.image_urls must contain exactly 1 URL for image-to-video'));
  }
  const seconds = parseSeconds(input.duration ?? 8);
  const allowed = DURATIONS[model];
  if (seconds === undefined || !Number.isInteger(seconds) || (allowed ? !allowed.includes(seconds) : seconds < 1 || seconds > 20)) {
    return ctx.json(400, env(400, `input.duration must be one of ${(allowed ?? [1, 20]).join(allowed ? ', ' : '-')}`));
  }
  const pro = model.endsWith('-pro');
  let size: { width: number; height: number };
  if (pro) {
    // sora-2-pro spells the frame as `size` (text) or `resolution` (image); aspect_ratio is not a pro field.
    if (input.aspect_ratio !== undefined)
      return ctx.json(
        400,
        env(400, 'input.aspect_ratio is not a sora-2-pro field; use input.size (text-to-video) or input.resolution (image-to-video)'),
      );
    if (mode === 'text-to-video') {
      const wh = PRO_SIZES[String(input.size ?? '720*1280')];
      if (!wh) return ctx.json(400, env(400, `input.size must be one of ${Object.keys(PRO_SIZES).join(', ')}`));
      size = { width: wh[0], height: wh[1] };
    } else {
      if (input.size !== undefined)
        return ctx.json(400, env(400, 'input.size is for text-to-video; image-to-video takes input.resolution'));
      const res = String(input.resolution ?? '720p');
      if (!PRO_I2V_RES.includes(res)) return ctx.json(400, env(400, `input.resolution must be one of ${PRO_I2V_RES.join(', ')}`));
      size = sizeFor('landscape', res);
    }
  } else {
    if (input.size !== undefined || input.resolution !== undefined)
      return ctx.json(400, env(400, 'sora-2 takes input.aspect_ratio only (size/resolution are sora-2-pro fields)'));
    const aspect = input.aspect_ratio ?? 'landscape';
    if (aspect !== 'landscape' && aspect !== 'portrait')
      return ctx.json(400, env(400, "input.aspect_ratio must be 'landscape' or 'portrait'"));
    size = sizeFor(aspect, '720p');
  }
  if (!core.admit(ctx, apixo)) return;

  const fail = mode === 'image-to-video' && core.store.count('apixo') % 2 === 1 ? INVALID_IMAGE_URL : CONTENT_VIOLATION;
  const t = core.createTask({
    provider: 'apixo',
    id: core.newId(32),
    key: ctx.key,
    prompt,
    model,
    ...size,
    seconds,
    callbackUrl: requestType === 'callback' ? (cb as string) : undefined,
    meta: { request: b },
    failCode: fail.code,
    failMessage: fail.msg,
  });
  ctx.json(200, env(200, 'success', { taskId: t.id }));
}

async function handle(ctx: Ctx): Promise<void> {
  const gen = /^\/api\/v1\/generateTask\/([^/]+)$/.exec(ctx.path);
  if (ctx.method === 'POST' && gen) return generate(ctx, decodeURIComponent(gen[1]!));
  const st = /^\/api\/v1\/statusTask\/([^/]+)$/.exec(ctx.path);
  if (ctx.method === 'GET' && st) {
    const id = ctx.url.searchParams.get('taskId');
    if (!id) return ctx.json(400, env(400, 'taskId is required (query parameter)'));
    const t = ctx.core.store.get('apixo', id);
    if (!t) return ctx.json(404, env(404, `task not found: ${id}`));
    return ctx.json(200, env(200, 'success', taskData(ctx.core, t)));
  }
  ctx.json(404, env(404, `no route ${ctx.method} ${ctx.path}`));
}

function callbacks(core: EmuCore, t: EmuTask, p: Phase): Delivery[] {
  if (!t.callbackUrl) return [];
  const out: Delivery[] = [{ url: t.callbackUrl, body: JSON.stringify(env(200, 'success', taskData(core, t, p))), headers: {} }];
  if (core.opts.outOfOrder)
    out.push({
      url: t.callbackUrl,
      body: JSON.stringify(env(200, 'success', taskData(core, t, { kind: 'running', progress: 50 }))),
      headers: {},
    });
  return out;
}

export const apixo: ProviderModule = {
  name: 'apixo',
  prefix: '/apixo',
  authScheme: 'Bearer',
  classify(method, path) {
    if (method === 'POST' && path.startsWith('/api/v1/generateTask/')) return 'create';
    if (method === 'GET' && path.startsWith('/api/v1/statusTask/')) return 'status';
    return 'other';
  },
  unauthorized: (ctx) => ctx.json(401, env(401, 'Unauthorized: invalid or missing API key')),
  rateLimited: (ctx, s, reason) =>
    ctx.json(429, env(429, reason === 'concurrency' ? 'Too many concurrent tasks' : 'Too many requests'), { 'retry-after': String(s) }),
  serverError: (ctx) => ctx.json(503, env(503, 'Service unavailable')),
  quotaExhausted: (ctx) => ctx.json(402, env(402, 'Insufficient balance')),
  expiredFile(res) {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
  },
  handle,
  callbacks,
};
