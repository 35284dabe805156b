/**
 * Fault settings for `shotlist emulate --faults`: inline JSON or a JSON/YAML file, checked against
 * the FaultConfig fields so a typo is an error, not a silently healthy emulator.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PROVIDER_NAMES, type ProviderName } from '../providers/types.ts';
import type { FaultConfig } from './types.ts';

const rate = z.number().min(0).max(1);
const ms = z.number().min(0);

const faultSchema = z.strictObject({
  latencyMs: ms.optional(),
  renderMs: ms.optional(),
  taskFailRate: rate.optional(),
  rate429: rate.optional(),
  retryAfterS: ms.optional(),
  rate5xx: rate.optional(),
  dropRate: rate.optional(),
  truncateRate: rate.optional(),
  urlTtlMs: ms.optional(),
  submitPerMin: ms.optional(),
  submitBurst: ms.optional(),
  pollPerMin: ms.optional(),
  pollBurst: ms.optional(),
  maxConcurrent: ms.optional(),
  quotaCreates: ms.optional(),
  abortRate: rate.optional(),
  resultNeedsRetry: z.number().int().min(0).optional(),
  dataRetentionMs: ms.optional(),
  defects: z.partialRecord(z.enum(['black', 'frozen', 'silent', 'short']), rate).optional(),
}) satisfies z.ZodType<FaultConfig>;

const specSchema = z.partialRecord(z.enum(PROVIDER_NAMES), faultSchema);

export type FaultSpec = Partial<Record<ProviderName, FaultConfig>>;

export type FaultSpecResult = { ok: true; faults: FaultSpec } | { ok: false; message: string };

/** `text` is inline JSON (starts with `{`) or a path to a JSON/YAML file. */
export function parseFaultSpec(text: string): FaultSpecResult {
  let raw: unknown;
  try {
    raw = text.trim().startsWith('{') ? JSON.parse(text) : parseYaml(readFileSync(text, 'utf8'));
  } catch (e) {
    return { ok: false, message: `--faults: ${(e as Error).message}` };
  }
  const parsed = specSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `--faults: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, faults: parsed.data as FaultSpec };
}
