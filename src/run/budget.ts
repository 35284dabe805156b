/**
 * The money ledger. Amounts are kept in integer micro-dollars so that thousands of small prices
 * add up exactly; a reservation is refused when reserved + spent + price would pass the limit.
 * JavaScript runs this synchronously, so check-and-reserve is atomic whatever the concurrency.
 */
import type { JobRecord } from './types.ts';

const MICRO = 1_000_000;
const toMicro = (usd: number): number => Math.round(usd * MICRO);
const toUsd = (micro: number): number => micro / MICRO;

export type ReserveResult = { ok: true; usd: number } | { ok: false; needUsd: number; availableUsd: number };

export class BudgetLedger {
  private reserved = 0;
  private spent = 0;
  private readonly limit: number;

  constructor(
    readonly approvedUsd: number,
    readonly capUsd?: number,
  ) {
    this.limit = toMicro(Math.min(approvedUsd, capUsd ?? Number.POSITIVE_INFINITY));
  }

  /** Rebuild totals from checkpoint records (on resume). */
  static fromRecords(approvedUsd: number, capUsd: number | undefined, records: Iterable<JobRecord>): BudgetLedger {
    const l = new BudgetLedger(approvedUsd, capUsd);
    for (const r of records) {
      l.reserved += toMicro(r.reservedUsd + (r.heldUsd ?? 0));
      l.spent += toMicro(r.spentUsd);
    }
    return l;
  }

  get reservedUsd(): number {
    return toUsd(this.reserved);
  }
  get spentUsd(): number {
    return toUsd(this.spent);
  }
  get limitUsd(): number {
    return toUsd(this.limit);
  }

  /** Reserve a job's price before its submit. Unpriced jobs (null) count 0: the CLI allowed them explicitly. */
  reserve(priceUsd: number | null): ReserveResult {
    const p = toMicro(priceUsd ?? 0);
    if (this.reserved + this.spent + p > this.limit) {
      return { ok: false, needUsd: toUsd(p), availableUsd: toUsd(Math.max(0, this.limit - this.reserved - this.spent)) };
    }
    this.reserved += p;
    return { ok: true, usd: toUsd(p) };
  }

  /** The provider charged the job: its reservation becomes spend. */
  settle(reservedUsd: number): void {
    const p = toMicro(reservedUsd);
    this.reserved -= p;
    this.spent += p;
  }

  /** The job was not charged (rejected, failed where failures are free, never submitted). */
  release(reservedUsd: number): void {
    this.reserved -= toMicro(reservedUsd);
  }
}
