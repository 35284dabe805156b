/**
 * Layer rules (npm run layers, part of npm test). Data flows one way:
 *   manifest → catalog → plan → providers → run → report → post → cli
 * with media/ (ffmpeg, ffprobe, MP4 tools) and errors/clock underneath everything, and the emulator
 * beside the product (it may use providers' names/types and media tools, nothing of the runtime).
 */
const layer = (name) => `^src/${name}(/|\\.ts$)`;
const above = {
  manifest: ['catalog', 'plan', 'providers', 'run', 'report', 'post', 'cli', 'emulator', 'media'],
  catalog: ['plan', 'providers', 'run', 'report', 'post', 'cli', 'emulator', 'media'],
  plan: ['providers', 'run', 'report', 'post', 'cli', 'emulator', 'media'],
  providers: ['run', 'report', 'post', 'cli', 'emulator', 'media'],
  run: ['report', 'post', 'cli', 'emulator'],
  report: ['post', 'cli', 'emulator'],
  post: ['cli', 'emulator'],
  media: ['manifest', 'catalog', 'plan', 'providers', 'run', 'report', 'post', 'cli', 'emulator'],
  emulator: ['run', 'report', 'post', 'cli', 'plan', 'manifest'],
};

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make layers meaningless.', from: {}, to: { circular: true } },
    ...Object.entries(above).map(([from, higher]) => ({
      name: `${from}-points-down`,
      severity: 'error',
      comment: `src/${from} may not import ${higher.join(', ')} (layers point one way)`,
      from: { path: layer(from) },
      to: { path: `^src/(${higher.join('|')})(/|\\.ts$)` },
    })),
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^node_modules' },
  },
};
