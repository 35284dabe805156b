import type { Manifest, Shot } from '../../src/manifest/types.ts';

export function shot(over: Partial<Shot> & { id: string }): Shot {
  return {
    baseId: over.id,
    index: 0,
    provider: 'openai',
    model: 'sora-2',
    prompt: 'A cat on a mat',
    seconds: 8,
    aspect: '16:9',
    resolution: '720p',
    takes: 1,
    vars: {},
    params: {},
    matrix: {},
    source: { file: 'm.yaml', line: 1, col: 1 },
    ...over,
  };
}

export function manifest(shots: Shot[], over: Partial<Manifest> = {}): Manifest {
  return {
    file: '/proj/m.yaml',
    name: 'test',
    shots: shots.map((s, i) => ({ ...s, index: i })),
    budget: {},
    providers: {},
    post: [],
    pricing: [],
    catalogFiles: [],
    ...over,
  };
}
