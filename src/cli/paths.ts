/**
 * The kind of path each command takes, checked before anything reads it, so a wrong kind of path is
 * a one-line usage error (exit 2) with a hint instead of an ENOTDIR/EISDIR from deep inside.
 */
import { statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.ts';

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // ENOTDIR on a parent, a NUL byte, …: treated as "not there"
  }
}

/** A run directory holds a checkpoint or run.json; anything else is a user's mistake worth a hint. */
export function isRunDir(path: string): boolean {
  return ['checkpoint.json', 'run.json', 'checkpoint.journal'].some((f) => statOrUndefined(join(path, f))?.isFile());
}

/** `status`, `post`, `resume`, `retry`: an existing directory. Returns its absolute path. */
export function requireRunDir(cwd: string, dir: string): string {
  const abs = resolve(cwd, dir);
  const st = statOrUndefined(abs);
  if (!st) throw new UsageError(`${dir}: no such run directory (runs are under runs/<name>/; list them with: shotlist runs)`);
  if (!st.isDirectory()) throw new UsageError(`${dir} is a file, not a run directory (pass the run's folder, e.g. runs/<name>)`);
  return abs;
}

/** `validate`, `plan`, `run`: a manifest file; a run directory gets a pointer to `resume`. */
export function requireManifestFile(cwd: string, path: string): string {
  const abs = resolve(cwd, path);
  const st = statOrUndefined(abs);
  if (!st) throw new UsageError(`${path}: no such file`);
  if (st.isDirectory()) {
    if (isRunDir(abs)) throw new UsageError(`${path} is a run directory; to continue it use: shotlist resume ${path}`);
    throw new UsageError(`${path} is a directory, not a manifest (expected a .yaml or .csv file)`);
  }
  return abs;
}
