/** The ledger: integer micro-dollars, one place for reserve/settle/release and rounding. */
import { describe, expect, it } from 'vitest';
import { addUsd, BudgetLedger, roundUsd, toMicroUsd } from '../../src/run/budget.ts';

describe('BudgetLedger', () => {
  it('adds thousands of small prices exactly (no float drift)', () => {
    const l = new BudgetLedger(1000);
    for (let i = 0; i < 3000; i++) expect(l.reserve(0.1).ok).toBe(true);
    for (let i = 0; i < 3000; i++) l.end(0.1, true);
    expect(l.spentUsd).toBe(300);
    expect(l.reservedUsd).toBe(0);
  });

  it('refuses a reservation that would pass min(approved, cap), and reports the room', () => {
    const l = new BudgetLedger(1.0, 0.7);
    expect(l.reserve(0.3).ok).toBe(true);
    expect(l.reserve(0.3).ok).toBe(true);
    const r = l.reserve(0.3);
    expect(r).toEqual({ ok: false, needUsd: 0.3, availableUsd: 0.1 });
    expect(l.roomUsd).toBe(0.1);
    expect(l.fits(0.1)).toBe(true);
    expect(l.fits(0.100001)).toBe(false);
  });

  it('end(charged) settles and returns what was spent; end(not charged) releases and returns 0', () => {
    const l = new BudgetLedger(2);
    l.reserve(0.4);
    l.reserve(0.4);
    expect(l.end(0.4, true)).toBe(0.4);
    expect(l.end(0.4, false)).toBe(0);
    expect(l.spentUsd).toBe(0.4);
    expect(l.reservedUsd).toBe(0);
  });

  it('an unpriced job reserves nothing and always fits (the cap cannot see it)', () => {
    const l = new BudgetLedger(1);
    l.reserve(1);
    expect(l.reserve(null)).toEqual({ ok: true, usd: 0 });
    expect(l.fits(null)).toBe(true);
    expect(l.reservedUsd).toBe(1);
  });

  it('rebuilds from checkpoint records, held amounts included', () => {
    const l = BudgetLedger.fromRecords(5, undefined, [
      { reservedUsd: 0.4, spentUsd: 0, heldUsd: 0.4 },
      { reservedUsd: 0, spentUsd: 1.2 },
    ]);
    expect(l.reservedUsd).toBe(0.8);
    expect(l.spentUsd).toBe(1.2);
    expect(l.roomUsd).toBe(3);
  });

  it('rounds in one place', () => {
    expect(toMicroUsd(0.1 + 0.2)).toBe(300_000);
    expect(addUsd(0.1, 0.2)).toBe(0.3);
    expect(roundUsd(1.2345674)).toBe(1.234567);
  });
});
