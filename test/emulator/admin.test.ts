import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.ts';
import { AUTH, getJson, postJson } from './helpers.ts';

describe('emulator admin endpoints: what it received', () => {
  const clock = new FakeClock();
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({ clock, seed: 5, render: 'shared', faults: { sorapi: { renderMs: 1_000 } } });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('lists every created task with its phase and counts every request, per provider', async () => {
    const before = (await getJson(`${emu.url}/_emulator/tasks`)).body as { tasks: unknown[] };
    expect(before.tasks).toEqual([]);
    const created = await postJson(`${emu.baseUrls.sorapi}/api/generate`, { prompt: 'admin check', model: 'sora-2', duration: 4 }, AUTH);
    expect(created.status).toBeLessThan(300);
    const all = (await getJson(`${emu.url}/_emulator/tasks`)).body as { tasks: Array<Record<string, unknown>> };
    expect(all.tasks).toHaveLength(1);
    expect(all.tasks[0]).toMatchObject({ provider: 'sorapi', prompt: 'admin check', phase: 'queued', deleted: false });
    const none = (await getJson(`${emu.url}/_emulator/tasks?provider=openai`)).body as { tasks: unknown[] };
    expect(none.tasks).toEqual([]);
    const counts = (await getJson(`${emu.url}/_emulator/counts`)).body as Record<string, { creates: number }>;
    expect(counts.sorapi!.creates).toBe(1);
    expect(counts.openai!.creates).toBe(0);
    // The in-process handle reports the same view.
    expect(emu.tasks('sorapi')[0]).toMatchObject({ prompt: 'admin check', phase: 'queued' });
  });
});
