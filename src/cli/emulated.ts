/** `--emulate`: the built-in emulator started in this process, with every provider pointed at it. */
import type { Catalog } from '../catalog/types.ts';
import { startEmulator } from '../emulator/index.ts';
import type { EmulatorHandle, EmulatorMount } from '../emulator/types.ts';
import { PROVIDER_NAMES, type ProviderName } from '../providers/types.ts';
import type { ExecuteFlags } from './execute-flags.ts';
import type { CliIO } from './io.ts';

/**
 * Provider instances of your own are emulated by their protocol, which then also serves their models
 * (a gateway's Veo 3.1 on the OpenAI protocol): one mount over the protocol's own prefix.
 */
function instanceMounts(catalog?: Catalog): EmulatorMount[] {
  const prefixes: Partial<Record<ProviderName, string>> = { openai: '/openai/v1' };
  const models = new Map<ProviderName, string[]>();
  for (const pc of catalog?.providers ?? []) {
    const protocol = PROVIDER_NAMES.find((n) => n === pc.protocol);
    if (!protocol || !prefixes[protocol]) continue;
    models.set(protocol, [...(models.get(protocol) ?? []), ...pc.models.map((m) => m.wire_id)]);
  }
  return [...models].map(([protocol, ids]) => ({ prefix: prefixes[protocol] ?? '', protocol, models: ids }));
}

export async function startInProcessEmulator(flags: ExecuteFlags, io: CliIO, catalog?: Catalog): Promise<EmulatorHandle> {
  // In callback mode the emulator signs OpenAI's project webhook to our receiver, as OpenAI would.
  const openaiWebhookUrl = flags.listen && flags.publicUrl ? `${flags.publicUrl.replace(/\/+$/, '')}/callbacks/openai` : undefined;
  const emulator = await startEmulator({ openaiWebhookUrl, mounts: instanceMounts(catalog) });
  io.err(`emulator: serving every provider on ${emulator.url}`);
  return emulator;
}

/** The emulator's own signing secrets (and fal's JWKS URL), for verifying its callbacks. */
export function emulatorCallbackSecrets(emulator: EmulatorHandle): Partial<Record<string, string>> {
  return { ...emulator.webhookSecrets, fal: emulator.falJwksUrl };
}
