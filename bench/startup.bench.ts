/**
 * Start-up: the installed CLI (compiled dist/, lazy command imports) against `node -e 0`, median of 5
 * each, interleaved so machine load hits both alike. Builds dist/ first when it is missing.
 *   node --import tsx bench/startup.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}dist/cli/main.js`)) spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
const env = { ...process.env, SHOTLIST_TSX: '' };

function time(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cases: Array<[string, string[]]> = [
  ['shotlist --help', ['bin/shotlist.js', '--help']],
  ['shotlist validate pipelines/demo.yaml', ['bin/shotlist.js', 'validate', 'pipelines/demo.yaml']],
];
const base: number[] = [];
const runs = new Map<string, number[]>(cases.map(([n]) => [n, []]));
for (let i = 0; i < 5; i++) {
  base.push(time(['-e', '0']));
  for (const [name, args] of cases) runs.get(name)!.push(time(args));
}
const b = median(base);
console.log(`node -e 0: ${b.toFixed(0)} ms (median of 5)`);
for (const [name] of cases) {
  const m = median(runs.get(name)!);
  const ratio = m / b;
  console.log(`${name.padEnd(44)} ${m.toFixed(0).padStart(6)} ms  ratio ${ratio.toFixed(2)}  goal ≤ 3 ${ratio <= 3 ? 'ok' : 'MISSED'}`);
}
