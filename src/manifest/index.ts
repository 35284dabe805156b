export { loadManifest, type LoadOptions } from './load.ts';
