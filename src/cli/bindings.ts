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
import type { Provider, ProviderName } from '../providers/types.ts';
import type { ProviderBinding } from '../run/index.ts';
import { UsageError } from '../errors.ts';
import { fitImage } from '../media/image.ts';
import { createTransport } from '../providers/transport.ts';
import { EMULATED_RENDER_S } from './emulated-speed.ts';

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

type Instances = Pick<BinderOptions, 'catalog' | 'settings'>;

/**
 * The adapter for a provider name: a built-in one, or the protocol a provider instance declares
 * (manifest `providers.<name>.protocol` or a catalog file's `protocol:`) — providers as data.
 */
export function providerFor(name: string, o: Instances): Provider | undefined {
  const builtIn = getProvider(name);
  if (builtIn) return builtIn;
  const protocol = o.settings[name]?.protocol ?? o.catalog.provider(name)?.protocol;
  return protocol ? getProvider(protocol) : undefined;
}

/** Where the key of a provider (instance) comes from: its `key_env`, else `<NAME>_API_KEY`. */
export function keyEnvFor(name: string, o?: Instances): string {
  return o?.settings[name]?.key_env ?? o?.catalog.provider(name)?.key_env ?? apiKeyEnv(name);
}

export function missingKeys(providers: Iterable<string>, env: NodeJS.ProcessEnv, emulated: boolean, instances?: Instances): string[] {
  if (emulated) return [];
  const missing: string[] = [];
  for (const p of new Set(providers)) {
    const name = keyEnvFor(p, instances);
    if (name && !env[name]) missing.push(name);
  }
  return missing;
}

export function baseUrlFor(name: string, o: Pick<BinderOptions, 'env' | 'settings' | 'emulator'> & { catalog?: Catalog }): string {
  if (o.emulator) {
    // Emulated runs never leave this machine: an instance of your own goes to its protocol's emulation.
    const protocol = o.settings[name]?.protocol ?? o.catalog?.provider(name)?.protocol ?? name;
    const emulated = o.emulator.baseUrls[protocol as ProviderName];
    if (emulated) return emulated;
    throw new UsageError(`provider "${name}" cannot be emulated (no protocol the emulator speaks)`);
  }
  const fromEnv = o.env[baseUrlEnv(name)];
  return fromEnv || o.settings[name]?.base_url || o.catalog?.provider(name)?.base_url || defaultBaseUrl(name);
}

export function makeBinder(o: BinderOptions): (name: string) => ProviderBinding {
  const cache = new Map<string, ProviderBinding>();
  return (name) => {
    const hit = cache.get(name);
    if (hit) return hit;
    const provider = providerFor(name, o);
    const pc = o.catalog.provider(name);
    if (!provider || !pc) throw new UsageError(`unknown provider "${name}"`);
    const baseUrl = baseUrlFor(name, o);
    if (!baseUrl) throw new UsageError(`provider "${name}" has no base URL: set base_url in its declaration or ${baseUrlEnv(name)}`);
    // Keys only from the environment, and each instance's own: a gateway never gets OPENAI_API_KEY.
    const apiKey = o.env[keyEnvFor(name, o)] || (o.emulator ? EMULATOR_KEY : '');
    const limits = { ...pc.limits, ...o.settings[name]?.limits };
    // One undici Agent per provider; its connection limit follows the provider's concurrency.
    const connections = Math.min(64, Math.max(4, limits.max_in_flight, limits.downloads));
    const binding: ProviderBinding = {
      provider,
      env: {
        baseUrl,
        apiKey,
        fetch: o.fetch ?? createTransport({ connections }).fetch,
        signal: o.signal,
        now: () => o.clock.now(),
        workDir: join(o.runDir, 'work'),
        fitImage,
      },
      limits,
      learnLimits: o.settings[name]?.limits === undefined,
      // The emulator renders in seconds: polling on the real provider's minutes would only wait.
      renderSeconds: (job) => (o.emulator ? EMULATED_RENDER_S : (o.catalog.resolve(job.provider, job.model)?.render_seconds ?? 60)),
      chargesFailures: pc.models.some((m) => m.charges_failures),
    };
    cache.set(name, binding);
    return binding;
  };
}
