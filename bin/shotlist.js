#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's ESM loader: no build step to forget.
import { register } from 'tsx/esm/api';

register();
const { cli } = await import('../src/cli/main.ts');
await cli();
