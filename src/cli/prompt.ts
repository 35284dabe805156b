/**
 * The approval prompt. Ctrl-C and Ctrl-D are answers too: Ctrl-D (end of input) is "no" (exit 3),
 * Ctrl-C is an interruption (exit 130). Neither spends anything, and neither is an error.
 */
import { createInterface } from 'node:readline';

export type PromptAnswer = 'yes' | 'no' | 'interrupted';

export function askYesNo(
  question: string,
  streams: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; terminal?: boolean },
): Promise<PromptAnswer> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: streams.input, output: streams.output, terminal: streams.terminal });
    let settled = false;
    const finish = (a: PromptAnswer) => {
      if (settled) return;
      settled = true;
      rl.close();
      // The prompt line was left open by Ctrl-C/Ctrl-D: end it so the next message starts clean.
      if (a !== 'yes' && a !== 'no') streams.output.write('\n');
      resolve(a);
    };
    // A terminal in raw mode turns Ctrl-C into this event instead of a process signal.
    rl.on('SIGINT', () => finish('interrupted'));
    rl.on('close', () => {
      if (!settled) {
        streams.output.write('\n');
        finish('no');
      }
    });
    rl.question(`${question} [y/N] `, (answer) => finish(/^y(es)?$/i.test(answer.trim()) ? 'yes' : 'no'));
  });
}
