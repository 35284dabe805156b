/** Replicate predictions: `output` is a URL string, 429s carry their wait only in the body text, webhooks are Standard Webhooks. */
import { standardWebhookSignature, DEFAULT_WEBHOOK_SECRETS, type Delivery } from '../callbacks.ts';
import type { Ctx, EmuCore, ProviderModule } from '../core.ts';
import { isRecord, parseJson, sendJson } from '../http.ts';
import { parseSeconds, sizeFor } from '../sizes.ts';
import type { EmuTask, Phase } from '../tasks.ts';

const problem = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}) => ({ title, detail, status, ...extra });
const EVENTS = ['start', 'output', 'logs', 'completed'];

function statusOf(p: Phase): string {
  switch (p.kind) {
    case 'queued':
      return 'starting';
    case 'running':
      return 'processing';
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'aborted':
      return 'aborted';
    case 'canceled':
      return 'canceled';
  }
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

export function prediction(core: EmuCore, t: EmuTask, p: Phase = core.phase(t)): Record<string, unknown> {
  const base = `${core.baseUrl}${replicate.prefix}`;
  const done = p.kind === 'queued' || p.kind === 'running' ? undefined : p.completedAt;
  const started = p.kind === 'queued' ? undefined : t.createdAt + Math.round((t.dueAt - t.createdAt) * 0.2);
  const removed = p.kind === 'succeeded' && core.now() > core.urlExpiresAt('replicate', p.completedAt);
  return {
    id: t.id,
    model: t.model,
    version: (t.meta.version as string | undefined) ?? 'hidden',
    input: t.meta.input,
    logs: p.kind === 'queued' ? '' : `emulated ${t.model}\n`,
    output: p.kind === 'succeeded' ? core.resultUrl(t, p) : null,
    data_removed: removed,
    error: p.kind === 'failed' ? p.message : null,
    source: 'api',
    status: statusOf(p),
    created_at: iso(t.createdAt),
    started_at: iso(started),
    completed_at: iso(done),
    urls: { get: `${base}/predictions/${t.id}`, cancel: `${base}/predictions/${t.id}/cancel`, web: `https://replicate.com/p/${t.id}` },
    metrics: done !== undefined && started !== undefined ? { predict_time: (done - started) / 1000 } : {},
  };
}

async function create(ctx: Ctx, model: string, version?: string): Promise<void> {
  const { core } = ctx;
  const parsed = parseJson(await ctx.body());
  if (!parsed.ok || !isRecord(parsed.value)) return ctx.json(400, problem(400, 'Invalid JSON', 'The request body is not valid JSON.'));
  const b = parsed.value;
  const input = isRecord(b.input) ? b.input : undefined;
  const invalid = (field: string, msg: string) =>
    ctx.json(422, problem(422, 'Input validation failed', `- input.${field}: ${msg}`, { invalid_fields: [{ type: 'invalid', field: `input.${field}`, description: msg }] }));
  if (!input) return ctx.json(422, problem(422, 'Input validation failed', '- input: input is required'));
  if (typeof input.prompt !== 'string' || !input.prompt.trim()) return invalid('prompt', 'prompt is required');
  const sora = model.includes('sora-2');
  const seconds = parseSeconds(input.seconds ?? input.duration ?? (sora ? 4 : 5));
  if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1 || seconds > 20) return invalid('seconds', 'must be an integer number of seconds');
  if (sora && ![4, 8, 12].includes(seconds)) return invalid('seconds', 'must be one of: 4, 8, 12');
  const aspect = input.aspect_ratio ?? (sora ? 'portrait' : '16:9');
  if (!['portrait', 'landscape', '16:9', '9:16', '1:1'].includes(String(aspect))) return invalid('aspect_ratio', 'must be one of: portrait, landscape');
  const res = String(input.resolution ?? (input.mode === 'pro' ? '1080p' : sora ? 'standard' : '720p'));
  if (!['standard', 'high', '480p', '720p', '1080p'].includes(res)) return invalid('resolution', 'must be one of: standard, high');
  if (sora && res === 'high' && !model.includes('pro')) return invalid('resolution', 'high is only available for sora-2-pro');
  const hook = b.webhook;
  if (hook !== undefined && (typeof hook !== 'string' || !/^https?:\/\//.test(hook))) return ctx.json(422, problem(422, 'Invalid webhook', 'webhook must be an HTTP(S) URL'));
  const filter = b.webhook_events_filter;
  if (filter !== undefined && (!Array.isArray(filter) || filter.some((e) => !EVENTS.includes(String(e))))) {
    return ctx.json(422, problem(422, 'Invalid webhook_events_filter', `events must be among ${EVENTS.join(', ')}`));
  }
  if (!core.admit(ctx, replicate)) return;
  const t = core.createTask({
    provider: 'replicate',
    id: core.ids.alnum(26),
    key: ctx.key,
    prompt: input.prompt,
    model,
    ...sizeFor(aspect, res),
    seconds,
    callbackUrl: hook as string | undefined,
    meta: { input, version, filter: (filter as string[] | undefined) ?? EVENTS },
    failCode: 'E001',
    failMessage: 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)',
  });
  ctx.json(201, prediction(core, t));
}

async function handle(ctx: Ctx): Promise<void> {
  const { core, method, path } = ctx;
  const m = /^\/models\/([^/]+)\/([^/]+)\/predictions$/.exec(path);
  if (method === 'POST' && m) return create(ctx, `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`);
  if (method === 'POST' && path === '/predictions') {
    // Version-based create: the model is unknown here, the version id stands in for it.
    const parsed = parseJson(await ctx.body());
    const v = parsed.ok && isRecord(parsed.value) ? parsed.value.version : undefined;
    if (typeof v !== 'string' || !v) return ctx.json(422, problem(422, 'Invalid version', 'version is required'));
    const model = v.includes('/') ? v.split(':')[0]! : `unknown/${v.slice(0, 12)}`;
    return create(ctx, model, v.includes(':') ? v.split(':')[1] : v);
  }
  const g = /^\/predictions\/([^/]+)(\/cancel)?$/.exec(path);
  if (g) {
    const t = core.store.get('replicate', decodeURIComponent(g[1]!));
    if (!t) return ctx.json(404, problem(404, 'Not found', 'The requested resource could not be found.'));
    if (method === 'GET' && !g[2]) return ctx.json(200, prediction(core, t));
    if (method === 'POST' && g[2]) {
      const p = core.phase(t);
      if (p.kind === 'queued' || p.kind === 'running') t.canceledAt = core.now();
      return ctx.json(200, prediction(core, t));
    }
  }
  ctx.json(404, problem(404, 'Not found', 'The requested resource could not be found.'));
}

function callbacks(core: EmuCore, t: EmuTask, p: Phase): Delivery[] {
  if (!t.callbackUrl) return [];
  const filter = t.meta.filter as string[];
  const secret = core.secrets.replicate ?? DEFAULT_WEBHOOK_SECRETS.replicate;
  const make = (phase: Phase): Delivery => {
    const id = `msg_${core.newId(26)}`;
    const ts = Math.floor(core.now() / 1000);
    const body = JSON.stringify(prediction(core, t, phase));
    return { url: t.callbackUrl!, body, headers: { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': standardWebhookSignature(secret, id, ts, body) } };
  };
  const out: Delivery[] = [];
  if (filter.includes('completed')) out.push(make(p));
  if (core.opts.outOfOrder && (filter.includes('start') || filter.includes('logs'))) out.push(make({ kind: 'running', progress: 50 }));
  return out;
}

export const replicate: ProviderModule = {
  name: 'replicate',
  prefix: '/replicate/v1',
  authScheme: 'Bearer',
  classify(method, path) {
    if (method === 'POST' && (/^\/models\/[^/]+\/[^/]+\/predictions$/.test(path) || path === '/predictions')) return 'create';
    if (method === 'GET' && /^\/predictions\/[^/]+$/.test(path)) return 'status';
    if (method === 'GET' && path === '/predictions') return 'list';
    return 'other';
  },
  unauthorized: (ctx) => ctx.json(401, problem(401, 'Unauthenticated', 'You did not pass a valid authentication token')),
  // Replicate gives no Retry-After header: the wait is only in the detail text.
  rateLimited: (ctx, s) => ctx.json(429, problem(429, 'Request was throttled.', `Request was throttled. Your rate limit resets in ~${s}s.`)),
  serverError: (ctx) => ctx.json(503, problem(503, 'Service Unavailable', 'The service is temporarily unavailable. Please try again.')),
  quotaExhausted: (ctx) =>
    ctx.json(402, problem(402, 'Insufficient credit', 'You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit.')),
  expiredFile: (res) => sendJson(res, 404, problem(404, 'Not found', 'The file has been deleted.')),
  handle,
  callbacks,
};
