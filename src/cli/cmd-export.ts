/** `shotlist export <run-dir> [--picks picks.csv] [--out DIR]`: the picked clips as a delivery folder. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { exportPicks, readPicks } from '../post/export.ts';
import { RESULTS_SCHEMA } from '../report/results.ts';
import type { Results } from '../report/types.ts';
import type { CliIO } from './io.ts';
import { requireRunDir } from './paths.ts';

export interface ExportFlags {
  picks?: string;
  out?: string;
  name?: string;
  brand?: string;
  stitched?: boolean;
}

function isResults(v: unknown): v is Results {
  return !!v && typeof v === 'object' && Reflect.get(v, 'schema') === RESULTS_SCHEMA && Array.isArray(Reflect.get(v, 'jobs'));
}

/** The picks file: the flag, else `picks.csv` or `<name>-picks.csv` (the report's download) in the run directory. */
function findPicks(runDir: string, cwd: string, flag: string | undefined, name: string | null): string {
  if (flag) return resolve(cwd, flag);
  const candidates = [join(runDir, 'picks.csv'), ...(name ? [join(runDir, `${name}-picks.csv`)] : [])];
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new UsageError(`no picks: pass --picks <file> (the CSV the report exports) or put picks.csv in ${runDir}`);
  return found;
}

export async function exportCommand(dir: string, flags: ExportFlags, io: CliIO): Promise<number> {
  const runDir = requireRunDir(io.cwd, dir);
  let results: unknown;
  try {
    results = JSON.parse(await readFile(join(runDir, 'results.json'), 'utf8'));
  } catch {
    throw new UsageError(`${runDir} has no readable results.json (run \`shotlist post ${dir}\` first)`);
  }
  if (!isResults(results)) throw new UsageError(`${join(runDir, 'results.json')} is not a shotlist results file`);
  const picksFile = findPicks(runDir, io.cwd, flags.picks, results.name);
  let text: string;
  try {
    text = await readFile(picksFile, 'utf8');
  } catch {
    throw new UsageError(`cannot read picks file ${picksFile}`);
  }
  let picks: string[];
  try {
    picks = readPicks(text);
  } catch (e) {
    throw new UsageError(`${picksFile}: not a CSV file (${e instanceof Error ? e.message.split('\n')[0] : 'parse error'})`);
  }
  const outDir = resolve(io.cwd, flags.out ?? join(runDir, 'delivery'));
  const res = await exportPicks({
    runDir,
    results,
    picks,
    outDir,
    ...(flags.name ? { template: flags.name } : {}),
    ...(flags.brand ? { brand: flags.brand } : {}),
    stitched: !!flags.stitched,
  });
  if (res.kind === 'invalid') throw new UsageError(`${picksFile}: ${res.message}`);
  for (const f of res.files) io.out(`${f.kind === 'clip' ? 'clip' : 'stitched'}: ${f.file}`);
  io.out(`delivered ${res.files.length} file(s) to ${outDir} (manifest: delivery.json, delivery.csv)`);
  return 0;
}
