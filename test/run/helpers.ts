/** Test helpers for the executor: jobs, a tiny real MP4, and an in-test fake Provider. */
import { currentCreate } from '../../src/providers/create-scope.ts';
import { fitImage } from '../../src/media/image.ts';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock.ts';
import { runFfmpeg } from '../../src/media/ffmpeg.ts';
import type { Job } from '../../src/plan/types.ts';
import type {
  Provider,
  ProviderEnv,
  ProviderName,
  ReconcileOutcome,
  StatusOutcome,
  SubmitOutcome,
  TaskRef,
} from '../../src/providers/types.ts';
import type { ProviderBinding } from '../../src/run/index.ts';
import type { RunEvent } from '../../src/run/events.ts';

export const CLIP = { width: 160, height: 90, seconds: 1 };

export function makeJob(i: number, over: Partial<Job> = {}): Job {
  const id = `job${String(i).padStart(5, '0')}`;
  return {
    id,
    shotId: `shot-${i}`,
    baseId: `shot-${i}`,
    take: 1,
    index: i,
    provider: 'apidot',
    model: 'sora-2',
    wireModel: 'sora-2-official',
    tier: 'standard',
    prompt: `prompt number ${i}`,
    seconds: CLIP.seconds,
    aspect: '16:9',
    resolution: '720p',
    size: { width: CLIP.width, height: CLIP.height },
    params: {},
    fields: {},
    cost: { usd: 0.5, credits: null },
    source: { file: 'm.yaml', line: i + 1, col: 1 },
    ...over,
  };
}

export const makeJobs = (n: number, over: Partial<Job> = {}): Job[] => Array.from({ length: n }, (_, i) => makeJob(i, over));

let clipBytes: Promise<Buffer> | undefined;
/** A 1 s 160x90 H.264 clip, rendered once per test file. */
export function tinyClip(): Promise<Buffer> {
  clipBytes ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shotlist-clip-'));
    const out = join(dir, 'clip.mp4');
    await runFfmpeg([
      '-f',
      'lavfi',
      '-i',
      `testsrc=size=${CLIP.width}x${CLIP.height}:rate=10:duration=${CLIP.seconds}`,
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-preset',
      'ultrafast',
      out,
    ]);
    return readFile(out);
  })();
  return clipBytes;
}

export const tmpRunDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'shotlist-run-'));

export interface FakeTask {
  id: string;
  jobId: string;
  key: string;
  createdAt: number;
  fail?: boolean;
}

export interface FakeOptions {
  name?: ProviderName;
  idempotentSubmit?: boolean;
  renderMs?: number;
  /** Scripted submit outcomes, consumed in order before falling back to accepting. */
  script?: Array<SubmitOutcome | 'create-then-ambiguous'>;
  /** Hint returned with accepted/running answers. */
  pollHintMs?: number;
  /** Jobs whose task fails. */
  failJobs?: Set<string>;
  reconcile?: boolean;
  /** Submit latency in ms (real time). */
  latencyMs?: number;
}

