import type { ProviderLimits } from '../catalog/types.ts';
import type { Job } from '../plan/types.ts';
import type { Provider, ProviderEnv } from '../providers/types.ts';

/** What the CLI hands the executor per provider: adapter, injected I/O, limits and catalog facts. */
export interface ProviderBinding {
  provider: Provider;
  env: ProviderEnv;
  limits: ProviderLimits;
  /** The limits are the catalog's defaults (nothing set by the user): what the server reports may raise them. */
  learnLimits?: boolean;
  /** Typical seconds from submit to completion (catalog), for the first poll. */
  renderSeconds: (job: Job) => number;
  /** Whether the provider charges failed tasks (catalog); used when a failure's charge is unclear. */
  chargesFailures: boolean;
}
