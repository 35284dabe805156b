/** "Did you mean" hints for misspelled keys and ids, by edit distance. */

/** Edit distance where swapping two neighbours counts as one edit ("nmae" → "name"). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev2: number[] = Array.from({ length: b.length + 1 }, () => 0);
  let prev: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1))
        d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate within a distance that scales with the word's length, if any. */
export function closest(word: string, candidates: Iterable<string>, opts: { abbreviations?: boolean } = {}): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestD = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (bestD <= limit) return best;
  // Abbreviations ("secs" → "seconds"): a candidate that starts with the word.
  if (opts.abbreviations !== false && lower.length >= 3) {
    for (const c of candidates) if (c.toLowerCase().startsWith(lower)) return c;
    if (lower.length >= 4)
      for (const c of candidates)
        if (c.length >= 3 && lower.startsWith(c.slice(0, 3).toLowerCase()) && editDistance(lower, c.toLowerCase()) <= 3) return c;
  }
  return undefined;
}

/** ` (did you mean "x"?)` or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean "${c}"?)`;
}
