/**
 * The HTTP transport for provider APIs and downloads: undici 7 (pinned in the lockfile, not whichever
 * undici the user's Node bundles), one `Agent` per provider with explicit connect, headers and body
 * timeouts and a connection limit from the provider's concurrency. Each request records its own
 * lifecycle (did the whole request leave? did an answer start?) so that whether a failed create may
 * have been billed is decided from facts, not guessed from error text.
 */
import { Readable } from 'node:stream';
import { Agent, Dispatcher, fetch as undiciFetch } from 'undici';
import { currentCreate, REACHES_ON_SOCKET, type CreateScope } from './create-scope.ts';

/** How far a request got before it failed. */
export interface Lifecycle {
  /** The whole request (headers and body) was handed to the socket: the server may act on it. */
  requestSent: boolean;
  /** Response headers arrived. */
  responseStarted: boolean;
}

/** A request that got no (complete) HTTP answer, with how far it got and undici's error code. */
export class TransportError extends Error {
  readonly code: string | undefined;
  constructor(
    override readonly cause: unknown,
    readonly lifecycle: Lifecycle,
  ) {
    const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
    super(inner instanceof Error ? inner.message : String(inner));
    this.name = 'TransportError';
    this.code = codeOf(inner) ?? codeOf(cause);
  }
}

function codeOf(e: unknown): string | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const code = 'code' in e ? e.code : undefined;
  if (typeof code === 'string') return code;
  const name = 'name' in e ? e.name : undefined;
  return typeof name === 'string' && name !== 'Error' && name !== 'TypeError' ? name : undefined;
}

export interface TransportOptions {
  /** Concurrent connections to one origin (the provider's in-flight or download limit). */
  connections: number;
  connectTimeoutMs?: number;
  /** Longest wait for response headers once the request was sent (a create may take this long). */
  headersTimeoutMs?: number;
  /** Longest silence between two chunks of a response body. */
  bodyTimeoutMs?: number;
}

export const TRANSPORT_DEFAULTS = { connectTimeoutMs: 10_000, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000 } as const;

/** Watches one request through undici's dispatch hooks; passes everything on to fetch's own handler. */
class LifecycleHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly life: Lifecycle,
  ) {}
  onConnect(abort: (err?: Error) => void): void {
    this.inner.onConnect?.(abort);
  }
  onRequestSent(): void {
    this.life.requestSent = true;
  }
  onBodySent(chunkSize: number, total: number): void {
    this.inner.onBodySent?.(chunkSize, total);
  }
  onResponseStarted(): void {
    this.inner.onResponseStarted?.();
  }
  onHeaders(status: number, headers: Buffer[], resume: () => void, text: string): boolean {
    this.life.responseStarted = true;
    return this.inner.onHeaders?.(status, headers, resume, text) ?? true;
  }
  onData(chunk: Buffer): boolean {
    return this.inner.onData?.(chunk) ?? true;
  }
  onComplete(trailers: string[] | null): void {
    this.inner.onComplete?.(trailers);
  }
  onError(err: Error): void {
    this.inner.onError?.(err);
  }
  onUpgrade(status: number, headers: Buffer[] | string[] | null, socket: import('node:stream').Duplex): void {
    this.inner.onUpgrade?.(status, headers, socket);
  }
}

/** One request's view of the provider's Agent. */
class Tracked extends Dispatcher {
  constructor(
    private readonly agent: Agent,
    private readonly life: Lifecycle,
    private readonly create: CreateScope | undefined,
  ) {
    super();
  }
  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const body = this.create ? heldBody(opts.body, this.create) : opts.body;
    return this.agent.dispatch({ ...opts, body }, new LifecycleHandler(handler, this.life));
  }
}

/**
 * A create's body, released only once its scope was reached: undici pulls the first chunk when the
 * request is being written on a connected socket, so a create that never got a socket (refused,
 * unreachable) never reaches its scope. The headers announce a length the provider waits for, so it
 * cannot act on the request before these bytes, which follow the scope's write.
 */
function heldBody(body: Dispatcher.DispatchOptions['body'], scope: CreateScope): Dispatcher.DispatchOptions['body'] {
  if (body === null || body === undefined) return body; // reached before dispatch (see createTransport)
  let chunks: Iterable<unknown> | AsyncIterable<unknown>;
  if (typeof body === 'string') chunks = [Buffer.from(body)];
  else if (body instanceof Uint8Array) chunks = [body];
  else if (Symbol.asyncIterator in body) chunks = body;
  else return body;
  return Readable.from(
    (async function* () {
      await scope.reach();
      yield* chunks;
    })(),
    { objectMode: false },
  );
}

