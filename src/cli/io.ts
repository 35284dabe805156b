/** The CLI's window on the terminal, injected so commands never touch `process` directly. */
import { createInterface } from 'node:readline/promises';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ask a yes/no question on the TTY; false on anything but y/yes. */
  confirm(question: string): Promise<boolean>;
}

export function processIO(): CliIO {
  return {
    out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
    async confirm(question) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
  };
}
