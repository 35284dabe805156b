import { describe, expect, it } from 'vitest';
import { fillTemplate, placeholders } from '../../src/manifest/template.ts';

const vars = new Map(Object.entries({ a: 'A', b: 'B', 'x.y': 'XY' }));

describe('fillTemplate', () => {
  it.each([
    ['plain', 'plain', []],
    ['{a} and {b}', 'A and B', []],
    ['{{a}} {a}', '{a} A', []],
    ['{ a } stays', '{ a } stays', []],
    ['{c} {a}', '{c} A', ['c']],
    ['x}}y', 'x}y', []],
    ['{a', '{a', []],
    ['{x.y}!', 'XY!', []],
    ['{1a}', '{1a}', []],
    ['{a}{b}{{}}', 'AB{}', []],
  ])('%s', (tpl, text, missing) => {
    expect(fillTemplate(tpl, vars)).toEqual({ text, missing });
  });
  it('records the names it saw', () => {
    const used = new Set<string>();
    fillTemplate('{a} {zz}', vars, used);
    expect([...used]).toEqual(['a', 'zz']);
    expect(placeholders('{a} {{b}} {c}')).toEqual(['a', 'c']);
  });
});
