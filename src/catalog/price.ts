/** Pure price rules: a catalog entry × (seconds, resolution) → credits and USD. */
import type { Resolution } from '../manifest/types.ts';
import type { Cost } from './types.ts';
import type { ModelEntry, PriceRule, ProviderCatalog } from './types.ts';

import { roundUsd } from '../money.ts';

/** Money is summed over thousands of jobs: rounded to micro-dollars, in one place (src/money.ts). */
export { roundUsd };

const UNPRICED: Cost = { usd: null, credits: null };

export function priceRule(rule: PriceRule, usdPerCredit: number | undefined, req: { seconds: number; resolution: Resolution }): Cost {
  let amount: number | undefined;
  switch (rule.kind) {
    case 'per_second': {
      const rate = rule.by_resolution[req.resolution];
      amount = rate === undefined ? undefined : rate * req.seconds;
      break;
    }
    case 'per_clip':
      amount = rule.by_duration[String(req.seconds)];
      break;
    case 'unknown':
      return { ...UNPRICED };
  }
  if (amount === undefined) return { ...UNPRICED };
  if (rule.unit === 'usd') return { usd: roundUsd(amount), credits: null };
  const credits = Math.round(amount * 1e6) / 1e6;
  return { usd: usdPerCredit === undefined ? null : roundUsd(credits * usdPerCredit), credits };
}

export function priceJob(entry: ModelEntry, provider: ProviderCatalog, req: { seconds: number; resolution: Resolution }): Cost {
  return priceRule(entry.price, provider.usd_per_credit, req);
}

/** Human form of a rule for `shotlist catalog`: "$0.10/s 720p", "48 cr/clip 4s …". */
export function describePrice(rule: PriceRule, usdPerCredit?: number): string {
  const unit = (n: number, u: 'usd' | 'credits'): string =>
    u === 'usd' ? `$${money(n)}` : `${fmt(n)} cr${usdPerCredit ? ` ($${money(roundUsd(n * usdPerCredit))})` : ''}`;
  switch (rule.kind) {
    case 'per_second':
      return Object.entries(rule.by_resolution)
        .map(([r, v]) => `${r} ${unit(v, rule.unit)}/s`)
        .join(', ');
    case 'per_clip':
      return Object.entries(rule.by_duration)
        .map(([d, v]) => `${d}s ${unit(v, rule.unit)}/clip`)
        .join(', ');
    case 'unknown':
      return `unpriced${rule.note ? ` (${rule.note})` : ''}`;
  }
}

/** Cents when exact ("0.10"), otherwise every significant digit ("0.3024"). */
function money(n: number): string {
  const cents = n.toFixed(2);
  return Number(cents) === n ? cents : String(n);
}

function fmt(n: number): string {
  return String(Math.round(n * 10000) / 10000);
}
