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
  // YAML tags can produce these (!!binary, !!timestamp, !!set, !!omap).
  if (v instanceof Uint8Array) return 'binary data (!!binary)';
  if (v instanceof Date) return 'a timestamp';
  if (v instanceof Set) return 'a set (!!set)';
  if (v instanceof Map) return 'a map';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `string "${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  if (typeof v === 'number')
    return Number.isInteger(v) ? `integer ${v}` : Number.isFinite(v) ? `number ${v}` : `${v} (not a finite number)`;
  return `${typeof v} ${String(v)}`;
}

const EXPECTED: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  object: 'a map',
  array: 'a list',
  boolean: 'true or false',
  record: 'a map',
};

/** What a failed union wanted, from its branches' type errors: "a string or an integer". */
function unionExpected(issue: z.core.$ZodIssueInvalidUnion): string | undefined {
  const want = new Set<string>();
  for (const branch of issue.errors) {
    // A wrong type is the whole story for that branch (zod 4 adds size checks after it).
    const typeIssue = branch.find((i) => i.path.length === 0 && i.code === 'invalid_type');
    if (typeIssue?.code === 'invalid_type') {
      want.add(EXPECTED[typeIssue.expected] ?? typeIssue.expected);
      continue;
    }
    for (const i of branch) {
      if (i.path.length === 0 && i.code === 'invalid_type') want.add(EXPECTED[i.expected] ?? i.expected);
      else if (i.path.length === 0 && i.code === 'invalid_value') want.add(`one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`);
      else return undefined; // the value matched a branch's type but failed inside it: zod's message is better
    }
  }
  return want.size ? [...want].join(' or ') : undefined;
}

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) {
    // Own keys only: a Buffer from !!binary has an inherited `at`, any object a `constructor`.
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<string, unknown>)[seg as string];
  }
  return v;
}

function isExotic(v: unknown): boolean {
  return v instanceof Uint8Array || v instanceof Date || v instanceof Map || v instanceof Set;
}

/**
 * The shortest prefix of `path` whose value is a non-plain object, if any; the whole path counts
 * only with `inclusive` (unknown keys "found" in a Buffer; other issues name the value's type themselves).
 */
function exoticPrefix(root: unknown, path: Path, inclusive: boolean): Path | undefined {
  let v = root;
  for (let i = 0; i <= path.length; i++) {
    if (isExotic(v)) return i < path.length || inclusive ? path.slice(0, i) : undefined;
    if (i === path.length || v === null || typeof v !== 'object' || !Object.hasOwn(v, path[i]!)) return undefined;
    v = (v as Record<string, unknown>)[path[i] as string];
  }
  return undefined;
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
  // zod 4 still runs a failed value's size checks ("at least 1 character" for a list): once the
  // type is wrong, that is the only thing worth saying about the value.
  const wrongType = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => i.path.join('\u0000')));
  const exoticSeen = new Set<string>();
  for (const issue of issues) {
    const rel = issue.path as Path;
    if ((issue.code === 'too_small' || issue.code === 'too_big') && wrongType.has(issue.path.join('\u0000'))) continue;
    // zod walks into a Buffer (!!binary) or a Date (!!timestamp) as if it were a map; say what it is instead.
    const exotic = exoticPrefix(value, rel, issue.code === 'unrecognized_keys');
    if (exotic) {
      const key = exotic.join('\u0000');
      if (!exoticSeen.has(key)) {
        exoticSeen.add(key);
        const full = [...base, ...exotic];
        out.push({ ...pos.at(full), message: `${pathText(full)}: expected a map, got ${typeName(valueAt(value, exotic))}` });
      }
      continue;
    }
    const full = [...base, ...rel];
    const where = pathText(full);
    const actual = valueAt(value, rel);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeysAt(root, rel);
        for (const k of issue.keys) {
          const p = pos.at(full, k);
          // JSON quoting keeps a key with a newline or control character on one readable line.
          out.push({ ...p, message: `${where ? where + ': ' : ''}unknown key ${JSON.stringify(k)}${didYouMean(k, allowed)}` });
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
        if (actual === undefined) {
          out.push({ ...pos.at(full.slice(0, -1)), message: `${where}: missing required field (one of ${opts.join(', ')})` });
          continue;
        }
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
          issue.origin === 'array'
            ? `${word} ${bound} item(s)`
            : issue.origin === 'string'
              ? `${word} ${bound} character(s)`
              : strict
                ? `${issue.code === 'too_small' ? 'greater' : 'less'} than ${bound}`
                : `${word} ${bound}`;
        out.push({ ...pos.at(full), message: `${where}: must be ${what}, got ${typeName(actual)}` });
        continue;
      }
      case 'invalid_union': {
        if (actual === undefined) {
          out.push({ ...pos.at(full.slice(0, -1)), message: `${where}: missing required field` });
          continue;
        }
        // A branch whose type matched failed inside: its own issues say what is wrong.
        const inner = issue.errors.find(
          (b) => b.length > 0 && b.every((i) => i.path.length > 0 || (i.code !== 'invalid_type' && i.code !== 'invalid_value')),
        );
        if (inner) {
          out.push(
            ...issuesToDiagnostics(
              inner.map((i) => ({ ...i, path: [...rel, ...i.path] })),
              value,
              base,
              root,
              pos,
            ),
          );
          continue;
        }
        const want = unionExpected(issue);
        out.push({
          ...pos.at(full),
          message: `${where ? where + ': ' : ''}${want ? `expected ${want}` : issue.message}, got ${typeName(actual)}`,
        });
        continue;
      }
      default:
        out.push({ ...pos.at(full), message: `${where ? where + ': ' : ''}${issue.message}` });
    }
  }
  return out;
}
