/**
 * The emulator's shared state and the services provider handlers use: task creation (with its
 * render and callback scheduling), result URLs, file serving, counters and create admission.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../clock.ts';
import type { ProviderName } from '../providers/types.ts';
import { PROVIDER_NAMES } from '../providers/types.ts';
import type { CallbackSender, Delivery, FalSigner } from './callbacks.ts';
import type { ProviderFaults } from './faults.ts';
import { ClipRenderer, clipRequestFor, FileStore, fileSize } from './files.ts';
import { sendJson } from './http.ts';
import type { Rng } from './rng.ts';
import { isTerminal, phaseOf, TaskStore, type EmuTask, type Phase } from './tasks.ts';
import type { EmulatorCounts, EmulatorMount } from './types.ts';
import { UploadStore } from './uploads.ts';

export type RequestKind = 'create' | 'status' | 'list' | 'download' | 'other';

/** One provider's wire contract. Error writers produce that provider's own shapes. */
export interface ProviderModule {
  readonly name: ProviderName;
  /** Path prefix under the server URL, e.g. `/openai/v1`. */
  readonly prefix: string;
  readonly authScheme: 'Bearer' | 'Key';
  classify(method: string, path: string): RequestKind;
  unauthorized(ctx: Ctx): void;
  rateLimited(ctx: Ctx, retryAfterS: number, reason: 'rate' | 'concurrency'): void;
  serverError(ctx: Ctx): void;
  quotaExhausted(ctx: Ctx): void;
  /** Answer for a result URL that has expired (403/404/410 as the provider would). */
  expiredFile(res: ServerResponse): void;
  handle(ctx: Ctx): Promise<void>;
  /** Callback deliveries for a task that just ended (terminal first; stale extras after it when out of order). */
  callbacks?(core: EmuCore, task: EmuTask, phase: Phase): Delivery[] | Promise<Delivery[]>;
}

export interface Ctx {
  core: EmuCore;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  /** Path below the provider prefix, e.g. `/videos/video_1`. */
  path: string;
  key: string;
  requestId: string;
  /** Models a gateway mount serves besides the protocol's own. */
  extraModels?: readonly string[];
  /** The prefix this request came in under (a gateway mount's, or the module's own). URLs handed out stay under it. */
  prefix: string;
  /** Set when the request came in under a gateway mount: file URLs handed out go under it too. */
  mountPrefix?: string;
  /** Set by fault injection on a create: answer nothing after doing the work (an ambiguous submit). */
  dropResponse: boolean;
  body(): Promise<Buffer>;
  /** Write a JSON answer (or destroy the socket when `dropResponse`). */
  json(status: number, value: unknown, headers?: Record<string, string>): void;
}

/** What a provider module supplies to create a task; the store fills in the rest of `EmuTask`. */
export type TaskInit = Pick<
  EmuTask,
  'provider' | 'id' | 'key' | 'prompt' | 'model' | 'width' | 'height' | 'seconds' | 'callbackUrl' | 'failCode' | 'failMessage'
> & {
  meta?: Record<string, unknown>;
  /** Extra text drawn on the clip (parameters). */
  lines?: string[];
};

/** The gateway mount a task was created under ('' for the module's own prefix): its URLs stay under it. */
export function mountOf(task: EmuTask): string {
  return typeof task.meta.mount === 'string' ? task.meta.mount : '';
}

/** The API prefix a task's follow-up URLs use: its mount's, or the module's own. */
export function prefixOf(task: EmuTask, modulePrefix: string): string {
  return mountOf(task) || modulePrefix;
}

export function zeroCounts(): EmulatorCounts {
  return { creates: 0, statusGets: 0, downloads: 0, lists: 0, rejected429: 0, total: 0 };
}