/** An in-memory provider on the given clock: tasks succeed `renderMs` after creation. */
export class FakeProvider implements Provider {
  readonly name: ProviderName;
  readonly idempotentSubmit: boolean;
  readonly tasks = new Map<string, FakeTask>();
  readonly byKey = new Map<string, FakeTask>();
  readonly calls: Array<{ at: number; kind: 'submit' | 'status' | 'download' | 'reconcile'; job: string; outcome?: string }> = [];
  reconcile?: Provider['reconcile'];
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly o: FakeOptions = {},
  ) {
    this.name = o.name ?? 'apidot';
    this.idempotentSubmit = o.idempotentSubmit ?? false;
    if (o.reconcile) {
      this.reconcile = async (_env: ProviderEnv, job: Job): Promise<ReconcileOutcome> => {
        this.calls.push({ at: this.clock.now(), kind: 'reconcile', job: job.id });
        const t = [...this.tasks.values()].find((x) => x.jobId === job.id);
        return t ? { kind: 'found', task: { id: t.id } } : { kind: 'absent' };
      };
    }
  }

  toRequest(job: Job) {
    return { ok: true as const, request: { method: 'POST' as const, path: '/submit', json: { prompt: job.prompt } } };
  }

  private create(job: Job, key: string): FakeTask {
    const t: FakeTask = { id: `t${++this.seq}`, jobId: job.id, key, createdAt: this.clock.now(), fail: this.o.failJobs?.has(job.id) };
    this.tasks.set(t.id, t);
    this.byKey.set(key, t);
    return t;
  }

  async submit(_env: ProviderEnv, job: Job, opts: { idempotencyKey: string }): Promise<SubmitOutcome> {
    if (this.o.latencyMs) await new Promise((r) => setTimeout(r, this.o.latencyMs));
    // The fake's create takes its turn and is on the wire from here (a real adapter's gate and transport do this).
    const scope = currentCreate();
    if (scope && !(await scope.turn())) return { kind: 'transient', message: 'interrupted before sending' };
    await scope?.reach();
    const scripted = this.o.script?.shift();
    const log = (outcome: string) => this.calls.push({ at: this.clock.now(), kind: 'submit', job: job.id, outcome });
    if (scripted === 'create-then-ambiguous') {
      this.create(job, opts.idempotencyKey);
      log('ambiguous');
      return { kind: 'ambiguous', message: 'connection dropped after send' };
    }
    if (scripted) {
      log(scripted.kind);
      return scripted;
    }
    if (this.idempotentSubmit) {
      const prev = this.byKey.get(opts.idempotencyKey);
      if (prev) {
        log('accepted-replay');
        return { kind: 'accepted', task: { id: prev.id } };
      }
    }
    const t = this.create(job, opts.idempotencyKey);
    log('accepted');
    return { kind: 'accepted', task: { id: t.id }, pollAfterMs: this.o.pollHintMs };
  }

  async status(_env: ProviderEnv, task: TaskRef, job: Job): Promise<StatusOutcome> {
    this.calls.push({ at: this.clock.now(), kind: 'status', job: job.id });
    const t = this.tasks.get(task.id);
    if (!t) return { kind: 'not_found', message: 'no such task' };
    const left = t.createdAt + (this.o.renderMs ?? 50) - this.clock.now();
    if (left > 0) return { kind: 'running', progress: 50, pollAfterMs: this.o.pollHintMs !== undefined ? left : undefined };
    if (t.fail) return { kind: 'failed', code: 'content_policy', message: 'blocked', charged: false };
    return { kind: 'succeeded', outputs: [`fake://clip/${t.id}`] };
  }

  contentRequest(_env: ProviderEnv, task: TaskRef) {
    return { url: `fake://clip/${task.id}`, headers: {} };
  }

  creates(): number {
    return this.tasks.size;
  }
}

/** A fetch that serves the tiny clip for any fake:// URL (optionally truncating the first N responses). */
export function clipFetch(clip: Buffer, opts: { truncateFirst?: number; status?: number } = {}): typeof fetch & { calls: number } {
  let truncate = opts.truncateFirst ?? 0;
  const f = (async () => {
    f.calls++;
    if (opts.status) return new Response('gone', { status: opts.status });
    if (truncate > 0) {
      truncate--;
      const half = clip.subarray(0, clip.length >> 1);
      return new Response(new Uint8Array(half), { headers: { 'content-length': String(clip.length) } });
    }
    return new Response(new Uint8Array(clip), { headers: { 'content-length': String(clip.length) } });
  }) as unknown as typeof fetch & { calls: number };
  f.calls = 0;
  return f;
}

export function bindingFor(
  provider: Provider,
  fetchImpl: typeof fetch,
  over: Partial<ProviderBinding> = {},
  clock?: Clock,
): ProviderBinding {
  return {
    provider,
    env: { baseUrl: 'http://fake', apiKey: 'k', fetch: fetchImpl, now: () => clock?.now() ?? Date.now(), workDir: tmpdir(), fitImage },
    limits: { submit_per_min: 60_000, submit_burst: 100, polls_per_min: 60_000, max_in_flight: 50, downloads: 8 },
    renderSeconds: () => 0.05,
    chargesFailures: false,
    ...over,
  };
}

export function collect(): { events: RunEvent[]; sink: (e: RunEvent) => void } {
  const events: RunEvent[] = [];
  return { events, sink: (e) => events.push(e) };
}
