/**
 * The task store and its clock-driven lifecycle. A task's state is a pure function of the clock and
 * its render: queued → running(progress) until `dueAt`, then completed only once its clip exists.
 */
import type { ProviderName } from '../providers/types.ts';

export interface RenderState {
  state: 'pending' | 'ready' | 'error';
  path?: string;
  error?: string;
  /** Clock ms at which the render finished. */
  readyAt?: number;
}

export interface EmuTask {
  provider: ProviderName;
  id: string;
  /** The API key that created it (limits are per key). */
  key: string;
  prompt: string;
  model: string;
  width: number;
  height: number;
  seconds: number;
  createdAt: number;
  dueAt: number;
  outcome: 'success' | 'fail' | 'abort';
  failCode: string;
  failMessage: string;
  render: RenderState;
  renderPromise?: Promise<void>;
  /** Download token of the clip, assigned when the task is first seen completed. */
  fileToken?: string;
  deleted?: boolean;
  canceledAt?: number;
  callbackUrl?: string;
  /** Provider-specific extras (request body, idempotency key, fal app base, remix source…). */
  meta: Record<string, unknown>;
}

export type Phase =
  | { kind: 'queued'; progress: 0 }
  | { kind: 'running'; progress: number }
  | { kind: 'succeeded'; completedAt: number; path: string }
  | { kind: 'failed'; completedAt: number; code: string; message: string }
  | { kind: 'aborted'; completedAt: number }
  | { kind: 'canceled'; completedAt: number };

/** Share of the render time a task spends queued before it runs. */
const QUEUED_SHARE = 0.2;

export function phaseOf(t: EmuTask, now: number): Phase {
  if (t.canceledAt !== undefined) return { kind: 'canceled', completedAt: t.canceledAt };
  const span = Math.max(1, t.dueAt - t.createdAt);
  if (now < t.createdAt + span * QUEUED_SHARE) return { kind: 'queued', progress: 0 };
  if (now < t.dueAt) return { kind: 'running', progress: Math.min(99, Math.floor(((now - t.createdAt) / span) * 100)) };
  if (t.outcome === 'fail') return { kind: 'failed', completedAt: t.dueAt, code: t.failCode, message: t.failMessage };
  if (t.outcome === 'abort') return { kind: 'aborted', completedAt: t.dueAt };
  if (t.render.state === 'error') {
    return {
      kind: 'failed',
      completedAt: Math.max(t.dueAt, t.render.readyAt ?? t.dueAt),
      code: 'render_failed',
      message: t.render.error ?? 'render failed',
    };
  }
  if (t.render.state === 'ready' && t.render.path) {
    return { kind: 'succeeded', completedAt: Math.max(t.dueAt, t.render.readyAt ?? t.dueAt), path: t.render.path };
  }
  return { kind: 'running', progress: 99 }; // the clock says done but the file does not exist yet
}

export function isTerminal(p: Phase): boolean {
  return p.kind !== 'queued' && p.kind !== 'running';
}

export class TaskStore {
  private readonly byId = new Map<string, EmuTask>();
  private readonly order: EmuTask[] = [];
  private readonly perProvider = new Map<ProviderName, EmuTask[]>();

  private k(provider: ProviderName, id: string): string {
    return `${provider}\u0000${id}`;
  }

  add(t: EmuTask): void {
    this.byId.set(this.k(t.provider, t.id), t);
    this.order.push(t);
    const list = this.perProvider.get(t.provider);
    if (list) list.push(t);
    else this.perProvider.set(t.provider, [t]);
  }

  /** How many tasks a provider has created (including deleted ones). */
  count(provider: ProviderName): number {
    return this.perProvider.get(provider)?.length ?? 0;
  }

  get(provider: ProviderName, id: string): EmuTask | undefined {
    const t = this.byId.get(this.k(provider, id));
    return t && !t.deleted ? t : undefined;
  }

  /** All tasks (including deleted ones) in creation order. */
  all(provider?: ProviderName): EmuTask[] {
    return provider ? [...(this.perProvider.get(provider) ?? [])] : [...this.order];
  }

  unfinished(provider: ProviderName, key: string, now: number): number {
    let n = 0;
    for (const t of this.perProvider.get(provider) ?? []) if (t.key === key && !t.deleted && !isTerminal(phaseOf(t, now))) n++;
    return n;
  }
}
