/**
 * The emulator in its own process for the makespan benchmarks: the server is someone else's machine,
 * so its CPU must not be counted as the client's. Config (faults, time scale) comes as JSON in argv;
 * counts are asked for over IPC.
 */
import { startEmulator } from '../src/emulator/index.ts';
import type { FaultConfig } from '../src/emulator/types.ts';
import { scaledClock } from './scaled-clock.ts';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { faults: FaultConfig; scale?: number; epoch?: number };
const clock = cfg.scale && cfg.epoch ? scaledClock(cfg.scale, cfg.epoch) : undefined;
const emu = await startEmulator({ render: 'shared', seed: 1, faults: { openai: cfg.faults }, ...(clock ? { clock } : {}) });
const send = (m: unknown) => process.send?.(m);

// Warm-up: the first task of a size renders the shared clip with ffmpeg, a one-time cost of the
// emulator that no real server has; it is paid before the clock starts and left out of the counts.
const h = { authorization: 'Bearer warmup', 'content-type': 'application/json' };
const created = (await (
  await fetch(`${emu.baseUrls.openai}/videos`, {
    method: 'POST',
    headers: h,
    body: JSON.stringify({ model: 'sora-2', prompt: 'warm-up', seconds: '4', size: '1280x720' }),
  })
).json()) as { id: string };
for (;;) {
  const v = (await (await fetch(`${emu.baseUrls.openai}/videos/${created.id}`, { headers: h })).json()) as { status: string };
  if (v.status === 'completed' || v.status === 'failed') break;
  await new Promise((r) => setTimeout(r, 100));
}
const base = { ...emu.counts('openai') };
const since = () => {
  const c = emu.counts('openai');
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v - base[k as keyof typeof base]]));
};

send({ kind: 'ready', baseUrl: emu.baseUrls.openai });
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'counts') send({ kind: 'counts', counts: since(), tasks: emu.tasks('openai').length - 1 });
  if (m.cmd === 'stop') void emu.stop().then(() => process.exit(0));
});
