/** Editing a manifest after a run re-plans only the difference and asks approval only for the added cost. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.ts';
import type { EmulatorHandle } from '../../src/emulator/types.ts';
import { emulatorEnv, runInProcess } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';

describe('re-running a changed manifest', () => {
  let emulator: EmulatorHandle;
  let dir: string;
  beforeAll(async () => {
    emulator = await startEmulator({ render: 'shared', faults: { openai: { renderMs: 200 } } });
    dir = await tempDir('shotlist-replan-');
  });
  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps finished jobs, pays only for added ones, and needs approval only for those', async () => {
    const env = emulatorEnv(emulator);
    const out = join(dir, 'run');
    const manifest = await writeOpenaiManifest(dir, 2);
    const first = await runInProcess(['run', manifest, '--yes', '--out', out], { env });
    expect(first.code).toBe(0);
    expect(emulator.counts('openai').creates).toBe(2);

    // Unchanged: nothing new to spend, so no approval is needed even without a TTY, and nothing is sent again.
    const again = await runInProcess(['run', manifest, '--out', out], { env });
    expect(again.code).toBe(0);
    expect(emulator.counts('openai').creates).toBe(2);

    // One more shot: without approval nothing is sent (exit 3); the plan shows 2 kept, 1 added at $0.40.
    await writeOpenaiManifest(dir, 3);
    const refused = await runInProcess(['run', manifest, '--out', out], { env });
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/2 kept/);
    expect(refused.out).toMatch(/1 added/);
    expect(refused.out).toContain('$0.40');
    expect(emulator.counts('openai').creates).toBe(2);

    const approved = await runInProcess(['run', manifest, '--yes', '--out', out], { env });
    expect(approved.code).toBe(0);
    expect(emulator.counts('openai').creates).toBe(3);
    const status = await runInProcess(['status', out, '--json'], { env });
    const parsed = JSON.parse(status.out) as { counts: Record<string, number>; spent_usd: number; approved_usd: number };
    expect(parsed.counts.downloaded).toBe(3);
    expect(parsed.spent_usd).toBeCloseTo(1.2, 6);
    expect(parsed.approved_usd).toBeCloseTo(1.2, 6);
  });
});
