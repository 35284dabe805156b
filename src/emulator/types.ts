import type { Clock } from '../clock.ts';
import type { ProviderName } from '../providers/types.ts';
import type { Phase } from './tasks.ts';

/** Faults injected per provider. Rates are probabilities in [0, 1], drawn from a seeded RNG. */
export interface FaultConfig {
  /** Added to every response. */
  latencyMs?: number;
  /** Seconds from create to completion (render time as the client sees it). */
  renderMs?: number;
  /** Share of tasks that end failed (provider-shaped failure, e.g. content policy). */
  taskFailRate?: number;
  /** Share of requests answered 429 with Retry-After. */
  rate429?: number;
  retryAfterS?: number;
  /** Share of requests answered with a 5xx (503 by default). */
  rate5xx?: number;
  /** Share of requests whose connection is destroyed without an answer. For creates: after the task was created (ambiguous). */
  dropRate?: number;
  /** Share of downloads cut off half-way. */
  truncateRate?: number;
  /** Result URLs stop working this many ms after completion. */
  urlTtlMs?: number;
  /** Per-key create rate limit (token bucket) enforced as the provider documents: 429 + Retry-After. */
  submitPerMin?: number;
  submitBurst?: number;
  /** Per-key status-request rate limit (token bucket): 429 + Retry-After over it. */
  pollPerMin?: number;
  pollBurst?: number;
  /** Per-key cap on tasks not yet finished; over it a create is refused as the provider does. */
  maxConcurrent?: number;
  /** Credits/quota: after this many creates, answer the provider's quota-exhausted error. */
  quotaCreates?: number;
  /** Share of tasks that end aborted/canceled without charge (Replicate `aborted`; elsewhere a provider-side cancel). */
  abortRate?: number;
  /** fal: the first N result fetches of each finished task answer 503 with `X-Fal-Needs-Retry: 1` (the clip exists; fetch again). */
  resultNeedsRetry?: number;
  /** Replicate: how long a prediction's input and output stay readable after it finishes (default 1 h, as documented). */
  dataRetentionMs?: number;
  /** Share of finished tasks whose clip is defective, per kind (black, frozen, silent, short): for QC. */
  defects?: Partial<Record<'black' | 'frozen' | 'silent' | 'short', number>>;
}

export type RenderMode = 'unique' | 'shared';

export interface EmulatorOptions {
  host?: string; // default 127.0.0.1
  port?: number; // default 0 (free port)
  clock?: Clock;
  faults?: Partial<Record<ProviderName, FaultConfig>>;
  /**
   * 'unique': every task renders its own clip with its prompt, model and take drawn on it; 'shared': one
   * render per size × seconds (fast, for load tests). Default: `SHOTLIST_EMULATOR_RENDER` (unique unless
   * it says shared; the test suite sets shared, the demo and `shotlist emulate` leave it unset).
   */
  render?: RenderMode;
  /** Where rendered clips are kept; default a temp directory removed on stop. */
  dataDir?: string;
  seed?: number;
  /** Secrets for signed callbacks (Standard Webhooks `whsec_…`, SorAPI hex HMAC secret). */
  webhookSecrets?: Partial<Record<ProviderName, string>>;
  /** OpenAI configures webhooks per project, not per request: where to POST `video.completed|failed`. */
  openaiWebhookUrl?: string;
  /** Deliver every callback this many extra times (same delivery id), to exercise dedupe. Default 0. */
  webhookDuplicates?: number;
  /** Also deliver a stale in-progress callback after the final one (where the provider has such events). */
  webhookOutOfOrder?: boolean;
  /**
   * Extra prefixes serving a protocol, as a gateway would (e.g. `/gw/v1` speaking OpenAI's Videos API
   * with `models: ['veo-3.1']`): providers declared as data are tested against these.
   */
  mounts?: EmulatorMount[];
  /** Parallel ffmpeg renders; default 2. */
  renderConcurrency?: number;
}

export interface EmulatorMount {
  /** Path prefix under the server URL, e.g. `/gw/v1`. */
  prefix: string;
  protocol: ProviderName;
  /** Model ids this gateway serves besides the protocol's own (OpenAI checks the model). */
  models?: string[];
}

export interface EmulatorCounts {
  creates: number;
  statusGets: number;
  downloads: number;
  lists: number;
  rejected429: number;
  total: number;
}

export interface EmulatorHandle {
  url: string;
  /** Base URL each adapter should be pointed at, e.g. `${url}/openai/v1`. */
  baseUrls: Record<ProviderName, string>;
  counts(provider?: ProviderName): EmulatorCounts;
  /** Tasks created, per provider, in creation order (for duplicate checks), with their phase now. */
  tasks(provider?: ProviderName): AdminTask[];
  setFaults(provider: ProviderName, faults: FaultConfig): void;
  /** Secrets the emulator signs callbacks with (defaults filled in). */
  webhookSecrets?: Partial<Record<ProviderName, string>>;
  /** fal's public keys for webhook verification (`${url}/fal/.well-known/jwks.json`). */
  falJwksUrl?: string;
  stop(): Promise<void>;
}

/** A task as the admin endpoint reports it (`GET /_emulator/tasks`). */
export interface AdminTask {
  provider: ProviderName;
  id: string;
  prompt: string;
  model: string;
  seconds: number;
  width: number;
  height: number;
  createdAt: number;
  /** queued | running | succeeded | failed | aborted | canceled, as of the request. */
  phase: Phase['kind'];
  deleted: boolean;
}
