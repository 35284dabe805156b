/**
 * The CLI as data: commands declared here, each delegating to one `cmd-*.ts` file. `runMain` is the
 * only place that turns errors into exit codes and the only caller of `process.exit`.
 */
import { setMaxListeners } from 'node:events';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatDiagnostic, InputError, ShotlistError } from '../errors.ts';
import { errnoCode, processIO, type CliIO } from './io.ts';
import { writeErrorOf } from '../run/rundir.ts';

// Each command's module is loaded only when that command runs: start-up pays for what it uses.
const loadCatalog = () => import('./cmd-catalog.ts');
const loadEmulate = () => import('./cmd-emulate.ts');
const loadPlan = () => import('./cmd-plan.ts');
const loadPost = () => import('./cmd-post.ts');
const loadExport = () => import('./cmd-export.ts');
const loadResume = () => import('./cmd-resume.ts');
const loadCancel = () => import('./cmd-cancel.ts');
const loadRun = () => import('./cmd-run.ts');
const loadStatus = () => import('./cmd-status.ts');
const loadRetry = () => import('./cmd-retry.ts');
const loadRuns = () => import('./cmd-runs.ts');
const loadReport = () => import('./cmd-report.ts');
const loadInit = () => import('./cmd-init.ts');

function num(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function planOptions(cmd: Command): Command {
  return cmd
    .option('--provider <name>', 'default provider (for a CSV manifest)')
    .option('--model <id>', 'default model (for a CSV manifest)')
    .option('--catalog <file>', 'extra catalog file (repeatable)', collect)
    .option('--allow-unpriced', 'plan and run jobs the catalog cannot price');
}

function execOptions(cmd: Command): Command {
  return cmd
    .option('--resubmit-unknown', 'resubmit jobs whose submit could not be reconciled (may pay twice)')
    .option('--listen <host:port>', 'receive provider callbacks on this address')
    .option('--public-url <url>', 'public URL that reaches --listen (sent to providers as the callback URL)')
    .addOption(new Option('--submit-per-min <n>', "override every provider's submit rate").argParser(num))
    .addOption(new Option('--max-in-flight <n>', "override every provider's cap on tasks in flight").argParser(num))
    .option('--open', 'open the HTML report when the run ends (xdg-open / open / start)')
    .option('--notify <command|url>', 'when the run ends, POST its summary JSON to an http(s) URL or pipe it to a command');
}

export function buildProgram(io: CliIO, signal: AbortSignal, setExit: (code: number) => void): Command {
  const program = new Command('shotlist')
    .description('Plan, price, approve, run and review large batches of AI video generations.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(add --help for usage)');
  const done = (p: Promise<number>) => p.then(setExit);

  program
    .command('init [dir]')
    .description('write a commented starter manifest for one use (never overwrites)')
    .addOption(
      new Option('--use <use>', 'campaign (image reference), bakeoff (four providers), overnight (200-row CSV)')
        .choices(['campaign', 'bakeoff', 'overnight'])
        .makeOptionMandatory(),
    )
    .action((d: string | undefined, o) => done(loadInit().then((c) => c.initCommand(d, o, io))));
  planOptions(program.command('validate <manifest>').description('check a manifest; sends nothing')).action((m: string, o) =>
    done(loadPlan().then((c) => c.validateCommand(m, o, io))),
  );
  planOptions(program.command('plan <manifest>').description('expand, check and price a manifest; sends nothing'))
    .option('--json', 'machine-readable plan')
    .option('--out <dir>', 'run directory to compare with (default <manifest folder>/runs/<name>)')
    .action((m: string, o) => done(loadPlan().then((c) => c.planCommand(m, o, io))));
  execOptions(planOptions(program.command('run <manifest>').description('plan, ask for approval, run, post-process, report')))
    .option('--out <dir>', 'run directory (default <manifest folder>/runs/<name>)')
    .option('--yes', 'approve the plan without asking')
    .addOption(new Option('--max-usd <n>', 'approve only if the plan costs at most N USD, and cap spend at N').argParser(num))
    .option('--json', 'print one JSON summary on stdout at the end (the status shape, deferred jobs, report path)')
    .option('--fit', 'take new jobs in manifest order while they fit in --max-usd / budget.max_usd; defer the rest')
    .option('--only <selectors>', 'run a subset: shot ids, provider=NAME, model=ID, rows=A..B (comma-separated, repeatable)', collect)
    .option('--emulate', 'start the built-in emulator and point every provider at it')
    .action((m: string, o) => done(loadRun().then((c) => c.runCommand(m, o, io, signal))));
  execOptions(program.command('resume <run-dir>').description('continue a run from its checkpoint'))
    .option('--verify', 're-hash every downloaded clip (default: trust clips whose size, mtime and inode are unchanged)')
    .action((d: string, o) => done(loadResume().then((c) => c.resumeCommand(d, o, io, signal))));
  execOptions(program.command('retry <run-dir>').description('send failed jobs again, with a fresh approval of what they cost'))
    .option('--states <list>', 'which jobs: some of failed, expired, rejected, unknown (default failed,expired)')
    .option('--only <selectors>', 'of those, only: shot ids, provider=NAME, model=ID, rows=A..B', collect)
    .option('--yes', 'approve without asking')
    .addOption(new Option('--max-usd <n>', 'approve only if the retry costs at most N USD').argParser(num))
    .option('--json', 'print one JSON summary on stdout at the end')
    .action((d: string, o) => done(loadRetry().then((c) => c.retryCommand(d, o, io, signal))));
  program
    .command('status <run-dir>')
    .description('jobs by state and spend, during or after a run')
    .option('--json', 'machine-readable status')
    .action((d: string, o) => done(loadStatus().then((c) => c.statusCommand(d, o, io))));
  program
    .command('runs [dir]')
    .description('list the runs under <dir>/runs (default: the current folder) with state, jobs and spend')
    .option('--json', 'machine-readable list')
    .action((d: string | undefined, o) => done(loadRuns().then((c) => c.runsCommand(d, o, io))));
  program
    .command('cancel <run-dir>')
    .description('ask the providers to stop every task of the run still in flight; record what was billed')
    .action((d: string) => done(loadCancel().then((c) => c.cancelCommand(d, io))));
  program
    .command('post <run-dir>')
    .description('re-run post-steps and rewrite results and report')
    .option('--open', 'open the HTML report afterwards')
    .action((d: string, o) => done(loadPost().then((c) => c.postCommand(d, io, signal, o))));
  program
    .command('report <run-dir>')
    .description("print the path of the run's HTML report")
    .option('--open', 'open it (xdg-open / open / start)')
    .action((d: string, o) => done(loadReport().then((c) => c.reportCommand(d, o, io))));
  program
    .command('export <run-dir>')
    .description('copy the picked clips into a delivery folder with a manifest (delivery.json, delivery.csv)')
    .option('--picks <file>', 'picks CSV exported from the report (default: picks.csv in the run directory)')
    .option('--out <dir>', 'delivery folder (default: <run-dir>/delivery)')
    .option('--name <template>', 'file name template, e.g. "{brand}_{shot}_{aspect}_{seconds}s"')
    .option('--brand <text>', 'value of {brand} (default: the run name)')
    .option('--stitched', 'also deliver the stitched videos that contain a pick')
    .action((d: string, o) => done(loadExport().then((c) => c.exportCommand(d, o, io))));
  program
    .command('emulate')
    .description("serve every provider's API locally (free, offline)")
    .addOption(new Option('--port <n>', 'port (default: a free one)').argParser(num))
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--faults <json|file>', 'inject faults per provider, e.g. \'{"openai":{"rate429":0.2,"retryAfterS":2}}\'')
    .action((o) => done(loadEmulate().then((c) => c.emulateCommand(o, io, signal))));
  program
    .command('catalog')
    .description('models, limits and prices with their as-of dates')
    .option('--json', 'machine-readable catalog')
    .option('--catalog <file>', 'extra catalog file (repeatable)', collect)
    .action((o) => done(loadCatalog().then((c) => c.catalogCommand(o, io))));
  return program;
}

