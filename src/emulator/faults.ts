/** Per-provider fault configuration, the seeded draws against it, and the per-key submit limits. */
import type { Clock } from '../clock.ts';
import type { ProviderName } from '../providers/types.ts';
import type { FaultConfig } from './types.ts';
import { createRng, deriveSeed, type Rng } from './rng.ts';

export const DEFAULT_RENDER_MS = 1500;

/** How long result URLs stay valid when no `urlTtlMs` fault is set, as each provider documents. */
export const DEFAULT_URL_TTL_MS: Record<ProviderName, number> = {
  openai: 60 * 60_000, // "about 1 hour after completion"
  apidot: 24 * 60 * 60_000,
  sorapi: 24 * 60 * 60_000,
  apixo: 15 * 24 * 60 * 60_000, // seed says 15 days
  fal: 7 * 24 * 60 * 60_000,
  replicate: 60 * 60_000, // output files deleted 1 hour after the prediction finishes
};

export type Admission = { ok: true } | { ok: false; reason: 'rate' | 'concurrency' | 'quota'; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class ProviderFaults {
  private config: FaultConfig;
  private readonly requestRng: Rng;
  private readonly taskRng: Rng;
  private readonly defectRng: Rng;
  private readonly buckets = new Map<string, Bucket>();
  /** Creates accepted so far (for `quotaCreates`). */
  acceptedCreates = 0;

  constructor(
    readonly provider: ProviderName,
    config: FaultConfig | undefined,
    seed: number,
    private readonly clock: Clock,
  ) {
    this.config = { ...config };
    this.requestRng = createRng(deriveSeed(seed, `${provider}:requests`));
    this.taskRng = createRng(deriveSeed(seed, `${provider}:tasks`));
    this.defectRng = createRng(deriveSeed(seed, `${provider}:defects`));
  }

  get(): Readonly<FaultConfig> {
    return this.config;
  }

  set(config: FaultConfig): void {
    this.config = { ...config };
  }

  renderMs(): number {
    return this.config.renderMs ?? DEFAULT_RENDER_MS;
  }

  urlTtlMs(): number {
    return this.config.urlTtlMs ?? DEFAULT_URL_TTL_MS[this.provider];
  }

  retryAfterS(): number {
    return this.config.retryAfterS ?? 2;
  }

  /** Draw for one request-level fault (429, 5xx, drop, truncate). */
  draw(rate: number | undefined): boolean {
    return this.requestRng.chance(rate);
  }

  /** How a new task will end, drawn once at create time. */
  drawOutcome(): 'success' | 'fail' | 'abort' {
    if (this.taskRng.chance(this.config.taskFailRate)) return 'fail';
    if (this.taskRng.chance(this.config.abortRate)) return 'abort';
    return 'success';
  }

  /** A defect for a finished task's clip, drawn from its own stream so other draws keep their sequence. */
  drawDefect(): 'black' | 'frozen' | 'silent' | 'short' | undefined {
    const d = this.config.defects;
    if (!d) return undefined;
    for (const kind of ['black', 'frozen', 'silent', 'short'] as const) if (this.defectRng.chance(d[kind])) return kind;
    return undefined;
  }

  /**
   * Whether a create from `key` may go ahead: quota first (it is final), then the per-key token bucket,
   * then the cap on unfinished tasks. Consumes a token only when admitted.
   */
  admitCreate(key: string, unfinished: () => number): Admission {
    const c = this.config;
    if (c.quotaCreates !== undefined && this.acceptedCreates >= c.quotaCreates) {
      return { ok: false, reason: 'quota', retryAfterS: 0 };
    }
    if (c.maxConcurrent !== undefined && unfinished() >= c.maxConcurrent) {
      return { ok: false, reason: 'concurrency', retryAfterS: this.retryAfterS() };
    }
    return this.take(key, 'create');
  }

  /** Whether a status request from `key` may go ahead under `pollPerMin` (consumes a token when admitted). */
  admitPoll(key: string): Admission {
    return this.take(key, 'poll');
  }

  /** The per-key bucket behind a limit, refilled to now; undefined when that limit is not set. */
  private bucket(key: string, kind: RateKind): { b: Bucket; perMin: number; cap: number } | undefined {
    const c = this.config;
    const perMin = kind === 'create' ? c.submitPerMin : c.pollPerMin;
    if (perMin === undefined || !(perMin > 0)) return undefined;
    const cap = Math.max(1, (kind === 'create' ? c.submitBurst : c.pollBurst) ?? perMin);
    const now = this.clock.now();
    const id = `${kind}\u0000${key}`;
    const b = this.buckets.get(id) ?? { tokens: cap, at: now };
    b.tokens = Math.min(cap, b.tokens + ((now - b.at) * perMin) / 60_000);
    b.at = now;
    this.buckets.set(id, b);
    return { b, perMin, cap };
  }

  private take(key: string, kind: RateKind): Admission {
    const k = this.bucket(key, kind);
    if (!k) return { ok: true };
    if (k.b.tokens < 1) return { ok: false, reason: 'rate', retryAfterS: Math.max(1, Math.ceil(((1 - k.b.tokens) * 60) / k.perMin)) };
    k.b.tokens -= 1;
    return { ok: true };
  }

  /** What an `x-ratelimit-*` header set would say about a limit right now (undefined when it is not set). */
  rateInfo(key: string, kind: RateKind): { limit: number; remaining: number; resetMs: number } | undefined {
    const k = this.bucket(key, kind);
    if (!k) return undefined;
    return { limit: k.perMin, remaining: Math.floor(k.b.tokens), resetMs: Math.ceil(((k.cap - k.b.tokens) * 60_000) / k.perMin) };
  }
}

export type RateKind = 'create' | 'poll';
