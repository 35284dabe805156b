/** Helpers for CLI tests: spawn the real binary, or call runMain in-process with a captured IO. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runMain } from '../../src/cli/main.ts';
import type { CliIO } from '../../src/cli/io.ts';
import type { EmulatorHandle } from '../../src/emulator/types.ts';
import { apiKeyEnv, baseUrlEnv } from '../../src/providers/index.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/shotlist.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for a child CLI: no inherited provider keys or base URLs, so nothing can reach a real host. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/(_API_KEY|_API_TOKEN|_BASE_URL|^FAL_KEY)$/.test(k)) continue;
    env[k] = v;
  }
  // SHOTLIST_TSX: the binary runs the sources under test, never a dist/ build that may be older.
  return { ...env, ...extra, NO_COLOR: '1', SHOTLIST_TSX: '1' };
}

/** The key every emulator-backed CLI test uses: the tests assert it never reaches a file or a log. */
export const TEST_KEY = 'sk-test-not-a-real-key';

/** A clean environment pointing every provider at `emulator`, with a test key for each. */
export function emulatorEnv(emulator: EmulatorHandle): NodeJS.ProcessEnv {
  const extra: Record<string, string> = {};
  for (const name of PROVIDER_NAMES) {
    extra[apiKeyEnv(name)] = TEST_KEY;
    extra[baseUrlEnv(name)] = emulator.baseUrls[name];
  }
  return cleanEnv(extra);
}

export function spawnCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): {
  child: ChildProcess;
  done: Promise<CliResult>;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return spawnCli(args, opts).done;
}

/** In-process CLI call: fast enough to run a whole corpus of manifests. */
export async function runInProcess(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; tty?: boolean } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => void (out += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => void (err += t.endsWith('\n') ? t : `${t}\n`),
    isTTY: opts.tty ?? false,
    env: opts.env ?? cleanEnv(),
    cwd: opts.cwd ?? ROOT,
    confirm: async () => false,
  };
  const code = await runMain(args, io, new AbortController().signal);
  return { code, out, err };
}
