/** Turns zod issues into diagnostics pointing at the YAML node that caused them. */
import type { z } from 'zod';
import type { Diagnostic } from '../errors.ts';
import { didYouMean } from './suggest.ts';
import type { Path, YamlPositions } from './positions.ts';

export function pathText(path: Path): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  return s;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `string "${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer ${v}` : `number ${v}`;
  return `${typeof v} ${String(v)}`;
}

const EXPECTED: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  object: 'a map',
  array: 'a list',
  boolean: 'true or false',
};

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg as string];
  }
  return v;
}

/** Keys an object schema accepts at `path` (walks zod 4's definitions), for "did you mean". */
export function allowedKeysAt(schema: z.ZodType, path: Path): string[] {
  const keys = new Set<string>();
  const visit = (s: unknown, rest: Path): void => {
    const def = (s as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'readonly':
        return visit(def.innerType, rest);
      case 'union':
        for (const o of def.options as unknown[]) visit(o, rest);
        return;
      case 'array':
        if (rest.length && typeof rest[0] === 'number') visit(def.element, rest.slice(1));
        return;
      case 'record':
        if (rest.length) visit(def.valueType, rest.slice(1));
        return;
      case 'object': {
        const shape = def.shape as Record<string, unknown>;
        if (!rest.length) {
          for (const k of Object.keys(shape)) if (!k.startsWith('$')) keys.add(k);
          return;
        }
        const next = shape[String(rest[0])];
        if (next) visit(next, rest.slice(1));
        return;
      }
      default:
        return;
    }
  };
  visit(schema, path);
  return [...keys];
}

/**
 * Diagnostics for a failed safeParse of `value` (found at `base` in the document).
 * `root` is the schema the path is relative to, for key suggestions.
 */
export function issuesToDiagnostics(
  issues: readonly z.core.$ZodIssue[],
  value: unknown,
  base: Path,
  root: z.ZodType,
  pos: YamlPositions,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const rel = issue.path as Path;
    const full = [...base, ...rel];
    const where = pathText(full);
    const actual = valueAt(value, rel);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(root, rel);
        for (const k of issue.keys) {
          const p = pos.at(full, k);
          out.push({ ...p, message: `${where ? where + ': ' : ''}unknown key "${k}"${didYouMean(k, allowed)}` });
        }
        continue;
      }
      case 'invalid_type': {
        const p = pos.at(full);
        if (actual === undefined) {
          out.push({ ...pos.at(full.slice(0, -1)), message: `${where}: missing required field` });
        } else {
          out.push({ ...p, message: `${where}: expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${typeName(actual)}` });
        }
        continue;
      }
      case 'invalid_value': {
        const opts = issue.values.map((v) => JSON.stringify(v));
        const hint = typeof actual === 'string' ? didYouMean(actual, issue.values.map(String)) : '';
        out.push({ ...pos.at(full), message: `${where}: must be one of ${opts.join(', ')}, got ${typeName(actual)}${hint}` });
        continue;
      }
      case 'too_small':
      case 'too_big': {
        const word = issue.code === 'too_small' ? 'at least' : 'at most';
        const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const strict = issue.inclusive === false;
        const what =
          issue.origin === 'array' ? `${word} ${bound} item(s)` :
          issue.origin === 'string' ? `${word} ${bound} character(s)` :
          strict ? `${issue.code === 'too_small' ? 'greater' : 'less'} than ${bound}` : `${word} ${bound}`;
        out.push({ ...pos.at(full), message: `${where}: must be ${what}, got ${typeName(actual)}` });
        continue;
      }
      case 'invalid_union': {
        if (actual === undefined) {
          out.push({ ...pos.at(full.slice(0, -1)), message: `${where}: missing required field` });
          continue;
        }
        out.push({ ...pos.at(full), message: `${where}: ${issue.message}, got ${typeName(actual)}` });
        continue;
      }
      default:
        out.push({ ...pos.at(full), message: `${where ? where + ': ' : ''}${issue.message}` });
    }
  }
  return out;
}
