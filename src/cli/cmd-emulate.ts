/** `shotlist emulate [--port N]`: serve every provider's contract locally until Ctrl-C. */
import { describeEmulator, startEmulator } from '../emulator/index.ts';
import { parseFaultSpec } from '../emulator/fault-spec.ts';
import { UsageError } from '../errors.ts';
import { errnoCode, type CliIO } from './io.ts';

export async function emulateCommand(
  flags: { port?: number; host?: string; faults?: string },
  io: CliIO,
  signal: AbortSignal,
): Promise<number> {
  const spec = flags.faults ? parseFaultSpec(flags.faults) : { ok: true as const, faults: {} };
  if (!spec.ok) throw new UsageError(spec.message);
  const host = flags.host ?? '127.0.0.1';
  let handle: Awaited<ReturnType<typeof startEmulator>>;
  try {
    handle = await startEmulator({ port: flags.port ?? 0, host, faults: spec.faults });
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EADDRINUSE')
      throw new UsageError(`port ${flags.port} on ${host} is already in use; pick another --port, or omit it for a free one`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
      throw new UsageError(`cannot listen on ${host}:${flags.port ?? 0} (${code}); check --host and --port`);
    }
    throw e;
  }
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
