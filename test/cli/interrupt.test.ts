/** Ctrl-C stops submitting, saves, exits 130; `shotlist resume` finishes the run without paying twice. */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.ts';
import type { EmulatorHandle } from '../../src/emulator/types.ts';
import { emulatorEnv, runCli, spawnCli } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';

const JOBS = 8;

describe('interrupt and resume', () => {
  let emulator: EmulatorHandle;
  let dir: string;
  beforeAll(async () => {
    emulator = await startEmulator({ render: 'shared', faults: { openai: { renderMs: 1500 } } });
    dir = await tempDir('shotlist-sigint-');
  });
  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('SIGINT exits 130 with the checkpoint saved; resume completes every job exactly once', async () => {
    const manifest = await writeOpenaiManifest(dir, JOBS, 'providers: { openai: { limits: { submit_per_min: 240, submit_burst: 2 } } }');
    const out = join(dir, 'run');
    const env = emulatorEnv(emulator);
    const run = spawnCli(['run', manifest, '--yes', '--out', out], { env });
    const deadline = Date.now() + 30_000;
    while (emulator.counts('openai').creates < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    run.child.kill('SIGINT');
    const interrupted = await run.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/shotlist resume /);
    const createdAtInterrupt = emulator.counts('openai').creates;
    expect(createdAtInterrupt).toBeLessThan(JOBS); // it stopped submitting

    const status = await runCli(['status', out, '--json'], { env });
    expect(status.code).toBe(0);
    const counts = (JSON.parse(status.stdout) as { counts: Record<string, number> }).counts;
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(JOBS);

    const resumed = await runCli(['resume', out], { env });
    expect(resumed.stderr).not.toContain('internal error');
    expect(resumed.code).toBe(0);
    expect(emulator.counts('openai').creates).toBe(JOBS);
    const prompts = emulator.tasks('openai').map((t) => t.prompt);
    expect(new Set(prompts).size).toBe(JOBS);
    const clips = (await readdir(join(out, 'clips'))).filter((f) => f.endsWith('.mp4'));
    expect(clips).toHaveLength(JOBS);
  });
});
