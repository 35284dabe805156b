/**
 * Shared HTTP handling for the adapters: send a `WireRequest` with the injected `fetch`, then classify
 * what came back. The classifiers are pure functions of (status, headers, body) or (error, operation)
 * so tables can test them; only `sendWire` does I/O.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ProviderEnv, StatusOutcome, SubmitOutcome, WireRequest } from './types.ts';
import { headersForOrigin } from './origin.ts';
import { DEFAULT_RETRY_AFTER_MS, parseRetryAfter } from './retry-after.ts';
import { MAX_API_BODY_BYTES, readCapped, TransportError } from './transport.ts';

/** A create may have been received by the provider; a GET is idempotent and never ambiguous. */
export type Op = 'create' | 'get';

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
}

export type HttpResult =
  | { ok: true; res: HttpResponse }
  /** `notSent`: we know the request never left (aborted before fetch was called). */
  | { ok: false; error: unknown; notSent: boolean };

/** Last-resort deadline for one API call; the transport's own connect/headers/body timeouts come first. */
export const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export function headersToRecord(h: Headers | Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (typeof (h as Headers).forEach === 'function' && typeof (h as Headers).get === 'function') {
    (h as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
  } else {
    for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = String(v);
  }
  return out;
}

export function parseBody(text: string): unknown {
  const t = text.trim();
  if (!t) return undefined;
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** Resolve a WireRequest path against a base URL; absolute URLs (fal's status_url) are used as given. */
export function buildUrl(baseUrl: string, path: string, query?: Record<string, string>): string {
  const url = /^https?:\/\//i.test(path)
    ? new URL(path)
    : new URL(baseUrl.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`));
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  return url.toString();
}

async function buildBody(req: WireRequest): Promise<{ body?: BodyInit; contentType?: string }> {
  if (req.multipart) {
    const form = new FormData();
    for (const [k, v] of Object.entries(req.multipart.fields)) form.append(k, v);
    for (const f of req.multipart.files) {
      const bytes = await readFile(f.path);
      form.append(f.field, new Blob([bytes], { type: f.contentType }), basename(f.path));
    }
    return { body: form }; // fetch sets the boundary
  }
  if (req.json !== undefined) return { body: JSON.stringify(req.json), contentType: 'application/json' };
  return {};
}

export interface SendOptions {
  /** Auth and any provider headers. */
  headers: Record<string, string>;
  timeoutMs?: number;
}

/** Send one request. Never throws for network trouble: the caller classifies `{ok:false}`. */
export async function sendWire(env: ProviderEnv, req: WireRequest, opts: SendOptions): Promise<HttpResult> {
  if (env.signal?.aborted) return { ok: false, error: env.signal.reason, notSent: true };
  let url: string;
  let built: { body?: BodyInit; contentType?: string };
  try {
    url = buildUrl(env.baseUrl, req.path, req.query);
    built = await buildBody(req);
  } catch (error) {
    return { ok: false, error, notSent: true };
  }
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = env.signal ? AbortSignal.any([env.signal, timeout]) : timeout;
  // A follow-up URL on another origin never gets the key (see origin.ts).
  const headers: Record<string, string> = headersForOrigin(url, env.baseUrl, { accept: 'application/json', ...opts.headers });
  if (built.contentType) headers['content-type'] = built.contentType;
  try {
    const res = await env.fetch(url, { method: req.method, headers, body: built.body, signal });
    const read = await readCapped(res, MAX_API_BODY_BYTES);
    if (!read.ok) {
      // An answer arrived, so for a create the request was received: that stays ambiguous.
      const error = new TransportError(new Error(`response body over ${MAX_API_BODY_BYTES} bytes (${read.bytes}+), not read`), {
        requestSent: true,
        responseStarted: true,
      });
      return { ok: false, error, notSent: false };
    }
    return { ok: true, res: { status: res.status, headers: headersToRecord(res.headers), body: parseBody(read.text) } };
  } catch (error) {
    return { ok: false, error, notSent: false };
  }
}

// ---------------------------------------------------------------------------------------------
// Transport errors

/** Failures that happen while connecting, i.e. before a byte of the request can have been sent. */
const CONNECT_PHASE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_INVALID_URL',
]);

interface ErrorFacts {
  codes: string[];
  messages: string[];
  /** How far the request got, when our own transport sent it. */
  lifecycle?: TransportError['lifecycle'];
}

/** Walk `cause` chains and AggregateError members (happy-eyeballs connects fail as an aggregate). */
export function errorFacts(err: unknown): ErrorFacts {
  const facts: ErrorFacts = { codes: [], messages: [] };
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (!e || typeof e !== 'object' || seen.has(e) || depth > 8) {
      if (typeof e === 'string') facts.messages.push(e);
      return;
    }
    seen.add(e);
    if (e instanceof TransportError) facts.lifecycle ??= e.lifecycle;
    const o = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof o.code === 'string') facts.codes.push(o.code);
    if (typeof o.name === 'string' && o.name !== 'Error' && o.name !== 'TypeError' && o.name !== 'TransportError') facts.codes.push(o.name);
    if (typeof o.message === 'string' && o.message) facts.messages.push(o.message);
    if (Array.isArray(o.errors)) for (const x of o.errors) visit(x, depth + 1);
    visit(o.cause, depth + 1);
  };
  visit(err, 0);
  return facts;
}

/**
 * A request that got no HTTP answer. On a GET that is always transient. On a create it is
 * transient only when we know the provider cannot have acted on it: our transport saw that the
 * request never finished leaving (connect refused, reset while sending), or — for a fetch without
 * that record (tests' injected fetch) — a connect-phase error code. Anything after the whole request
 * left (reset, headers timeout, our own abort) is ambiguous: the provider may have created — and
 * will bill — the task.
 */
export function classifyTransportError(err: unknown, op: Op, notSent = false): { kind: 'transient' | 'ambiguous'; message: string } {
  const f = errorFacts(err);
  const detail = [...new Set(f.messages)].join(': ') || String(err);
  const codes = [...new Set(f.codes)];
  const message = codes.length ? `${detail} (${codes.join(', ')})` : detail;
  if (op === 'get' || notSent) return { kind: 'transient', message };
  if (f.lifecycle) return { kind: f.lifecycle.requestSent ? 'ambiguous' : 'transient', message };
  if (codes.some((c) => CONNECT_PHASE.has(c))) return { kind: 'transient', message };
  return { kind: 'ambiguous', message };
}

// ---------------------------------------------------------------------------------------------
// HTTP error answers

const QUOTA_CODES =
  /insufficient_quota|insufficient_credits|insufficient_balance|quota_exceeded|billing_hard_limit|out_of_credits|credits_exhausted/i;

/** Best-effort code + message from the error shapes the six providers use. */
export function errorInfo(body: unknown, fallbackCode: string): { code: string; message: string } {
  if (typeof body === 'string') return { code: fallbackCode, message: body.slice(0, 500) || fallbackCode };
  if (!body || typeof body !== 'object') return { code: fallbackCode, message: fallbackCode };
  const o = body as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  const err = o.error;
  if (err && typeof err === 'object') {
    const e = err as Record<string, unknown>;
    return { code: str(e.code) ?? str(e.type) ?? fallbackCode, message: str(e.message) ?? JSON.stringify(e) };
  }
  if (Array.isArray(o.detail)) {
    // fal / FastAPI validation: [{loc, msg, type}]
    const first = o.detail[0] as Record<string, unknown> | undefined;
    const msgs = o.detail.map((d) => {
      const x = d as Record<string, unknown>;
      const loc = Array.isArray(x.loc) ? `${x.loc.join('.')}: ` : '';
      return `${loc}${str(x.msg) ?? JSON.stringify(x)}`;
    });
    return { code: str(first?.type) ?? fallbackCode, message: msgs.join('; ') };
  }
  const code = str(o.failCode) ?? str(o.code) ?? str(o.type) ?? str(err) ?? fallbackCode;
  const message =
    str(o.detail) ?? str(o.message) ?? str(o.msg) ?? str(o.failMsg) ?? str(o.error_message) ?? str(err) ?? str(o.title) ?? code;
  return { code, message };
}

function isQuota(status: number, body: unknown, info: { code: string; message: string }): boolean {
  if (status === 402) return true;
  if (QUOTA_CODES.test(info.code)) return true;
  const type = body && typeof body === 'object' ? (body as { error?: { type?: unknown } }).error?.type : undefined;
  return typeof type === 'string' && QUOTA_CODES.test(type);
}

/** Status codes a retry can cure. 408/425 mean the server gave up before processing. */
function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425;
}

export type HttpFailure =
  | { kind: 'rejected'; code: string; message: string; httpStatus: number }
  | { kind: 'throttled'; retryAfterMs: number; message: string }
  | { kind: 'transient'; message: string; httpStatus: number; retryAfterMs?: number }
  | { kind: 'quota_exhausted'; message: string }
  | { kind: 'not_found'; message: string };

/**
 * Classify a non-success answer. `status` is the effective status: for envelope APIs (APIDot,
 * APIXO) the caller passes `body.code` when the HTTP status was 200.
 */
export function classifyHttpFailure(
  status: number,
  headers: Record<string, string>,
  body: unknown,
  nowMs: number,
  defaultRetryMs = DEFAULT_RETRY_AFTER_MS,
): HttpFailure {
  const info = errorInfo(body, `http_${status}`);
  const message = `HTTP ${status}: ${info.message}`;
  if (isQuota(status, body, info)) return { kind: 'quota_exhausted', message };
  if (status === 429) return { kind: 'throttled', retryAfterMs: parseRetryAfter(headers, body, nowMs)?.ms ?? defaultRetryMs, message };
  if (isTransientStatus(status)) {
    const ra = parseRetryAfter(headers, body, nowMs);
    return ra
      ? { kind: 'transient', message, httpStatus: status, retryAfterMs: ra.ms }
      : { kind: 'transient', message, httpStatus: status };
  }
  if (status === 404 || status === 410) return { kind: 'not_found', message };
  return { kind: 'rejected', code: status === 401 ? 'unauthorized' : info.code, message, httpStatus: status };
}

/** The same failure seen from a create: a 404 there means "no such model/route", a rejection. */
export function failureToSubmit(f: HttpFailure): SubmitOutcome {
  if (f.kind === 'not_found') return { kind: 'rejected', code: 'not_found', message: f.message, httpStatus: 404 };
  return f;
}

export function failureToStatus(f: HttpFailure): StatusOutcome {
  if (f.kind === 'rejected') {
    // A GET refused for auth or validation will not fix itself; report it as a failed call the executor
    // retries a bounded number of times rather than inventing a task failure.
    return { kind: 'transient', message: f.message, httpStatus: f.httpStatus };
  }
  return f;
}

/** Transport error → submit outcome. */
export function transportToSubmit(err: unknown, notSent: boolean): SubmitOutcome {
  return classifyTransportError(err, 'create', notSent);
}

export function transportToStatus(err: unknown): StatusOutcome {
  const c = classifyTransportError(err, 'get');
  return { kind: 'transient', message: c.message };
}

export function isUrl(s: string | undefined): boolean {
  return !!s && /^https?:\/\//i.test(s);
}

export function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function asString(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined;
}

export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * Envelope APIs (APIDot, APIXO) answer HTTP 200 with `{code: 400, …}`: the effective status is the
 * envelope's numeric `code` when the HTTP status was 2xx, else the HTTP status.
 */
export function envelopeStatus(httpStatus: number, body: unknown): number {
  const code = asNumber(asRecord(body).code);
  return httpStatus >= 200 && httpStatus < 300 && code !== undefined && Number.isInteger(code) && code >= 100 && code < 600
    ? code
    : httpStatus;
}
