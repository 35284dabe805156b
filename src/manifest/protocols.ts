/**
 * The wire protocols shotlist speaks. A provider in a manifest or catalog is one of these, or a
 * named instance of one (see README "Providers are data"). Lowest layer: manifest, catalog and
 * providers all read it.
 */
export const PROVIDER_NAMES = ['openai', 'apidot', 'sorapi', 'apixo', 'fal', 'replicate'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/**
 * How each protocol takes a local reference image (checked 2026-11-30 against each provider's docs):
 * OpenAI in the create's multipart body; fal and Replicate through their own upload facility, which
 * the executor uses once per run per file. APIDot and APIXO document only public image URLs
 * (`image_urls`), with no upload endpoint; SorAPI takes no image at all.
 */
export const LOCAL_IMAGE_UPLOAD: Readonly<Record<ProviderName, string | undefined>> = {
  openai: 'multipart input_reference',
  apidot: undefined,
  sorapi: undefined,
  apixo: undefined,
  fal: 'fal storage upload',
  replicate: 'Replicate Files API',
};

/** The upload facility of a provider (or a named instance of a protocol), if it has one. */
export function localImageUpload(protocol: string): string | undefined {
  return Object.entries(LOCAL_IMAGE_UPLOAD).find(([p]) => p === protocol)?.[1];
}
