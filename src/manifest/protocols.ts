/**
 * The wire protocols shotlist speaks. A provider in a manifest or catalog is one of these, or a
 * named instance of one (see README "Providers are data"). Lowest layer: manifest, catalog and
 * providers all read it.
 */
export const PROVIDER_NAMES = ['openai', 'apidot', 'sorapi', 'apixo', 'fal', 'replicate'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];
