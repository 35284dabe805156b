import { describe, expect, it } from 'vitest';
import { decideApproval } from '../../src/cli/approve.ts';

describe('decideApproval', () => {
  const base = { costUsd: 6.4, totalUsd: 6.4, yes: false, tty: false };
  it('refuses without a TTY and without --yes/--max-usd', () => {
    const d = decideApproval(base);
    expect(d.kind).toBe('refused');
  });
  it('asks on a TTY', () => {
    expect(decideApproval({ ...base, tty: true }).kind).toBe('ask');
  });
  it('approves with --yes', () => {
    expect(decideApproval({ ...base, yes: true }).kind).toBe('approved');
  });
  it('--max-usd approves only at or under the total and caps spend at N', () => {
    expect(decideApproval({ ...base, maxUsd: 6.4 })).toEqual({ kind: 'approved', reason: expect.any(String), capUsd: 6.4 });
    const over = decideApproval({ ...base, maxUsd: 6.39, yes: true });
    expect(over.kind).toBe('refused');
  });
  it('needs no approval when nothing new would be spent (resume of an unchanged plan)', () => {
    expect(decideApproval({ ...base, costUsd: 0 }).kind).toBe('approved');
  });
});
