import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { recordStartLines } from '../../src/manifest/csv.ts';

/** Reference: start lines from csv-parse's own (slow) per-record info. */
function reference(text: string): number[] {
  const recs = parse(text, { info: true, bom: true, skip_empty_lines: true }) as unknown as Array<{
    record: string[];
    info: { lines: number };
  }>;
  return recs.map(({ record, info }) => info.lines - record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0));
}

function randomCsv(seed: number): string {
  let s = seed;
  const rnd = (n: number): number => ((s = (s * 1103515245 + 12345) % 2 ** 31), s % n);
  const eol = rnd(2) ? '\r\n' : '\n';
  const rows: string[] = ['a,b,c'];
  for (let i = 0; i < 40; i++) {
    if (rnd(6) === 0) rows.push('');
    const cell = (): string => {
      switch (rnd(4)) {
        case 0:
          return `"multi${eol}line ""q"" ${i}"`;
        case 1:
          return `"plain, quoted"`;
        case 2:
          return '';
        default:
          return `v${i}`;
      }
    };
    rows.push([cell(), cell(), cell()].join(','));
  }
  return (rnd(2) ? '\ufeff' : '') + rows.join(eol) + (rnd(2) ? eol : '');
}

describe('recordStartLines', () => {
  it('matches csv-parse record positions on random CSVs (quoted newlines, CRLF, BOM, empty lines)', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const text = randomCsv(seed);
      // csv-parse counts a CRLF inside quotes as two lines; editors (and we) count one, so the
      // reference is computed on the LF version of the same file.
      const ref = reference(text.replace(/\r\n/g, '\n'));
      expect(Array.from(recordStartLines(text, ref.length)), `seed ${seed}`).toEqual(ref);
    }
  });
});
