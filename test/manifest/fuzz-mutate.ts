/**
 * Seeded mutation operators for the manifest fuzzer (test/manifest/fuzz.test.ts). Pure functions of
 * (text, rng): the same seed always yields the same mutants, so any failure is reproducible.
 */
import { isMap, isScalar, isSeq, parseDocument, type Node, type YAMLMap, type YAMLSeq } from 'yaml';

export type Rng = () => number;

/** mulberry32: tiny, fast, good enough to pick mutations. */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rng, n: number): number => Math.floor(r() * n);

/** Odd fragments spliced into the text at random offsets. */
const NOISE = [
  ':',
  ': ',
  '-',
  '- ',
  '#',
  '"',
  "'",
  '`',
  '{',
  '}',
  '[',
  ']',
  ',',
  '&',
  '*',
  '!',
  '|',
  '>',
  '%',
  '@',
  '?',
  '\t',
  '\r\n',
  '\r',
  '\n',
  '\n  ',
  '\ufeff',
  '\u0000',
  '\u00a0',
  '\u2028',
  'é',
  '🎬',
  '\\',
  '{{',
  '}}',
  '{prompt}',
  '{missing}',
  '{constructor}',
  '---\n',
  '...\n',
  '<<: ',
  '!!binary ',
  '!!int ',
  '!foo ',
  '&a ',
  '*a',
];

/** Replacement values (YAML text) for any scalar. */
export const VALUES = [
  '0',
  '-1',
  '-0',
  '1.5',
  '1e9',
  '1e306',
  '1e308',
  '1e309',
  '-1e309',
  '9007199254740993',
  '0x1F',
  '0o17',
  '1_000',
  '.nan',
  '.inf',
  '-.inf',
  'NaN',
  '"NaN"',
  'Infinity',
  '""',
  "''",
  '~',
  'null',
  'true',
  'no',
  '[]',
  '{}',
  '[1, 2]',
  '{a: 1}',
  '[[[[[[1]]]]]]',
  `"${'x'.repeat(5000)}"`,
  '"\\u0000"',
  '"é🎬\\t"',
  '"{missing}"',
  '"{constructor}"',
  '"{__proto__}"',
  '"{toString}"',
  '"{{"',
  '"}"',
  '"@x,y=z"',
  '!!binary aGVsbG8=',
  '!!timestamp 2001-12-14',
  '!!str 5',
  '!!int "7"',
  '!!float "x"',
  '!custom x',
  '!!set {a, b}',
  '!!omap [a: 1]',
  '*nowhere',
  '&anc x',
  '|\n  block\n  text',
  '>-\n  folded',
  '"16:9"',
  '9:16',
  '720p',
  '1080p',
  'pro',
  'sora-2',
  'openai',
  'constructor',
  '__proto__',
  'data',
  '.',
  'nope.csv',
  '/',
  'https://example.invalid/x.png',
];

function lines(t: string): string[] {
  return t.split('\n');
}

