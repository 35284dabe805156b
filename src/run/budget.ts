/**
 * The money ledger: the one place a run's reservations become spend or are given back. Amounts are
 * integer micro-dollars (src/money.ts), so thousands of small prices add up exactly; a reservation is
 * refused when reserved + spent + price would pass min(approved, cap). JavaScript runs this
 * synchronously, so check-and-reserve is atomic whatever the concurrency.
 *
 * Unpriced jobs (run with --allow-unpriced) reserve nothing here: a cap cannot bound them. The CLI's
 * totals count them ("+ N unpriced"), never as $0.
 */
import { addUsd, fromMicroUsd, roundUsd, toMicroUsd } from '../money.ts';

export { addUsd, roundUsd, toMicroUsd };

export type ReserveResult = { ok: true; usd: number } | { ok: false; needUsd: number; availableUsd: number };

/** The money fields of a checkpoint record the ledger is rebuilt from. */
export interface LedgerRecord {
  reservedUsd: number;
  spentUsd: number;
  /** Reservations of earlier attempts that may have been billed: still on the books. */
  heldUsd?: number;
}

export class BudgetLedger {
  private reserved = 0;
  private spent = 0;
  private readonly limit: number;

  constructor(
    readonly approvedUsd: number,
    readonly capUsd?: number,
  ) {
    this.limit = toMicroUsd(Math.min(approvedUsd, capUsd ?? Number.POSITIVE_INFINITY));
  }

  /** Rebuild totals from checkpoint records (on resume). */
  static fromRecords(approvedUsd: number, capUsd: number | undefined, records: Iterable<LedgerRecord>): BudgetLedger {
    const l = new BudgetLedger(approvedUsd, capUsd);
    for (const r of records) {
      l.reserved += toMicroUsd(r.reservedUsd) + toMicroUsd(r.heldUsd ?? 0);
      l.spent += toMicroUsd(r.spentUsd);
    }
    return l;
  }

  get reservedUsd(): number {
    return fromMicroUsd(this.reserved);
  }
  get spentUsd(): number {
    return fromMicroUsd(this.spent);
  }
  get limitUsd(): number {
    return fromMicroUsd(this.limit);
  }
  /** What can still be reserved. */
  get roomUsd(): number {
    return fromMicroUsd(Math.max(0, this.limit - this.reserved - this.spent));
  }

  /** Would a job at this price fit now? (Unpriced jobs always "fit": the cap cannot see them.) */
  fits(priceUsd: number | null): boolean {
    return this.reserved + this.spent + toMicroUsd(priceUsd ?? 0) <= this.limit;
  }

  /**
   * Reserve a job's price before its submit. An unpriced job (null) reserves nothing: the summaries
   * count it as unpriced from the plan (cli/format.ts), never as $0.
   */
  reserve(priceUsd: number | null): ReserveResult {
    if (priceUsd === null) return { ok: true, usd: 0 };
    const p = toMicroUsd(priceUsd);
    if (!this.fits(priceUsd)) return { ok: false, needUsd: fromMicroUsd(p), availableUsd: this.roomUsd };
    this.reserved += p;
    return { ok: true, usd: fromMicroUsd(p) };
  }

  /** The provider charged the job: its reservation becomes spend. */
  settle(reservedUsd: number): void {
    const p = toMicroUsd(reservedUsd);
    this.reserved -= p;
    this.spent += p;
  }

  /** The job was not charged (rejected, failed where failures are free, never submitted). */
  release(reservedUsd: number): void {
    this.reserved -= toMicroUsd(reservedUsd);
  }

  /**
   * A job ended: settle its reservation if the provider charged it, release it if not.
   * Returns what it added to spend (USD), for the job's record.
   */
  end(reservedUsd: number, charged: boolean): number {
    if (charged) this.settle(reservedUsd);
    else this.release(reservedUsd);
    return charged ? roundUsd(reservedUsd) : 0;
  }
}
