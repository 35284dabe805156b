/**
 * Money arithmetic, underneath every layer: amounts are integer micro-dollars while they are added,
 * and USD numbers rounded to the micro-dollar when they leave. The run's ledger (run/budget.ts) and
 * the price rules (catalog/price.ts) both round here, so there is one precision everywhere.
 * Display (dollars and cents, "unpriced") is the CLI's: src/cli/format.ts.
 */
export const MICRO_PER_USD = 1_000_000;

export function toMicroUsd(usd: number): number {
  return Math.round(usd * MICRO_PER_USD);
}

export function fromMicroUsd(micro: number): number {
  return micro / MICRO_PER_USD;
}

/** Rounded to the micro-dollar, so 0.1 × 8 is 0.8. */
export function roundUsd(usd: number): number {
  return fromMicroUsd(toMicroUsd(usd));
}

/** Exact sum of USD amounts (each taken to the micro-dollar first). */
export function addUsd(...amounts: number[]): number {
  let micro = 0;
  for (const a of amounts) micro += toMicroUsd(a);
  return fromMicroUsd(micro);
}

/** Money as people read it: dollars with cents. The one USD formatter (the CLI's format.ts builds on it). */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(2)}`;
}
