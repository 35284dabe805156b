/** Kill a real CLI run after its first submissions, re-run the same command: nothing created twice, every clip arrives. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.ts';
import type { EmulatorHandle } from '../../src/emulator/types.ts';
import { probe } from '../../src/media/ffmpeg.ts';
import { emulatorEnv, runCli, spawnCli } from '../helpers/cli.ts';
import { tempDir, writeOpenaiManifest } from '../helpers/manifests.ts';

const JOBS = 6;

describe('resume after kill -9', () => {
  let emulator: EmulatorHandle;
  let dir: string;

  beforeAll(async () => {
    emulator = await startEmulator({ render: 'shared', faults: { openai: { renderMs: 1500, latencyMs: 30 } } });
    dir = await tempDir('shotlist-resume-');
  });
  afterAll(async () => {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('never creates a job twice and delivers every clip', async () => {
    const manifest = await writeOpenaiManifest(dir, JOBS);
    const out = join(dir, 'run');
    const env = emulatorEnv(emulator);
    const args = ['run', manifest, '--yes', '--out', out];

    const first = spawnCli(args, { env });
    const deadline = Date.now() + 30_000;
    while (emulator.counts('openai').creates < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const createdBeforeKill = emulator.counts('openai').creates;
    expect(createdBeforeKill).toBeGreaterThanOrEqual(2);

    const second = await runCli(args, { env });
    expect(second.stderr).not.toContain('internal error');
    expect(second.code).toBe(0);

    const tasks = emulator.tasks('openai');
    const perPrompt = new Map<string, number>();
    for (const t of tasks) perPrompt.set(t.prompt, (perPrompt.get(t.prompt) ?? 0) + 1);
    expect(perPrompt.size).toBe(JOBS);
    expect([...perPrompt.values()].every((n) => n === 1)).toBe(true);
    expect(emulator.counts('openai').creates).toBe(JOBS);

    const { readdir } = await import('node:fs/promises');
    const clips = (await readdir(join(out, 'clips'))).filter((f) => f.endsWith('.mp4'));
    expect(clips).toHaveLength(JOBS);
    for (const c of clips) {
      const p = await probe(join(out, 'clips', c));
      expect(p.video?.width).toBe(1280);
      expect(Math.abs(p.durationS - 4)).toBeLessThan(0.5);
    }
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
});

describe('an --emulate run killed mid-flight', () => {
  it('re-runs on a fresh emulator: tasks the old one held are planned again, every clip arrives', async () => {
    const { readFile } = await import('node:fs/promises');
    const dir = await tempDir('shotlist-emu-resume-');
    const manifest = await writeOpenaiManifest(dir, 4);
    const out = join(dir, 'run');
    const args = ['run', manifest, '--emulate', '--yes', '--out', out];
    const first = spawnCli(args);
    const deadline = Date.now() + 30_000;
    const journal = join(out, 'checkpoint.journal');
    while (Date.now() < deadline) {
      const text = await readFile(journal, 'utf8').catch(() => '');
      if (text.includes('"submitted"')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');

    const second = await runCli(args);
    expect(second.stderr).not.toContain('internal error');
    expect(second.code).toBe(0);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(join(out, 'clips'))).filter((f) => f.endsWith('.mp4'))).toHaveLength(4);
    await rm(dir, { recursive: true, force: true });
  });
});
