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
    if (c.submitPerMin !== undefined && c.submitPerMin > 0) {
      const perMs = c.submitPerMin / 60_000;
      const cap = Math.max(1, c.submitBurst ?? c.submitPerMin);
      const now = this.clock.now();
      const b = this.buckets.get(key) ?? { tokens: cap, at: now };
      b.tokens = Math.min(cap, b.tokens + (now - b.at) * perMs);
      b.at = now;
      this.buckets.set(key, b);
      if (b.tokens < 1) return { ok: false, reason: 'rate', retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)) };
      b.tokens -= 1;
    }
    return { ok: true };
  }
}