/** Global bodies (FormData, Blob, streams of Node's bundled undici) become bytes this undici can send. */
async function portableBody(init: RequestInit | undefined): Promise<{ body?: string | Uint8Array; contentType?: string }> {
  const body = init?.body;
  if (body === undefined || body === null) return {};
  if (typeof body === 'string' || body instanceof Uint8Array) return { body };
  const res = new Response(body);
  return { body: new Uint8Array(await res.arrayBuffer()), contentType: res.headers.get('content-type') ?? undefined };
}

export interface ProviderTransport {
  fetch: typeof fetch;
  close(): Promise<void>;
}

export function createTransport(o: TransportOptions): ProviderTransport {
  const agent = new Agent({
    connections: Math.max(1, o.connections),
    connectTimeout: o.connectTimeoutMs ?? TRANSPORT_DEFAULTS.connectTimeoutMs,
    headersTimeout: o.headersTimeoutMs ?? TRANSPORT_DEFAULTS.headersTimeoutMs,
    bodyTimeout: o.bodyTimeoutMs ?? TRANSPORT_DEFAULTS.bodyTimeoutMs,
  });
  const send = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const life: Lifecycle = { requestSent: false, responseStarted: false };
    const method = (init?.method ?? 'GET').toUpperCase();
    const create = method === 'GET' || method === 'HEAD' ? undefined : currentCreate();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const { body, contentType } = await portableBody(init);
    // Without a body there is nothing to hold back: the create counts as reached before it is dispatched.
    if (create && body === undefined) await create.reach();
    const headers = new Headers(init?.headers);
    if (contentType) headers.set('content-type', contentType);
    const plain: Record<string, string> = {};
    headers.forEach((v, k) => (plain[k] = v));
    const link = followSignal(init?.signal ?? undefined);
    try {
      // Cross-origin redirects drop Authorization inside undici's fetch (Fetch standard); tested.
      const res = await undiciFetch(url, {
        method: init?.method,
        headers: plain,
        body,
        signal: link.signal,
        redirect: init?.redirect,
        dispatcher: new Tracked(agent, life, create),
      });
      if (!res.body) link.unlink();
      return new Response(res.body ? trackBody(res.body, life, link.unlink) : null, {
        status: res.status,
        statusText: res.statusText,
        headers: copyHeaders(res.headers),
      });
    } catch (e) {
      link.unlink();
      throw new TransportError(e, { ...life });
    }
  };
  return { fetch: Object.assign(send, { [REACHES_ON_SOCKET]: true }), close: () => agent.close() };
}

function copyHeaders(h: { forEach(cb: (value: string, name: string) => void): void }): Headers {
  const out = new Headers();
  h.forEach((v, k) => out.append(k, v));
  return out;
}

/** Errors while the body streams in (body timeout, reset) carry the lifecycle too. */
function trackBody(
  body: { getReader(): ReadableStreamDefaultReader<Uint8Array> },
  life: Lifecycle,
  done: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          done();
          controller.close();
        } else controller.enqueue(chunk.value);
      } catch (e) {
        done();
        controller.error(new TransportError(e, { ...life }));
      }
    },
    cancel: (reason) => {
      done();
      return reader.cancel(reason);
    },
  });
}

/**
 * A per-request signal that follows the caller's. undici must not be handed the run's shared
 * signal: it reads that signal's listener limit, and Node 20 throws on a limit of 0 (which the
 * executor sets, since thousands of waits share it).
 */
function followSignal(outer: AbortSignal | undefined): { signal: AbortSignal | undefined; unlink: () => void } {
  if (!outer) return { signal: undefined, unlink: () => undefined };
  const ac = new AbortController();
  if (outer.aborted) {
    ac.abort(outer.reason);
    return { signal: ac.signal, unlink: () => undefined };
  }
  const onAbort = () => ac.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  return { signal: ac.signal, unlink: () => outer.removeEventListener('abort', onAbort) };
}

/** The response as one bounded text: stops reading (and cancels) past `maxBytes` instead of buffering it. */
export async function readCapped(res: Response, maxBytes: number): Promise<{ ok: true; text: string } | { ok: false; bytes: number }> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: false, bytes: declared };
  }
  if (!res.body) return { ok: true, text: '' };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, bytes };
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}

/** API answers are small JSON documents; anything bigger is refused unread. */
export const MAX_API_BODY_BYTES = 8 * 1024 * 1024;

/** Wraps a fetch so every response body stops at `maxBytes` (for clients that read bodies themselves: the OpenAI SDK). */
export function cappedFetch(inner: typeof fetch, maxBytes: number): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit) => {
    const res = await inner(input, init);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (!res.body) return res;
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new Error(`response body of ${declared} bytes is over the ${maxBytes}-byte limit`);
    }
    const reader = res.body.getReader();
    let bytes = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        bytes += value.byteLength;
        if (bytes > maxBytes) {
          await reader.cancel().catch(() => undefined);
          return controller.error(new Error(`response body over the ${maxBytes}-byte limit`));
        }
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
