/**
 * `--open`: hand the HTML report to the platform's opener (xdg-open on Linux, open on macOS, start on
 * Windows). The opener is injected through CliIO so tests never launch a browser; no opener is a
 * one-line note, never an error.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export type OpenResult = { kind: 'opened'; command: string } | { kind: 'unavailable'; reason: string };
export type Opener = (target: string) => Promise<OpenResult>;

/** The command line that opens a file on `platform`, or undefined when none is known. */
export function openerCommand(platform: NodeJS.Platform): { cmd: string; args: (target: string) => string[] } | undefined {
  if (platform === 'darwin') return { cmd: 'open', args: (t) => [t] };
  // `start` is a cmd.exe builtin; its first quoted argument is a window title, hence the "".
  if (platform === 'win32') return { cmd: 'cmd', args: (t) => ['/c', 'start', '""', t] };
  if (platform === 'aix' || platform === 'android') return undefined;
  return { cmd: 'xdg-open', args: (t) => [t] };
}

/** `cmd` found on PATH (as an executable file). */
export function onPath(cmd: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** The real opener: detached, output ignored, so a browser outliving shotlist is fine. */
export function platformOpener(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): Opener {
  return async (target) => {
    const c = openerCommand(platform);
    if (!c) return { kind: 'unavailable', reason: `no opener known for ${platform}` };
    if (platform !== 'win32' && !onPath(c.cmd, env)) return { kind: 'unavailable', reason: `${c.cmd} not found on PATH` };
    return new Promise<OpenResult>((resolve) => {
      const child = spawn(c.cmd, c.args(target), { detached: true, stdio: 'ignore', env });
      child.once('error', (e) => resolve({ kind: 'unavailable', reason: `${c.cmd}: ${e.message}` }));
      child.once('spawn', () => {
        child.unref();
        resolve({ kind: 'opened', command: c.cmd });
      });
    });
  };
}

/** Opens `report` with `opener` and says what happened in one line on stderr. */
export async function openReport(report: string, opener: Opener | undefined, say: (line: string) => void): Promise<void> {
  const result: OpenResult = opener ? await opener(report) : { kind: 'unavailable', reason: 'no opener on this terminal' };
  say(
    result.kind === 'opened'
      ? `opened ${report} (${result.command})`
      : `note: cannot open the report here (${result.reason}); open it yourself: ${report}`,
  );
}