export class EmuCore {
  readonly store = new TaskStore();
  /** Input files uploaded through fal storage / Replicate Files API. */
  readonly uploads = new UploadStore();
  readonly counts: Record<ProviderName, EmulatorCounts>;
  baseUrl = '';
  readonly modules = new Map<ProviderName, ProviderModule>();
  /** Accepted successful creates per identical request, to number takes. */
  private readonly takes = new Map<string, number>();

  constructor(
    readonly clock: Clock,
    readonly faults: Record<ProviderName, ProviderFaults>,
    readonly renderer: ClipRenderer,
    readonly files: FileStore,
    readonly ids: Rng,
    readonly callbacks: CallbackSender,
    readonly falSigner: FalSigner,
    readonly secrets: Partial<Record<ProviderName, string>>,
    readonly opts: { openaiWebhookUrl?: string; outOfOrder: boolean; falUserId: string; dataDir: string; mounts?: EmulatorMount[] },
    private readonly signal: AbortSignal,
  ) {
    this.counts = Object.fromEntries(PROVIDER_NAMES.map((p) => [p, zeroCounts()])) as Record<ProviderName, EmulatorCounts>;
  }

  now(): number {
    return this.clock.now();
  }

  phase(t: EmuTask): Phase {
    return phaseOf(t, this.clock.now());
  }

  /**
   * Quota, per-key token bucket and concurrency cap. On refusal writes the provider's answer and
   * returns false.
   */
  admit(ctx: Ctx, mod: ProviderModule): boolean {
    const f = this.faults[mod.name];
    const a = f.admitCreate(ctx.key, () => this.store.unfinished(mod.name, ctx.key, this.now()));
    if (mod.name === 'openai') setRateHeaders(ctx, f.rateInfo(ctx.key, 'create'));
    if (a.ok) return true;
    if (a.reason === 'quota') {
      mod.quotaExhausted(ctx);
    } else {
      this.counts[mod.name].rejected429++;
      mod.rateLimited(ctx, a.retryAfterS, a.reason);
    }
    return false;
  }

  createTask(init: TaskInit): EmuTask {
    const f = this.faults[init.provider];
    const now = this.now();
    const outcome = f.drawOutcome();
    const task: EmuTask = {
      provider: init.provider,
      id: init.id,
      key: init.key,
      prompt: init.prompt,
      model: init.model,
      width: init.width,
      height: init.height,
      seconds: init.seconds,
      createdAt: now,
      dueAt: now + f.renderMs(),
      outcome,
      failCode: init.failCode,
      failMessage: init.failMessage,
      render: { state: 'pending' },
      callbackUrl: init.callbackUrl,
      meta: init.meta ?? {},
    };
    this.store.add(task);
    f.acceptedCreates++;
    this.counts[init.provider].creates++;
    if (outcome === 'success') {
      const defect = f.drawDefect();
      // Providers never see the take: the Nth accepted identical request is take N.
      const same = JSON.stringify([init.provider, init.model, init.prompt, init.width, init.height, init.seconds, init.lines ?? []]);
      const take = (this.takes.get(same) ?? 0) + 1;
      this.takes.set(same, take);
      task.renderPromise = this.renderer.render(clipRequestFor(init, take, defect)).then(
        (path) => {
          task.render = { state: 'ready', path, readyAt: this.now() };
        },
        (err: unknown) => {
          task.render = { state: 'error', error: String((err as Error)?.message ?? err).slice(0, 300), readyAt: this.now() };
        },
      );
    } else {
      task.render = { state: 'error', error: 'not rendered (task fails)' };
    }
    this.scheduleCallbacks(task);
    return task;
  }