/** Text-level mutations: lines, indentation, bytes, encodings, documents. */
export const TEXT_MUTATORS: Record<string, (t: string, r: Rng) => string> = {
  deleteLine: (t, r) => {
    const l = lines(t);
    l.splice(int(r, l.length), 1);
    return l.join('\n');
  },
  duplicateLine: (t, r) => {
    const l = lines(t);
    const i = int(r, l.length);
    l.splice(i, 0, l[i]!);
    return l.join('\n');
  },
  swapLines: (t, r) => {
    const l = lines(t);
    const i = int(r, l.length);
    const j = int(r, l.length);
    [l[i], l[j]] = [l[j]!, l[i]!];
    return l.join('\n');
  },
  indent: (t, r) => {
    const l = lines(t);
    const i = int(r, l.length);
    const how = pick(r, ['+1', '+2', '-1', '-2', 'tab', 'zero']);
    const s = l[i]!;
    l[i] =
      how === '+1'
        ? ' ' + s
        : how === '+2'
          ? '  ' + s
          : how === 'tab'
            ? '\t' + s.trimStart()
            : how === 'zero'
              ? s.trimStart()
              : s.slice(how === '-1' ? 1 : 2);
    return l.join('\n');
  },
  truncate: (t, r) => t.slice(0, int(r, t.length + 1)),
  insertNoise: (t, r) => {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + pick(r, NOISE) + t.slice(at);
  },
  deleteChars: (t, r) => {
    const at = int(r, t.length);
    return t.slice(0, at) + t.slice(at + 1 + int(r, 4));
  },
  replaceScalar: (t, r) => {
    const l = lines(t);
    const cands = l.map((s, i) => [s, i] as const).filter(([s]) => /:\s+\S/.test(s) && !s.trimStart().startsWith('#'));
    if (!cands.length) return t;
    const [s, i] = pick(r, cands);
    const m = /^(\s*-?\s*[^:]+:\s+)/.exec(s);
    if (!m) return t;
    const v = pick(r, VALUES);
    // Multi-line values need the line's indentation on their continuation lines.
    const pad = ' '.repeat((/^\s*/.exec(s)?.[0].length ?? 0) + 2);
    l[i] = m[1] + v.replace(/\n/g, '\n' + pad);
    return l.join('\n');
  },
  crlf: (t) => t.replace(/\n/g, '\r\n'),
  crOnly: (t) => t.replace(/\n/g, '\r'),
  bom: (t) => '\ufeff' + t,
  secondDocument: (t) => t + '\n---\nshots: []\n',
  duplicateTopKey: (t, r) => {
    const tops = lines(t).filter((s) => /^[a-z_]+:/.test(s));
    return tops.length ? t + '\n' + pick(r, tops) + '\n' : t;
  },
  unknownKeyLine: (t, r) => {
    const l = lines(t);
    const i = int(r, l.length);
    const ind = /^\s*/.exec(l[i]!)?.[0] ?? '';
    l.splice(
      i,
      0,
      `${ind}${pick(r, ['promt', 'x', '__proto__', 'constructor', '<<', '? [a]', 'seconds'])}: ${pick(r, VALUES).split('\n')[0]}`,
    );
    return l.join('\n');
  },
  anchorsAndAliases: (t) => `x-base: &base { seconds: 4, aspect: "9:16" }\n${t}\n`,
  billionLaughs: (t) =>
    `x: &a [l, l, l, l, l, l, l, l, l]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nw: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n${t}`,
};

/**
 * Structural mutations: parse with `yaml` (keeping the document so comments survive), change a
 * node, print it back. Returns undefined when the text does not parse (text mutations cover that).
 */
export function mutateStructure(t: string, r: Rng): string | undefined {
  try {
    return mutateDocument(t, r);
  } catch {
    return undefined; // yaml refused the edit (e.g. a non-boolean into a !!set): not the code under test
  }
}

