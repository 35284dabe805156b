/**
 * Builds what the executor needs per provider: the adapter, its injected I/O (base URL, key, fetch,
 * clock) and its limits. Keys come only from the environment and stay in memory.
 */
import { join } from 'node:path';
import type { Catalog } from '../catalog/types.ts';
import type { Clock } from '../clock.ts';
import type { EmulatorHandle } from '../emulator/types.ts';
import type { ProviderSettings } from '../manifest/types.ts';
import { apiKeyEnv, baseUrlEnv, defaultBaseUrl, getProvider } from '../providers/index.ts';
import type { ProviderName } from '../providers/types.ts';
import type { ProviderBinding } from '../run/index.ts';
import { UsageError } from '../errors.ts';
import { mediaBinaries } from '../media/ffmpeg.ts';

export interface BinderOptions {
  catalog: Catalog;
  settings: Record<string, ProviderSettings>;
  env: NodeJS.ProcessEnv;
  emulator?: EmulatorHandle;
  runDir: string;
  clock: Clock;
  signal: AbortSignal;
  fetch?: typeof fetch;
}

/** Keys an emulated run uses when the user has none: the emulator accepts any non-empty key. */
const EMULATOR_KEY = 'emulator-key';

export function missingKeys(providers: Iterable<string>, env: NodeJS.ProcessEnv, emulated: boolean): string[] {
  if (emulated) return [];
  const missing: string[] = [];
  for (const p of new Set(providers)) {
    const name = apiKeyEnv(p);
    if (name && !env[name]) missing.push(name);
  }
  return missing;
}

export function baseUrlFor(name: string, o: Pick<BinderOptions, 'env' | 'settings' | 'emulator'>): string {
  if (o.emulator) return o.emulator.baseUrls[name as ProviderName];
  const fromEnv = o.env[baseUrlEnv(name)];
  return fromEnv || o.settings[name]?.base_url || defaultBaseUrl(name);
}

export function makeBinder(o: BinderOptions): (name: string) => ProviderBinding {
  const cache = new Map<string, ProviderBinding>();
  return (name) => {
    const hit = cache.get(name);
    if (hit) return hit;
    const provider = getProvider(name);
    const pc = o.catalog.provider(name);
    if (!provider || !pc) throw new UsageError(`unknown provider "${name}"`);
    const apiKey = o.env[apiKeyEnv(name)] || (o.emulator ? EMULATOR_KEY : '');
    const binding: ProviderBinding = {
      provider,
      env: {
        baseUrl: baseUrlFor(name, o),
        apiKey,
        fetch: o.fetch ?? globalThis.fetch,
        signal: o.signal,
        now: () => o.clock.now(),
        workDir: join(o.runDir, 'work'),
        ffmpegPath: mediaBinaries().ffmpeg,
      },
      limits: { ...pc.limits, ...(o.settings[name]?.limits ?? {}) },
      renderSeconds: (job) => o.catalog.resolve(job.provider, job.model)?.render_seconds ?? 60,
      chargesFailures: pc.models.some((m) => m.charges_failures),
    };
    cache.set(name, binding);
    return binding;
  };
}
