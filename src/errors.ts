/**
 * The handful of error classes the tool throws on purpose. Each carries the exit code it maps to;
 * `src/cli/main.ts` is the only place that turns them into a process exit.
 * Expected outcomes of network calls are values (see providers/types.ts), not these.
 */
export interface Diagnostic {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

export abstract class ShotlistError extends Error {
  abstract readonly exitCode: number;
}

/** Invalid manifest, catalog or command line: exit 2, nothing was spent. */
export class InputError extends ShotlistError {
  readonly exitCode = 2;
  constructor(
    readonly diagnostics: Diagnostic[],
    summary?: string,
  ) {
    super(summary ?? diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'InputError';
  }
}

export class UsageError extends ShotlistError {
  readonly exitCode = 2;
  override name = 'UsageError';
}

/** Not approved, or the plan is over the budget cap: exit 3, nothing was spent. */
export class NotApprovedError extends ShotlistError {
  readonly exitCode = 3;
  override name = 'NotApprovedError';
}

/** Ctrl-C / SIGTERM: checkpoint saved, run resumable. */
export class InterruptedError extends ShotlistError {
  readonly exitCode = 130;
  override name = 'InterruptedError';
}

/** Another process holds the run directory's lock. */
export class RunLockedError extends ShotlistError {
  readonly exitCode = 1;
  override name = 'RunLockedError';
}

/**
 * The run directory refused our bytes (disk full, read-only, no permission): exit 4. What was
 * durable before stays durable; the run resumes once the directory takes writes again.
 */
export class RunDirWriteError extends ShotlistError {
  readonly exitCode = 4;
  override name = 'RunDirWriteError';
  static from(code: string, path: string, detail?: string): RunDirWriteError {
    const why: Record<string, string> = {
      ENOSPC: 'the disk is full',
      EDQUOT: 'the disk quota is exhausted',
      EROFS: 'the file system is read-only',
      EACCES: 'permission denied',
      EPERM: 'permission denied',
      EFBIG: 'the file is too large for this file system',
    };
    const dir = path.replace(/\/[^/]*$/, '') || path;
    return new RunDirWriteError(
      `cannot write to ${dir}: ${why[code] ?? detail ?? 'write failed'} (${code}). Free space or fix permissions there, then resume the run; everything recorded so far is kept`,
    );
  }
}
