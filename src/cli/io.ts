/** The CLI's window on the terminal, injected so commands never touch `process` directly. */
import { InterruptedError } from '../errors.ts';
import { platformOpener, type Opener } from './open.ts';
import { askYesNo } from './prompt.ts';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ask a yes/no question on the TTY; false on anything but y/yes (and on Ctrl-D); Ctrl-C throws InterruptedError. */
  confirm(question: string): Promise<boolean>;
  /** Opens a file with the platform's opener (`--open`); absent = no opener here. */
  open?: Opener;
}

export function processIO(): CliIO {
  return {
    out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
    open: platformOpener(process.platform, process.env),
    async confirm(question) {
      const answer = await askYesNo(question, { input: process.stdin, output: process.stdout });
      if (answer === 'interrupted') throw new InterruptedError('interrupted at the approval prompt; nothing was spent');
      return answer === 'yes';
    },
  };
}

/** The `code` of a Node system error (ENOENT, EADDRINUSE, …), without asserting its type. */
export function errnoCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}
