/**
 * What the emulator received, for chaos checks and for users testing their own pipelines:
 * `GET /_emulator/counts`, `GET /_emulator/tasks[?provider=NAME]` and `GET /_emulator/uploads`. Read-only, no key needed
 * (the emulator only listens on loopback).
 */
import type { ProviderName } from '../providers/types.ts';
import type { EmuCore } from './core.ts';
import { phaseOf, type EmuTask } from './tasks.ts';
import type { AdminTask } from './types.ts';

export const ADMIN_PREFIX = '/_emulator';

export function adminTask(t: EmuTask, now: number): AdminTask {
  return {
    provider: t.provider,
    id: t.id,
    prompt: t.prompt,
    model: t.model,
    seconds: t.seconds,
    width: t.width,
    height: t.height,
    createdAt: t.createdAt,
    phase: phaseOf(t, now).kind,
    deleted: t.deleted === true,
  };
}

/** The admin answer for a path under ADMIN_PREFIX, or undefined when the path is not an admin route. */
export function adminAnswer(core: EmuCore, url: URL): unknown {
  const route = url.pathname.slice(ADMIN_PREFIX.length);
  if (route === '/counts') return core.counts;
  if (route === '/tasks') {
    const provider = url.searchParams.get('provider') as ProviderName | null;
    if (provider && !core.modules.has(provider)) return { error: `unknown provider ${provider}` };
    const now = core.clock.now();
    return { tasks: core.store.all(provider ?? undefined).map((t) => adminTask(t, now)) };
  }
  if (route === '/uploads') {
    // What arrived through fal storage and the Replicate Files API; `path` is the stored copy (to probe it).
    return {
      uploads: [...core.uploads.stored.values()].map((u) => ({
        provider: u.provider,
        token: u.token,
        contentType: u.contentType,
        fileName: u.fileName,
        size: u.size,
        sha256: u.sha256,
        createdAt: u.createdAt,
        path: core.files.get(u.token)?.path,
      })),
    };
  }
  return undefined;
}
