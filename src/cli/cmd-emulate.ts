/** `shotlist emulate [--port N]`: serve every provider's contract locally until Ctrl-C. */
import { describeEmulator, startEmulator } from '../emulator/index.ts';
import type { CliIO } from './io.ts';

export async function emulateCommand(flags: { port?: number; host?: string }, io: CliIO, signal: AbortSignal): Promise<number> {
  const handle = await startEmulator({ port: flags.port ?? 0, host: flags.host ?? '127.0.0.1', render: 'unique' });
  for (const line of describeEmulator(handle)) io.out(line);
  io.out('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await handle.stop();
  return 0;
}
