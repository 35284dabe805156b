/**
 * Money as the CLI shows it, in one place: dollars with cents (src/money.ts), and unpriced jobs
 * counted beside the dollars, never shown as $0.
 */
import { formatUsd } from '../money.ts';

export { formatUsd };

/** "$1.20", "$1.20 + 3 unpriced", or "3 unpriced" when nothing priced was involved. */
export function formatSpend(usd: number, unpriced = 0): string {
  if (unpriced <= 0) return formatUsd(usd);
  return usd === 0 ? `${unpriced} unpriced` : `${formatUsd(usd)} + ${unpriced} unpriced`;
}
