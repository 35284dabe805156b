/**
 * `npm run chaos -- --seed N --kills K --jobs J [--damage-every D] [--disk-full R] [--no-faults]`
 * The long chaos run: J jobs per provider on all six, K kills, damaged files every D kills, R
 * disk-full rounds (root only). Prints the figures and exits 1 when an invariant broke.
 */
import { parseArgs } from 'node:util';
import { formatReport, runChaos } from '../test/chaos/harness.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    kills: { type: 'string', default: '50' },
    jobs: { type: 'string', default: '12' },
    'damage-every': { type: 'string', default: '4' },
    'disk-full': { type: 'string', default: '1' },
    'no-faults': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});
const num = (s: string | undefined, name: string): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got ${s}`);
    process.exit(2);
  }
  return n;
};
const report = await runChaos({
  seed: num(values.seed, 'seed'),
  kills: num(values.kills, 'kills'),
  jobsPerProvider: num(values.jobs, 'jobs'),
  damageEvery: num(values['damage-every'], 'damage-every'),
  diskFullRounds: num(values['disk-full'], 'disk-full'),
  faults: !values['no-faults'],
  log: values.quiet ? undefined : (l) => console.log(l),
});
for (const line of formatReport(report)) console.log(line);
process.exit(report.violations.length ? 1 : 0);
