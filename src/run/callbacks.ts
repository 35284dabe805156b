/**
 * Callback (webhook) receiver. A callback is only ever a hint: it wakes the task's poll loop for
 * an immediate status fetch, and that status answer is what the executor acts on. So an unsigned
 * callback can at worst cost one status request, and only for a task id we submitted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CallbackRequest, Provider } from '../providers/types.ts';

export interface CallbackReceiverOptions {
  /** `host:port` (port 0 for a free one). */
  listen: string;
  providers: Map<string, Provider>;
  secrets: Partial<Record<string, string>>;
  now: () => number;
  /** Wake the task; returns false when the task id is not one of ours (in flight). */
  onTask: (provider: string, taskId: string) => boolean;
  /**
   * For a callback URL carrying `?job=<id>`: whether that job, at this provider, holds this task id
   * now. A late callback for an earlier task of the job (resubmitted since) is then ignored.
   */
  ownsTask?: (provider: string, jobId: string, taskId: string) => boolean;
  maxBodyBytes?: number;
}

export interface CallbackReceiver {
  /** Where it listens, e.g. `http://127.0.0.1:4567`. */
  url: string;
  stats: { received: number; accepted: number; duplicates: number; invalid: number; unknownTask: number; mismatched: number };
  close(): Promise<void>;
}

/** Bounded memory of delivery ids already handled (providers retry deliveries). */
class RecentIds {
  private readonly set = new Set<string>();
  constructor(private readonly max: number) {}
  /** True when the id was new. */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    this.set.add(id);
    if (this.set.size > this.max) {
      const oldest = this.set.values().next().value;
      if (oldest !== undefined) this.set.delete(oldest);
    }
    return true;
  }
}

function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  if (i < 0) return { host: '127.0.0.1', port: Number(listen) || 0 };
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(listen.slice(i + 1)) || 0 };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

export async function startCallbackReceiver(o: CallbackReceiverOptions): Promise<CallbackReceiver> {
  const seen = new RecentIds(50_000);
  const stats = { received: 0, accepted: 0, duplicates: 0, invalid: 0, unknownTask: 0, mismatched: 0 };
  const reply = (res: ServerResponse, code: number, text: string) => {
    res.writeHead(code, { 'content-type': 'text/plain' }).end(text);
  };
  const server = createServer(async (req, res) => {
    stats.received++;
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/callbacks\/([a-z0-9_-]+)/.exec(url.pathname);
    const name = m?.[1];
    const provider = name ? o.providers.get(name) : undefined;
    if (req.method !== 'POST' || !name || !provider) return reply(res, 404, 'not found');
    const rawBody = await readBody(req, o.maxBodyBytes ?? 1_000_000);
    if (!rawBody) return reply(res, 413, 'too large');
    if (!provider.verifyCallback) return reply(res, 400, 'callbacks not supported for this provider');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
    const request: CallbackRequest = { headers, rawBody };
    let verdict;
    try {
      verdict = await provider.verifyCallback(request, o.secrets[name], o.now());
    } catch (e) {
      verdict = { kind: 'invalid' as const, reason: (e as Error).message };
    }
    if (verdict.kind === 'invalid') {
      stats.invalid++;
      return reply(res, 401, 'invalid signature');
    }
    // Before the dedupe: a mismatched delivery must not use up the id of a genuine one.
    const jobId = url.searchParams.get('job');
    if (jobId !== null && o.ownsTask && !o.ownsTask(name, jobId, verdict.taskId)) {
      stats.mismatched++;
      return reply(res, 202, 'ignored: not the task this job holds');
    }
    if (!seen.add(`${name}\u0000${verdict.deliveryId}`)) {
      stats.duplicates++;
      return reply(res, 200, 'duplicate');
    }
    if (!o.onTask(name, verdict.taskId)) {
      stats.unknownTask++;
      return reply(res, 202, 'ignored');
    }
    stats.accepted++;
    return reply(res, 200, 'ok');
  });
  const { host, port } = parseListen(o.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The executor's `ownsTask`: the job exists, belongs to the provider the callback came for, and its
 * checkpoint record holds exactly this task id.
 */
export function jobOwnsTask(
  recordOf: (jobId: string) => { task?: { id: string } } | undefined,
  providerOf: (jobId: string) => string | undefined,
): NonNullable<CallbackReceiverOptions['ownsTask']> {
  return (provider, jobId, taskId) => providerOf(jobId) === provider && recordOf(jobId)?.task?.id === taskId;
}
