/**
 * Approval is a pure decision over what this invocation would newly spend and the user's flags. The
 * CLI asks on a TTY only when this says `ask`; without a TTY and without --yes/--max-usd nothing is
 * ever spent. `--max-usd N` is about the new money: re-running an edited manifest approves its added
 * cost, not the whole plan again.
 */
import { formatUsd } from './format.ts';

export interface ApprovalInput {
  /** USD this invocation would newly commit (the added cost when re-running a changed manifest). */
  costUsd: number;
  /** The whole plan's cost (shown; approval is for `costUsd`). */
  totalUsd: number;
  yes: boolean;
  maxUsd?: number;
  tty: boolean;
}

export type ApprovalDecision =
  { kind: 'approved'; reason: string; capUsd?: number } | { kind: 'ask' } | { kind: 'refused'; reason: string };

export function decideApproval(input: ApprovalInput): ApprovalDecision {
  if (input.maxUsd !== undefined) {
    if (!(input.maxUsd >= 0)) return { kind: 'refused', reason: '--max-usd must be a non-negative number' };
    if (input.costUsd > input.maxUsd + 1e-9) {
      return {
        kind: 'refused',
        reason: `the plan adds ${formatUsd(input.costUsd)}, over --max-usd ${formatUsd(input.maxUsd)}; nothing was spent (add --fit to run the jobs that fit, in manifest order)`,
      };
    }
    return { kind: 'approved', reason: `within --max-usd ${formatUsd(input.maxUsd)}`, capUsd: input.maxUsd };
  }
  if (input.costUsd <= 0) return { kind: 'approved', reason: 'nothing new to spend' };
  if (input.yes) return { kind: 'approved', reason: '--yes' };
  if (input.tty) return { kind: 'ask' };
  return {
    kind: 'refused',
    reason: 'not approved: no TTY to ask on. Pass --yes, or --max-usd N to approve up to N USD. Nothing was spent.',
  };
}
