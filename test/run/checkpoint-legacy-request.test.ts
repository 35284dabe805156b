/** A run planned before the request's camelCase names still resumes with the same request. */
import { describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../../src/run/checkpoint-read.ts';

describe('checkpoint jobs written before negative_prompt became negativePrompt', () => {
  it('keep their negative prompt under the one name the providers read', () => {
    const job = { id: 'j1', provider: 'sorapi', model: 'sora-2', prompt: 'p', cost: { usd: 1, credits: null }, negative_prompt: 'blur' };
    const snap = { version: 1, seq: 0, approvedUsd: 1, spentUsd: 0, jobs: [job], records: {} };
    const read = decodeSnapshot(JSON.stringify(snap));
    expect(read.kind).toBe('ok');
    if (read.kind !== 'ok') return;
    expect(read.data.jobs[0]?.negativePrompt).toBe('blur');
    // A job that already has the field is left as it is.
    const both = decodeSnapshot(JSON.stringify({ ...snap, jobs: [{ ...job, negativePrompt: 'new' }] }));
    expect(both.kind === 'ok' && both.data.jobs[0]?.negativePrompt).toBe('new');
  });
});
