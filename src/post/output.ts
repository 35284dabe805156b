/**
 * The life of one post-step output: skip when up to date, otherwise build into a temporary file
 * next to the target, rename it into place, record its key, and report made/failed as a value.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { InterruptedError } from '../errors.ts';
import { resolveInside } from '../safety/paths.ts';
import { MediaToolError } from '../media/ffmpeg.ts';
import type { PostState } from './state.ts';
import type { ExcludedClip, PostOutput, PostStepKind, StepContext } from './types.ts';

export interface BuildResult {
  method?: 'copy' | 'reencode';
  message?: string;
}

export interface OutputSpec {
  step: PostStepKind;
  /** Relative to the run directory. */
  output: string;
  /** From `stateKey(...)`: inputs' sha256s and every setting that changes the bytes. */
  key: string;
  inputs: string[];
  group?: string;
  excluded?: ExcludedClip[];
  /** Writes the output to `tmpAbs` (same extension as the target). */
  build: (tmpAbs: string) => Promise<BuildResult>;
}

function describe(err: unknown): string {
  if (err instanceof MediaToolError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

function excludedNote(excluded: ExcludedClip[] | undefined): string | undefined {
  if (!excluded || excluded.length === 0) return undefined;
  return `left out ${excluded.length}: ${excluded.map((e) => `${e.job} (${e.reason})`).join('; ')}`;
}

function joinMessages(...parts: Array<string | undefined>): string | undefined {
  const s = parts.filter(Boolean).join('; ');
  return s || undefined;
}

export async function produceOutput(ctx: StepContext, state: PostState, spec: OutputSpec): Promise<PostOutput> {
  const base: Omit<PostOutput, 'kind'> = {
    step: spec.step,
    output: spec.output,
    inputs: spec.inputs,
    ...(spec.group !== undefined ? { group: spec.group } : {}),
    ...(spec.excluded && spec.excluded.length > 0 ? { excluded: spec.excluded } : {}),
  };
  const note = excludedNote(spec.excluded);
  // Names come from the manifest: nothing is written unless it lands inside the run directory.
  const inside = await resolveInside(ctx.runDir, spec.output);
  if (!inside.ok) {
    ctx.events({ kind: 'post.failed', at: ctx.now(), step: spec.step, output: spec.output, message: inside.reason });
    return { ...base, kind: 'failed', message: inside.reason };
  }
  if (await state.isFresh(spec.output, spec.key)) {
    ctx.events({ kind: 'post.finished', at: ctx.now(), step: spec.step, output: spec.output, skipped: true });
    return { ...base, kind: 'skipped', message: joinMessages('up to date', note) };
  }
  const abs = inside.path;
  const ext = extname(abs);
  const tmp = join(dirname(abs), `.${basename(abs, ext)}.partial-${process.pid}${ext}`);
  ctx.events({ kind: 'post.started', at: ctx.now(), step: spec.step, output: spec.output });
  try {
    await mkdir(dirname(abs), { recursive: true });
    const res = await spec.build(tmp);
    await rename(tmp, abs);
    await state.record(spec.output, spec.key);
    ctx.events({ kind: 'post.finished', at: ctx.now(), step: spec.step, output: spec.output, skipped: false });
    return {
      ...base,
      kind: 'made',
      ...(res.method ? { method: res.method } : {}),
      ...(joinMessages(res.message, note) ? { message: joinMessages(res.message, note) } : {}),
    };
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (ctx.signal?.aborted) throw new InterruptedError('post-steps interrupted');
    await state.forget(spec.output).catch(() => undefined);
    const message = describe(err);
    ctx.events({ kind: 'post.failed', at: ctx.now(), step: spec.step, output: spec.output, message });
    return { ...base, kind: 'failed', message: joinMessages(message, note) ?? message };
  }
}

/**
 * An output with nothing to build from (every clip of its group failed or is missing): reported
 * as skipped with the reasons, since there is no file to make rather than a file that failed.
 */
export function emptyOutput(
  ctx: StepContext,
  spec: Pick<OutputSpec, 'step' | 'output' | 'inputs' | 'group' | 'excluded'>,
  message: string,
): PostOutput {
  ctx.events({ kind: 'post.finished', at: ctx.now(), step: spec.step, output: spec.output, skipped: true });
  const note = excludedNote(spec.excluded);
  return {
    step: spec.step,
    output: spec.output,
    kind: 'skipped',
    inputs: spec.inputs,
    message: joinMessages(message, note) ?? message,
    ...(spec.group !== undefined ? { group: spec.group } : {}),
    ...(spec.excluded && spec.excluded.length > 0 ? { excluded: spec.excluded } : {}),
  };
}
