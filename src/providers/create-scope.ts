/**
 * A create request on its way to the wire, seen by the layers it passes through without the adapters
 * knowing: the run opens a scope around `provider.submit`, the gate (at the wire) takes its submit
 * turn, and whoever puts its bytes on a socket calls `reach()` first and holds the bytes until that
 * resolves. (A provider that sends without the injected fetch, like the tests' fakes, calls both.)
 * A scope never reached proves its create never left (the run then sends it again, never `unknown`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CreateScope {
  /** Wait for this create's turn under the provider's submit pace (false: interrupted, do not send). */
  turn(): Promise<boolean>;
  /** Run once, just before the create's bytes can reach the provider; the bytes wait for it. */
  reach(): Promise<void>;
  /** True once `reach` was called (the create may exist at the provider from then on). */
  readonly reached: boolean;
}

const current = new AsyncLocalStorage<CreateScope>();

/** A scope whose `onReach` runs once, at the first `reach()`. */
export function createScope(turn: () => Promise<boolean>, onReach: () => Promise<void>): CreateScope {
  let reaching: Promise<void> | undefined;
  return {
    turn,
    reach: () => (reaching ??= onReach()),
    get reached() {
      return reaching !== undefined;
    },
  };
}

/** Run `fn` (one provider submit) inside `scope`. */
export function inCreateScope<T>(scope: CreateScope, fn: () => Promise<T>): Promise<T> {
  return current.run(scope, fn);
}

/** The create this request belongs to, if any. */
export function currentCreate(): CreateScope | undefined {
  return current.getStore();
}

/** Marks a fetch that calls `reach()` itself once a socket is ready (our undici transport). */
export const REACHES_ON_SOCKET = Symbol('shotlist.reachesOnSocket');

export function reachesOnSocket(f: unknown): boolean {
  return typeof f === 'function' && REACHES_ON_SOCKET in f;
}
