/**
 * Replicate predictions: `output` is a URL string, 429s carry their wait in the body (`retry_after`
 * and the detail text, no header), webhooks are Standard Webhooks. Inputs are checked against the
 * model's vendored schema (specs/replicate); input and output are removed an hour after the end.
 */
import { standardWebhookSignature, DEFAULT_WEBHOOK_SECRETS, type Delivery } from '../callbacks.ts';
import { prefixOf, type Ctx, type EmuCore, type ProviderModule } from '../core.ts';
import { isRecord, parseJson, sendJson } from '../http.ts';
import { effective, loadInputSchemas, validateInput } from '../input-schema.ts';
import { parseSeconds, sizeFor } from '../sizes.ts';
import { isTerminal, type EmuTask, type Phase } from '../tasks.ts';
import { files, getModel, problem, webhookSecret } from './replicate-extra.ts';

const DATA_RETENTION_MS = 60 * 60_000;
const PAGE = 100;
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

/** When the prediction started running, or undefined if it never did (a cancel before the start). */
function startedAt(t: EmuTask, p: Phase): number | undefined {
  const start = t.createdAt + Math.round((t.dueAt - t.createdAt) * 0.2);
  if (p.kind === 'queued' || p.kind === 'aborted') return undefined;
  if (p.kind === 'canceled' && p.completedAt < start) return undefined;
  return start;
}

export function prediction(core: EmuCore, t: EmuTask, p: Phase = core.phase(t)): Record<string, unknown> {
  const base = `${core.baseUrl}${prefixOf(t, replicate.prefix)}`;
  const done = p.kind === 'queued' || p.kind === 'running' ? undefined : p.completedAt;
  const started = startedAt(t, p);
  const retention = core.faults.replicate.get().dataRetentionMs ?? DATA_RETENTION_MS;
  // API predictions lose their input and output an hour after they finish.
  const removed = done !== undefined && core.now() > done + retention;
  return {
    id: t.id,
    model: t.model,
    version: typeof t.meta.version === 'string' ? t.meta.version : 'hidden',
    input: removed ? {} : t.meta.input,
    logs: p.kind === 'queued' || removed ? '' : `emulated ${t.model}\n`,
    output: p.kind === 'succeeded' && !removed ? core.resultUrl(t, p) : null,
    data_removed: removed,
    error: p.kind === 'failed' ? p.message : null,
    source: 'api',
    status: statusOf(p),
    created_at: iso(t.createdAt),
    started_at: iso(started),
    completed_at: iso(done),
    urls: {
      get: `${base}/predictions/${t.id}`,
      cancel: `${base}/predictions/${t.id}/cancel`,
      web: `https://replicate.com/p/${t.id}`,
      stream: null,
    },
    // Billed time: a prediction canceled after it started is billed for the time it ran (2025-10-16).
    metrics: done !== undefined && started !== undefined ? { predict_time: (done - started) / 1000 } : {},
  };
}

/** `Prefer: wait` / `wait=N` (1–60 s): hold the create's answer until the prediction ends or the wait is over. */
function preferWaitMs(ctx: Ctx): number | undefined {
  const m = /(?:^|[;,\s])wait(?:=(\d+))?(?:$|[;,\s])/.exec(String(ctx.req.headers.prefer ?? ''));
  if (!m) return undefined;
  const n = m[1] === undefined ? 60 : Math.min(60, Math.max(1, Number(m[1])));
  return n * 1000;
}

async function holdUntilDone(core: EmuCore, t: EmuTask, waitMs: number): Promise<void> {
  const end = core.now() + waitMs;
  while (!isTerminal(core.phase(t)) && core.now() < end) {
    const left = t.dueAt - core.now();
    if (left > 0) await core.clock.sleep(Math.min(left, end - core.now()));
    else if (t.renderPromise) await Promise.race([t.renderPromise, new Promise((r) => setTimeout(r, 50))]);
    else break;
  }
}

