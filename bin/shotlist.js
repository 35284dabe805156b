#!/usr/bin/env node
// The installed CLI runs the compiled JavaScript in dist/ (built by `npm run build`, which `npm install`
// and `npm ci` run as `prepare`). Without a build, or with SHOTLIST_TSX=1 (tests, development on the
// sources), it runs the TypeScript directly through tsx's loader instead: slower to start, same code.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
let main;
if (process.env.SHOTLIST_TSX !== '1' && existsSync(compiled)) {
  main = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  main = await import('../src/cli/main.ts');
}
await main.cli();
