/**
 * How long the in-process emulator takes per task as a client sees it: its render delay plus a margin
 * for rendering the clip with ffmpeg. Under --emulate this replaces the catalog's render times (which
 * describe the real provider, often minutes) for polling and for every ETA. Kept apart from
 * emulated.ts so planning does not load the emulator.
 */
import { DEFAULT_RENDER_MS } from '../emulator/faults.ts';

export const EMULATED_RENDER_S = DEFAULT_RENDER_MS / 1000 + 1;

/** The emulator's speed as "observed" render seconds for each provider of `jobs` (see estimateEta). */
export function emulatedRenderTimes(providers: Iterable<string>): Record<string, number> {
  return Object.fromEntries([...new Set(providers)].map((p) => [p, EMULATED_RENDER_S]));
}
