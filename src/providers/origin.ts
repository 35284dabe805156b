/**
 * Credentials go only to the configured origin of their provider. A URL a provider hands back (fal's
 * `status_url`, a result URL on a CDN) that names another origin gets no key: providers document such
 * media URLs as fetchable without credentials, and a key sent to a stranger is a key lost.
 */

/** Header names that carry credentials (lower case). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie']);

export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** True only when `url` is on the same scheme, host and port as the provider's configured base URL. */
export function isProviderOrigin(url: string, baseUrl: string): boolean {
  const a = originOf(url);
  return a !== undefined && a !== 'null' && a === originOf(baseUrl);
}

/** The headers to send to `url`: as given on the provider's origin, without credentials anywhere else. */
export function headersForOrigin(url: string, baseUrl: string, headers: Record<string, string>): Record<string, string> {
  if (isProviderOrigin(url, baseUrl)) return headers;
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.has(k.toLowerCase())));
}
