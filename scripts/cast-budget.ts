/**
 * `npm run casts`: counts type assertions (`x as T`, not `as const`) and non-null assertions (`x!`)
 * in src/ and fails when either passes the budget in .cast-budget.json. The budget only goes down:
 * lower it when you remove casts (`npm run casts -- --update`), never raise it to make room.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

interface Counts {
  as: number;
  nonNull: number;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

export function countCasts(source: string, name = 'x.ts'): Counts {
  const sf = ts.createSourceFile(name, source, ts.ScriptTarget.Latest, true);
  const counts: Counts = { as: 0, nonNull: 0 };
  const visit = (node: ts.Node): void => {
    if (ts.isAsExpression(node) && !(ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(sf) === 'const')) counts.as++;
    if (ts.isNonNullExpression(node)) counts.nonNull++;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return counts;
}

const budgetFile = new URL('../.cast-budget.json', import.meta.url);
const total: Counts = { as: 0, nonNull: 0 };
for (const f of files('src')) {
  const c = countCasts(readFileSync(f, 'utf8'), f);
  total.as += c.as;
  total.nonNull += c.nonNull;
}
if (process.argv.includes('--update')) {
  writeFileSync(budgetFile, `${JSON.stringify(total, null, 2)}\n`);
  console.log(`cast budget set: ${total.as} \`as\`, ${total.nonNull} \`!\``);
} else {
  const budget = JSON.parse(readFileSync(budgetFile, 'utf8')) as Counts;
  const over = total.as > budget.as || total.nonNull > budget.nonNull;
  console.log(`casts in src/: ${total.as} \`as\` (budget ${budget.as}), ${total.nonNull} \`!\` (budget ${budget.nonNull})`);
  if (over) {
    console.error('over the cast budget: narrow with a type guard or a zod parse instead of asserting');
    process.exit(1);
  }
}
