/** `--emulate`: the built-in emulator started in this process, with every provider pointed at it. */
import { startEmulator } from '../emulator/index.ts';
import type { EmulatorHandle } from '../emulator/types.ts';
import type { ExecuteFlags } from './execute.ts';
import type { CliIO } from './io.ts';

export async function startInProcessEmulator(flags: ExecuteFlags, io: CliIO): Promise<EmulatorHandle> {
  // In callback mode the emulator signs OpenAI's project webhook to our receiver, as OpenAI would.
  const openaiWebhookUrl = flags.listen && flags.publicUrl ? `${flags.publicUrl.replace(/\/+$/, '')}/callbacks/openai` : undefined;
  const emulator = await startEmulator({ render: 'unique', openaiWebhookUrl });
  io.err(`emulator: serving every provider on ${emulator.url}`);
  return emulator;
}

/** The emulator's own signing secrets (and fal's JWKS URL), for verifying its callbacks. */
export function emulatorCallbackSecrets(emulator: EmulatorHandle): Partial<Record<string, string>> {
  return { ...emulator.webhookSecrets, fal: emulator.falJwksUrl };
}