async function create(ctx: Ctx, model: string, version?: string): Promise<void> {
  const { core } = ctx;
  const parsed = parseJson(await ctx.body());
  if (!parsed.ok || !isRecord(parsed.value)) return ctx.json(400, problem(400, 'Invalid JSON', 'The request body is not valid JSON.'));
  const b = parsed.value;
  const input = isRecord(b.input) ? b.input : undefined;
  const invalid = (field: string, msg: string) =>
    ctx.json(
      422,
      problem(422, 'Input validation failed', `- input.${field}: ${msg}`, {
        invalid_fields: [{ type: 'invalid', field: `input.${field}`, description: msg }],
      }),
    );
  if (!input) return ctx.json(422, problem(422, 'Input validation failed', '- input: input is required'));
  const schema = loadInputSchemas('replicate').get(model);
  const errs = schema ? validateInput(schema, input) : [];
  if (errs.length) {
    const lines = errs.map((e) => `- input.${e.field}: ${e.message}`).join('\n');
    return ctx.json(
      422,
      problem(422, 'Input validation failed', lines, {
        invalid_fields: errs.map((e) => ({ type: e.type, field: `input.${e.field}`, description: e.message })),
      }),
    );
  }
  if (typeof input.prompt !== 'string' || !input.prompt.trim()) return invalid('prompt', 'prompt is required');
  const sora = model.includes('sora-2');
  const seconds = parseSeconds(
    input.seconds ?? input.duration ?? effective(schema, input, 'seconds') ?? effective(schema, input, 'duration') ?? 5,
  );
  if (seconds === undefined || !Number.isInteger(seconds) || seconds < -1 || seconds > 20)
    return invalid('seconds', 'must be an integer number of seconds');
  if (sora && ![4, 8, 12].includes(seconds)) return invalid('seconds', 'must be one of: 4, 8, 12');
  const aspect = effective(schema, input, 'aspect_ratio') ?? (sora ? 'portrait' : '16:9');
  if (!schema && !['portrait', 'landscape', '16:9', '9:16', '1:1'].includes(String(aspect)))
    return invalid('aspect_ratio', 'must be one of: portrait, landscape');
  const mode = effective(schema, input, 'mode');
  const res = String(
    effective(schema, input, 'resolution') ?? (mode === 'pro' ? '1080p' : mode === 'standard' ? '720p' : sora ? 'standard' : '720p'),
  );
  if (!schema && !['standard', 'high', '480p', '720p', '1080p'].includes(res))
    return invalid('resolution', 'must be one of: standard, high');
  if (sora && res === 'high' && !model.includes('pro')) return invalid('resolution', 'high is only available for sora-2-pro');
  const hook = b.webhook;
  if (hook !== undefined && (typeof hook !== 'string' || !/^https?:\/\//.test(hook)))
    return ctx.json(422, problem(422, 'Invalid webhook', 'webhook must be an HTTP(S) URL'));
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
    ...sizeFor(aspect === 'adaptive' ? '16:9' : aspect, res),
    seconds: seconds > 0 ? seconds : 5, // -1: the model picks
    callbackUrl: typeof hook === 'string' ? hook : undefined,
    meta: {
      input,
      version,
      filter: Array.isArray(filter) ? filter.map(String) : EVENTS,
      ...(ctx.mountPrefix ? { mount: ctx.mountPrefix } : {}),
    },
    failCode: 'E001',
    failMessage: 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)',
  });
  const wait = preferWaitMs(ctx);
  if (wait !== undefined) await holdUntilDone(core, t, wait);
  ctx.json(201, prediction(core, t));
}

/**
 * `GET /predictions`: the account's predictions, newest first, 100 a page, with `next`/`previous`
 * cursor URLs; `created_after` / `created_before` (ISO 8601) narrow the window.
 */
function list(ctx: Ctx): void {
  const { core, url } = ctx;
  const after = Date.parse(url.searchParams.get('created_after') ?? '');
  const before = Date.parse(url.searchParams.get('created_before') ?? '');
  const page = Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || '0') || 0;
  const mine = core.store
    .all('replicate')
    .filter(
      (t) =>
        !t.deleted &&
        t.key === ctx.key &&
        (!Number.isFinite(after) || t.createdAt > after) &&
        (!Number.isFinite(before) || t.createdAt < before),
    )
    .reverse();
  const link = (n: number) => {
    const u = new URL(`${core.baseUrl}${ctx.prefix}/predictions`);
    for (const [k, v] of url.searchParams) if (k !== 'cursor') u.searchParams.set(k, v);
    u.searchParams.set('cursor', Buffer.from(String(n)).toString('base64url'));
    return u.toString();
  };
  const results = mine.slice(page * PAGE, (page + 1) * PAGE).map((t) => prediction(core, t));
  ctx.json(200, { next: mine.length > (page + 1) * PAGE ? link(page + 1) : null, previous: page > 0 ? link(page - 1) : null, results });
}

async function handle(ctx: Ctx): Promise<void> {
  const { core, method, path } = ctx;
  if (method === 'GET' && path === '/predictions') return list(ctx);
  if (method === 'GET' && path === '/webhooks/default/secret') return webhookSecret(ctx);
  const f = /^\/files(?:\/([^/]+))?$/.exec(path);
  if (f) return files(ctx, f[1] === undefined ? undefined : decodeURIComponent(f[1]));
  const model = /^\/models\/([^/]+)\/([^/]+)$/.exec(path);
  if (method === 'GET' && model) return getModel(ctx, decodeURIComponent(model[1] ?? ''), decodeURIComponent(model[2] ?? ''));
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
    const t = core.store.get('replicate', decodeURIComponent(g[1] ?? ''));
    if (!t || t.key !== ctx.key) return ctx.json(404, problem(404, 'Not found', 'The requested resource could not be found.'));
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
    return {
      url: t.callbackUrl!,
      body,
      headers: { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': standardWebhookSignature(secret, id, ts, body) },
    };
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
  // Replicate gives no Retry-After header: the wait is in the body (`retry_after`, seconds) and its detail text.
  rateLimited: (ctx, s) =>
    ctx.json(429, problem(429, 'Request was throttled.', `Request was throttled. Your rate limit resets in ~${s}s.`, { retry_after: s })),
  serverError: (ctx) => ctx.json(503, problem(503, 'Service Unavailable', 'The service is temporarily unavailable. Please try again.')),
  quotaExhausted: (ctx) =>
    ctx.json(
      402,
      problem(
        402,
        'Insufficient credit',
        'You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit.',
      ),
    ),
  expiredFile: (res) => sendJson(res, 404, problem(404, 'Not found', 'The file has been deleted.')),
  handle,
  callbacks,
};