/** Codes of system errors a user's input or environment can cause (a path, a port, permissions). */
const USER_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
};

/**
 * The safety net under every command: an abort (Ctrl-C) is an interruption, and a system error a user
 * can cause is a one-line usage error. Anything else is a bug and keeps its stack.
 */
export function userCaused(e: unknown, signal: AbortSignal): { code: number; message: string } | undefined {
  if (signal.aborted || (e instanceof Error && e.name === 'AbortError')) {
    return { code: 130, message: 'interrupted; nothing more was sent (a run keeps its checkpoint: shotlist resume <run-dir>)' };
  }
  const code = errnoCode(e);
  const why = code ? USER_ERRNO[code] : undefined;
  if (!why) return undefined;
  const where = e instanceof Error && 'path' in e && typeof e.path === 'string' ? e.path : '';
  return { code: 2, message: `${where ? `${where}: ` : ''}${why} (${code})` };
}

/** Maps any outcome of a command to an exit code; prints errors once, without stack traces for expected ones. */
export async function runMain(argv: string[], io: CliIO, signal: AbortSignal): Promise<number> {
  let code = 0;
  const program = buildProgram(io, signal, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof InputError) {
      for (const d of e.diagnostics) io.err(formatDiagnostic(d));
      io.err(`error: ${e.diagnostics.length} problem(s); nothing was sent`);
      return e.exitCode;
    }
    if (e instanceof ShotlistError) {
      io.err(`error: ${e.message}`);
      return e.exitCode;
    }
    // A refusal from the file system that no layer mapped (disk full, read-only): still exit 4, not a trace.
    const write = writeErrorOf(e, { permission: false });
    if (write) {
      io.err(`error: ${write.message}`);
      return write.exitCode;
    }
    const user = userCaused(e, signal);
    if (user) {
      io.err(`error: ${user.message}`);
      return user.code;
    }
    io.err(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

/** The process entry point (bin/shotlist.js): wires signals to one AbortSignal and exits with runMain's code. */
export async function cli(argv: string[] = process.argv.slice(2)): Promise<never> {
  const controller = new AbortController();
  // One signal reaches every in-flight request, poll wait and child process: many listeners is by design.
  setMaxListeners(0, controller.signal);
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130); // second Ctrl-C: the checkpoint is already durable
    process.stderr.write('\ninterrupt: stopping cleanly; a run saves its checkpoint (Ctrl-C again to force quit)\n');
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await runMain(argv, processIO(), controller.signal);
  process.exit(code);
}
