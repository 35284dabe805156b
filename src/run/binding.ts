import type { ProviderLimits } from '../catalog/types.ts';
import type { Job } from '../plan/types.ts';
import type { Provider, ProviderEnv } from '../providers/types.ts';

/** What the CLI hands the executor per provider: adapter, injected I/O, limits and catalog facts. */
export interface ProviderBinding {
  provider: Provider;
  env: ProviderEnv;
  limits: ProviderLimits;
  /** Typical seconds from submit to completion (catalog), for the first poll. */
  renderSeconds: (job: Job) => number;
  /** Whether the provider charges failed tasks (catalog); used when a failure's charge is unclear. */
  chargesFailures: boolean;
}
