/** `shotlist emulate [--port N]`: serve every provider's contract locally until Ctrl-C. */
import { describeEmulator, startEmulator } from '../emulator/index.ts';
import { parseFaultSpec } from '../emulator/fault-spec.ts';
import { UsageError } from '../errors.ts';
import type { CliIO } from './io.ts';

export async function emulateCommand(
  flags: { port?: number; host?: string; faults?: string },
  io: CliIO,
  signal: AbortSignal,
): Promise<number> {
  const spec = flags.faults ? parseFaultSpec(flags.faults) : { ok: true as const, faults: {} };
  if (!spec.ok) throw new UsageError(spec.message);
  const handle = await startEmulator({ port: flags.port ?? 0, host: flags.host ?? '127.0.0.1', render: 'unique', faults: spec.faults });
  for (const line of describeEmulator(handle)) io.out(line);
  for (const [provider, f] of Object.entries(spec.faults)) io.out(`  faults ${provider}: ${JSON.stringify(f)}`);
  io.out('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await handle.stop();
  return 0;
}
