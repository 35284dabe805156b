/**
 * The provider registry: one adapter per provider, plus where each one's key and base URL come from.
 */
import { PROVIDER_NAMES, type Provider, type ProviderName } from './types.ts';
import { openai } from './openai.ts';
import { apidot } from './apidot.ts';
import { sorapi } from './sorapi.ts';
import { apixo } from './apixo.ts';
import { fal } from './fal.ts';
import { replicate } from './replicate.ts';

export * from './types.ts';
export { createFalProvider } from './fal.ts';
export { FAL_JWKS_URL } from './webhooks.ts';

export const PROVIDERS: Readonly<Record<ProviderName, Provider>> = { openai, apidot, sorapi, apixo, fal, replicate };

export function isProviderName(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name);
}

export function getProvider(name: string): Provider | undefined {
  return isProviderName(name) ? PROVIDERS[name] : undefined;
}

const KEY_ENV: Record<ProviderName, string> = {
  openai: 'OPENAI_API_KEY',
  apidot: 'APIDOT_API_KEY',
  sorapi: 'SORAPI_API_KEY',
  apixo: 'APIXO_API_KEY',
  fal: 'FAL_KEY',
  replicate: 'REPLICATE_API_TOKEN',
};

const BASE_ENV: Record<ProviderName, string> = {
  openai: 'OPENAI_BASE_URL',
  apidot: 'APIDOT_BASE_URL',
  sorapi: 'SORAPI_BASE_URL',
  apixo: 'APIXO_BASE_URL',
  fal: 'FAL_BASE_URL',
  replicate: 'REPLICATE_BASE_URL',
};

/** Real hosts. SorAPI: every example in its documentation (seed 001) calls `https://sorapi.org/api/...`. */
const DEFAULT_BASE: Record<ProviderName, string> = {
  openai: 'https://api.openai.com/v1',
  apidot: 'https://api.apidot.ai',
  sorapi: 'https://sorapi.org',
  apixo: 'https://api.apixo.ai',
  fal: 'https://queue.fal.run',
  replicate: 'https://api.replicate.com/v1',
};

/** Environment variable holding the provider's key, e.g. `OPENAI_API_KEY`; `<NAME>_API_KEY` for unknown names. */
export function apiKeyEnv(name: string): string {
  return isProviderName(name) ? KEY_ENV[name] : `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY`;
}

/** Environment variable overriding the base URL, e.g. `OPENAI_BASE_URL`. */
export function baseUrlEnv(name: string): string {
  return isProviderName(name) ? BASE_ENV[name] : `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BASE_URL`;
}

/** The provider's real API host; '' for a name that is not a known provider (callers reject those first). */
export function defaultBaseUrl(name: string): string {
  return isProviderName(name) ? DEFAULT_BASE[name] : '';
}
