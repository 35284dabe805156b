/**
 * The executor's view of an adapter with every answer cleaned where it enters: provider text (error
 * messages, codes) loses terminal escapes and any configured secret before it can reach the
 * checkpoint, results, the report or the screen.
 */
import type { Provider } from '../providers/types.ts';
import { cleanDeep } from '../safety/text.ts';

/** `secrets` is read at each call, so keys of providers bound later in the run count too. */
export function cleanedProvider(p: Provider, secrets: readonly string[]): Provider {
  const clean = <T>(v: T): T => cleanDeep(v, secrets);
  const { reconcile, cancel, uploadImage: upload, verifyCallback: verify } = p;
  return {
    name: p.name,
    idempotentSubmit: p.idempotentSubmit,
    toRequest: (job, opts) => p.toRequest(job, opts),
    submit: async (env, job, opts) => clean(await p.submit(env, job, opts)),
    status: async (env, task, job) => clean(await p.status(env, task, job)),
    contentRequest: (env, task, outputs) => p.contentRequest(env, task, outputs),
    ...(reconcile ? { reconcile: async (...a: Parameters<typeof reconcile>) => clean(await reconcile.apply(p, a)) } : {}),
    ...(cancel ? { cancel: async (...a: Parameters<typeof cancel>) => clean(await cancel.apply(p, a)) } : {}),
    ...(upload ? { uploadImage: async (...a: Parameters<typeof upload>) => clean(await upload.apply(p, a)) } : {}),
    ...(verify ? { verifyCallback: (...a: Parameters<typeof verify>) => verify.apply(p, a) } : {}),
  };
}
