import type { Aspect, Resolution, Tier } from '../manifest/types.ts';

/** How a provider prices a clip. Credits are converted with the provider's `usd_per_credit`. */
export type PriceRule =
  | { kind: 'per_second'; unit: 'usd' | 'credits'; by_resolution: Partial<Record<Resolution, number>> }
  | { kind: 'per_clip'; unit: 'usd' | 'credits'; by_duration: Record<string, number> }
  | { kind: 'unknown'; note?: string };

export interface ProviderLimits {
  submit_per_min: number;
  submit_burst: number;
  polls_per_min: number;
  max_in_flight: number;
  downloads: number;
}

export interface ModelEntry {
  provider: string;
  /** Neutral id users write (`sora-2`). */
  id: string;
  /** The id sent on the wire (`sora-2-official`). For fal this is the app id for text mode. */
  wire_id: string;
  /** fal-style: separate app id for image-to-video, if any. */
  wire_id_image?: string;
  tier: Tier;
  family: string;
  durations: number[];
  aspects: Aspect[];
  resolutions: Resolution[];
  /** How a reference image reaches the provider. */
  image: 'upload' | 'url' | 'none';
  supports: { seed: boolean; negative_prompt: boolean; guidance: boolean };
  max_prompt_chars: number;
  price: PriceRule;
  /** Typical seconds from submit to completion (for ETA and first poll). */
  render_seconds: number;
  /** How long result URLs stay valid, seconds. */
  result_url_ttl_s: number;
  /** ISO date the model stops being served, if announced. */
  sunset?: string;
  /** For a retired model: the current model a plan suggests instead (`provider/model`). */
  successor?: string;
  /** Whether a failed task is charged. */
  charges_failures: boolean;
}

export interface ProviderCatalog {
  provider: string;
  as_of: string;
  source: string;
  usd_per_credit?: number;
  /** A provider instance declared as data: the built-in protocol it speaks, its host and key variable. */
  protocol?: string;
  base_url?: string;
  key_env?: string;
  limits: ProviderLimits;
  models: ModelEntry[];
}

export interface Catalog {
  providers: ProviderCatalog[];
  /** Resolve a neutral id or a wire id for a provider. */
  resolve(provider: string, model: string): ModelEntry | undefined;
  provider(name: string): ProviderCatalog | undefined;
}

/** A clip's frame size in pixels. */
export interface Size {
  width: number;
  height: number;
}

/** What one job costs. */
export interface Cost {
  /** null when the catalog has no price and the manifest gave none. */
  usd: number | null;
  /** Provider units, when the provider prices in credits. */
  credits: number | null;
}