function mutateDocument(t: string, r: Rng): string | undefined {
  const doc = parseDocument(t);
  if (doc.errors.length || !isMap(doc.contents)) return undefined;
  const nodes: Array<{ parent: Node; key: unknown; node: Node | null }> = [];
  const walk = (n: Node | null, depth: number) => {
    if (depth > 8 || n === null) return;
    if (isMap(n)) {
      for (const p of n.items) {
        nodes.push({ parent: n, key: p.key, node: p.value as Node | null });
        walk(p.value as Node | null, depth + 1);
      }
    } else if (isSeq(n)) {
      n.items.forEach((c, i) => {
        nodes.push({ parent: n, key: i, node: c as Node });
        walk(c as Node, depth + 1);
      });
    }
  };
  walk(doc.contents, 0);
  if (!nodes.length) return undefined;
  const target = pick(r, nodes);
  const keyOf = (k: unknown): unknown => (isScalar(k) ? k.value : k);
  const parent = target.parent;
  const op = pick(r, ['delete', 'replace', 'replace', 'wrapList', 'wrapMap', 'deepNest', 'emptyCollection', 'rename']);
  const set = (v: unknown) =>
    isMap(parent) ? parent.set(keyOf(target.key), v) : (parent as { set(k: unknown, v: unknown): void }).set(target.key, v);
  switch (op) {
    case 'delete':
      if (isMap(parent)) parent.delete(keyOf(target.key));
      else if (isSeq(parent)) parent.items.splice(target.key as number, 1);
      break;
    case 'replace': {
      const v = parseDocument(`v: ${pick(r, VALUES).replace(/\n/g, '\n  ')}`, { logLevel: 'silent' }).get('v', true);
      set(v ?? null);
      break;
    }
    case 'wrapList': {
      const seq = doc.createNode([]) as YAMLSeq;
      seq.items.push(target.node ? target.node.clone() : null);
      set(seq);
      break;
    }
    case 'wrapMap': {
      const map = doc.createNode({}) as YAMLMap;
      map.set('value', target.node ? target.node.clone() : null);
      set(map);
      break;
    }
    case 'deepNest': {
      let v: unknown = 1;
      for (let i = 0; i < 50 + int(r, 200); i++) v = r() < 0.5 ? { a: v } : [v];
      set(doc.createNode(v));
      break;
    }
    case 'emptyCollection':
      set(doc.createNode(pick(r, [[], {}, ''])));
      break;
    case 'rename':
      if (isMap(parent) && isScalar(target.key))
        target.key.value = pick(r, ['promt', 'Prompt', 'seconds ', '', 'constructor', '__proto__', 'id', 'from']);
      break;
  }
  return doc.toString({ lineWidth: 0 });
}

/** CSV-level mutations. */
export const CSV_MUTATORS: Record<string, (t: string, r: Rng) => string> = {
  raggedRow: (t, r) => {
    const l = lines(t);
    const i = 1 + int(r, Math.max(1, l.length - 1));
    if (l[i] !== undefined) l[i] += r() < 0.5 ? ',extra' : '';
    if (r() < 0.5 && l[i] !== undefined) l[i] = l[i]!.split(',').slice(0, -1).join(',');
    return l.join('\n');
  },
  onlyHeader: (t) => lines(t)[0]! + '\n',
  empty: () => '',
  nul: (t, r) => {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + '\u0000' + t.slice(at);
  },
  strayQuote: (t, r) => {
    const at = int(r, t.length + 1);
    return t.slice(0, at) + '"' + t.slice(at);
  },
  crOnly: (t) => t.replace(/\n/g, '\r'),
  crlf: (t) => t.replace(/\n/g, '\r\n'),
  bom: (t) => '\ufeff' + t,
  badCell: (t, r) => {
    const l = lines(t);
    const i = 1 + int(r, Math.max(1, l.length - 2));
    const cells = (l[i] ?? '').split(',');
    cells[int(r, cells.length)] = pick(r, ['', '0', '-4', '1e9', 'NaN', 'sixteen', '"a""b"', '" x "', '4.5', '{missing}', 'é🎬']);
    l[i] = cells.join(',');
    return l.join('\n');
  },
  headerRename: (t, r) => {
    const l = lines(t);
    const cells = l[0]!.split(',');
    cells[int(r, cells.length)] = pick(r, [
      'constructor',
      '__proto__',
      'toString',
      'secnods',
      'vars',
      'params.x',
      'vars.',
      'id',
      'takes',
      'seed',
      'image',
      '',
    ]);
    l[0] = cells.join(',');
    return l.join('\n');
  },
  duplicateRow: (t, r) => {
    const l = lines(t);
    const i = 1 + int(r, Math.max(1, l.length - 2));
    l.splice(i, 0, l[i] ?? '');
    return l.join('\n');
  },
  blankLines: (t) => t.replace(/\n/g, '\n\n'),
};