  /** Wait (on the clock) until the task ends, then hand its callbacks to the sender. */
  private scheduleCallbacks(task: EmuTask): void {
    const mod = this.modules.get(task.provider);
    const wants = task.callbackUrl !== undefined || (task.provider === 'openai' && this.opts.openaiWebhookUrl !== undefined);
    if (!mod?.callbacks || !wants) return;
    void (async () => {
      try {
        const wait = task.dueAt - this.now();
        // A fake clock only wakes sleepers on advance(), even for 0 ms: don't sleep when already due.
        if (wait > 0) await this.clock.sleep(wait, this.signal);
        await task.renderPromise;
        // Safety net: the render settles the phase synchronously, but allow a brief real-time grace.
        for (let i = 0; i < 200 && !isTerminal(this.phase(task)); i++) await new Promise((r) => setTimeout(r, 10));
        const phase = this.phase(task);
        if (this.signal.aborted || !isTerminal(phase) || task.deleted) return;
        this.callbacks.send(task.provider, await mod.callbacks!(this, task, phase));
      } catch {
        /* stopped */
      }
    })();
  }

  /** The download URL of a completed task's clip (stable per task). */
  resultUrl(task: EmuTask, phase: Phase & { kind: 'succeeded' }): string {
    if (!task.fileToken) {
      task.fileToken = this.files.add({
        provider: task.provider,
        taskId: task.id,
        path: phase.path,
        contentType: 'video/mp4',
        completedAt: phase.completedAt,
      });
    }
    return `${this.baseUrl}${mountOf(task)}/files/${task.fileToken}.mp4`;
  }

  urlExpiresAt(provider: ProviderName, completedAt: number): number {
    return completedAt + this.faults[provider].urlTtlMs();
  }

  /** Serve a file with the download faults (truncation). Counts a download. */
  async serveFile(
    req: IncomingMessage,
    res: ServerResponse,
    provider: ProviderName,
    path: string,
    contentType: string,
    extraHeaders: Record<string, string> = {},
  ): Promise<void> {
    this.counts[provider].downloads++;
    let size: number;
    try {
      size = await fileSize(path);
    } catch {
      sendJson(res, 404, { error: 'file missing' });
      return;
    }
    const truncate = this.faults[provider].draw(this.faults[provider].get().truncateRate);
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(size), 'accept-ranges': 'none', ...extraHeaders });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = truncate ? createReadStream(path, { start: 0, end: Math.max(0, Math.floor(size / 2) - 1) }) : createReadStream(path);
    stream.on('error', () => res.destroy());
    stream.on('end', () => {
      // Full Content-Length was promised: cutting the socket now is a truncated download.
      if (truncate) setImmediate(() => res.destroy());
    });
    stream.pipe(res, { end: !truncate });
  }

  /** `/files/<token>.<ext>`: result URLs, public like the providers' signed CDN links. */
  async handleFile(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const entry = this.files.get(token);
    if (!entry) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    this.counts[entry.provider].total++;
    const mod = this.modules.get(entry.provider);
    if (this.now() > this.urlExpiresAt(entry.provider, entry.completedAt)) {
      if (mod) mod.expiredFile(res);
      else sendJson(res, 410, { error: 'expired' });
      return;
    }
    const latency = this.faults[entry.provider].get().latencyMs;
    if (latency) await new Promise((r) => setTimeout(r, latency));
    await this.serveFile(req, res, entry.provider, entry.path, entry.contentType);
  }

  newId(hexLen: number): string {
    return this.ids.hex(hexLen);
  }
}

/**
 * OpenAI sends `x-ratelimit-*` on every answer (PROVIDERS.md): the limit per minute, what is left now
 * and when the bucket is full again. Set on the response before the handler writes it.
 */
export function setRateHeaders(ctx: Ctx, info: { limit: number; remaining: number; resetMs: number } | undefined): void {
  if (!info || ctx.res.headersSent) return;
  ctx.res.setHeader('x-ratelimit-limit-requests', String(info.limit));
  ctx.res.setHeader('x-ratelimit-remaining-requests', String(Math.max(0, info.remaining)));
  ctx.res.setHeader('x-ratelimit-reset-requests', goDuration(Math.max(0, info.resetMs)));
}

/** OpenAI writes these waits as Go durations: `20ms`, `1.2s`, `6m0s`. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(3))}s`;
  return `${Math.floor(s / 60)}m${Number((s % 60).toFixed(3))}s`;
}
