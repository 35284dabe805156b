import type { Job } from '../plan/types.ts';

import type { ProviderName } from '../manifest/protocols.ts';

export { PROVIDER_NAMES, type ProviderName } from '../manifest/protocols.ts';

/** What the pure mapping produces: one HTTP request, described as data. */
export interface WireRequest {
  method: 'POST' | 'GET' | 'PUT';
  /** Path relative to the provider's base URL (e.g. `/videos`), or an absolute URL. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  /** Multipart body (OpenAI `input_reference`). `file` is a local path read at send time. */
  multipart?: { fields: Record<string, string>; files: Array<{ field: string; path: string; contentType: string }> };
}

export type MapResult = { ok: true; request: WireRequest } | { ok: false; errors: string[] };

/** A provider's handle on a task. fal's status/response URLs must survive a restart, so they live here. */
export interface TaskRef {
  id: string;
  urls?: Record<string, string>;
}

/** Outcome of a create call. Every caller must handle every kind. */
export type SubmitOutcome =
  | { kind: 'accepted'; task: TaskRef; pollAfterMs?: number }
  | { kind: 'rejected'; code: string; message: string; httpStatus?: number }
  | { kind: 'throttled'; retryAfterMs: number; message: string }
  | { kind: 'transient'; message: string; httpStatus?: number; retryAfterMs?: number }
  | { kind: 'ambiguous'; message: string }
  | { kind: 'quota_exhausted'; message: string };

/** A task's state as the provider reports it, normalized. */
export type TaskStatus =
  | { kind: 'queued'; pollAfterMs?: number }
  | { kind: 'running'; progress?: number; pollAfterMs?: number }
  | { kind: 'succeeded'; outputs: string[]; expiresAt?: number }
  | { kind: 'failed'; code: string; message: string; charged: boolean };

/** Outcome of a status call: a task status, or a reason the call itself did not answer. */
export type StatusOutcome =
  | TaskStatus
  | { kind: 'throttled'; retryAfterMs: number; message: string }
  | { kind: 'transient'; message: string; httpStatus?: number; retryAfterMs?: number }
  | { kind: 'not_found'; message: string }
  | { kind: 'quota_exhausted'; message: string };

export type ReconcileOutcome = { kind: 'found'; task: TaskRef } | { kind: 'absent' } | { kind: 'unknown'; message: string };

export interface ReconcileOptions {
  /** Task ids already owned by other jobs (e.g. another take of the same shot): never claim them. */
  excludeTaskIds?: readonly string[];
}

/** Outcome of asking a provider to stop a task (fal `cancel_url`, Replicate `/cancel`). */
export type CancelOutcome =
  /** The provider stopped it (or it had already ended). `charged` per the provider's rule. */
  | { kind: 'cancelled'; charged: boolean }
  /** Too late: the task already completed (fal `ALREADY_COMPLETED`); follow and download it. */
  | { kind: 'already_done' }
  | { kind: 'unsupported'; message: string }
  | { kind: 'failed'; message: string };

/** Outcome of uploading a local reference image through the provider's own upload facility. */
export type UploadOutcome =
  { kind: 'uploaded'; url: string; expiresAt?: number } | { kind: 'rejected'; message: string } | { kind: 'transient'; message: string };

export type CallbackVerdict =
  | { kind: 'verified'; taskId: string; deliveryId: string }
  /** Unsigned providers (APIDot, APIXO): the executor trusts it only after a status GET. */
  | { kind: 'unsigned'; taskId: string; deliveryId: string }
  | { kind: 'invalid'; reason: string };

export interface CallbackRequest {
  headers: Record<string, string>; // lower-cased names
  rawBody: Buffer;
}

/** Injected I/O for one provider. */
export interface ProviderEnv {
  baseUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  signal?: AbortSignal;
  now: () => number;
  /** Scratch directory for prepared uploads (scaled reference images). */
  workDir: string;
  /**
   * Scales and pads (or, with mode `crop`, fills and crops) a reference image to exactly `width`×`height`
   * (OpenAI requires the video's size; `image_fit` picks the mode).
   * Injected by the layer that owns media (src/media/image.ts): adapters never run ffmpeg themselves.
   */
  fitImage?: (src: string, dest: string, width: number, height: number, signal?: AbortSignal, mode?: 'pad' | 'crop') => Promise<unknown>;
}

export interface SubmitOptions {
  /** Stable per job attempt; providers with idempotent create (SorAPI) send it. */
  idempotencyKey: string;
  callbackUrl?: string;
}

export interface Provider {
  readonly name: ProviderName;
  /** True when replaying a create with the same idempotency key cannot create a second task. */
  readonly idempotentSubmit: boolean;
  /** Pure: neutral job → wire request, or the reasons this provider cannot take it. */
  toRequest(job: Job, opts: { callbackUrl?: string; idempotencyKey?: string }): MapResult;
  submit(env: ProviderEnv, job: Job, opts: SubmitOptions): Promise<SubmitOutcome>;
  status(env: ProviderEnv, task: TaskRef, job: Job): Promise<StatusOutcome>;
  /** Where the finished clip is fetched from (OpenAI: its content endpoint with auth; others: the result URL). */
  contentRequest(env: ProviderEnv, task: TaskRef, outputs: string[]): { url: string; headers: Record<string, string> };
  /** After an ambiguous submit: find the task the provider may have created (OpenAI lists recent videos). */
  reconcile?(env: ProviderEnv, job: Job, sentAtMs: number, opts?: ReconcileOptions): Promise<ReconcileOutcome>;
  /** Stop an in-flight task where the provider supports it (`shotlist cancel`). */
  cancel?(env: ProviderEnv, task: TaskRef): Promise<CancelOutcome>;
  /** Upload a local file once per run and get a URL the provider accepts as an image input. */
  uploadImage?(env: ProviderEnv, path: string, contentType: string): Promise<UploadOutcome>;
  verifyCallback?(req: CallbackRequest, secret: string | undefined, nowMs: number): Promise<CallbackVerdict>;
}
