/**
 * `npm run bench`: runs every benchmark in bench/ one after another (each in its own process, so
 * peak-RSS figures are not polluted by the others) and prints their figures. Pass --quick for short runs.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const extra = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const res = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${file}`, ...extra], { stdio: 'inherit' });
  if (res.status !== 0) failed += 1;
}
process.exitCode = failed > 0 ? 1 : 0;
