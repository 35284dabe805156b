/**
 * Plan-time checks of a shot against what its provider/model accepts. Each message says what the
 * model offers instead, so the user can fix the manifest without reading the catalog.
 */
import type { Catalog, ModelEntry } from '../catalog/types.ts';
import type { Shot, Tier } from '../manifest/types.ts';
import { localImageUpload } from '../manifest/protocols.ts';
import { closest } from '../manifest/suggest.ts';
import { invisibleFormatChar } from './format-chars.ts';

function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** "did you mean" for an unknown provider or model, plus where else the model exists. */
export function unknownModelMessage(catalog: Catalog, provider: string, model: string): string {
  const pc = catalog.provider(provider);
  if (!pc) {
    const hint = closest(
      provider,
      catalog.providers.map((p) => p.provider),
    );
    return `unknown provider "${provider}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${catalog.providers.map((p) => p.provider).join(', ')}`;
  }
  const ids = pc.models.flatMap((m) => [m.id, m.wire_id]);
  const hint = closest(model, ids);
  const elsewhere = catalog.providers.filter((p) => p.provider !== provider && catalog.resolve(p.provider, model)).map((p) => p.provider);
  return (
    `${provider} has no model "${model}"${hint ? ` (did you mean "${hint}"?)` : ''}; it offers ${pc.models.map((m) => m.id).join(', ')}` +
    (elsewhere.length ? `; "${model}" is offered by ${elsewhere.join(', ')}` : '')
  );
}

/** A model of the same family with the wanted property, for "use X instead" hints. */
function sibling(catalog: Catalog, e: ModelEntry, ok: (m: ModelEntry) => boolean): string {
  const m = catalog.provider(e.provider)?.models.find((x) => x !== e && x.family === e.family && ok(x));
  return m ? `; ${e.provider}/${m.id} does` : '';
}

function list(xs: readonly (string | number)[]): string {
  return xs.join(', ');
}

export interface ShotProblem {
  /** The shot field at fault, so the diagnostic can point where it was written. */
  field: string;
  message: string;
}

/** Control characters other than tab and line breaks: invisible in review, garbage to a provider. */
const CONTROL_CHAR = /(?![\t\n\r])\p{Cc}/u;
/**
 * Unicode format characters (category Cf: zero-width spaces, soft hyphens, bidi overrides, …):
 * invisible in review, and they change what a provider reads (or hide text from the reviewer).
 */
const FORMAT_CHAR = /\p{Cf}/u;

export function checkShot(shot: Shot, e: ModelEntry, catalog: Catalog): ShotProblem[] {
  const errs: ShotProblem[] = [];
  // Cheapest possible happy path: this runs once per shot on 100k-shot plans.
  if (
    e.durations.includes(shot.seconds) &&
    e.resolutions.includes(shot.resolution) &&
    e.aspects.includes(shot.aspect) &&
    shot.aspect !== 'auto' &&
    (shot.tier === undefined || shot.tier === e.tier) &&
    shot.seed === undefined &&
    shot.negativePrompt === undefined &&
    shot.guidance === undefined &&
    shot.image === undefined &&
    shot.prompt.length <= e.max_prompt_chars &&
    !CONTROL_CHAR.test(shot.prompt) &&
    !FORMAT_CHAR.test(shot.prompt)
  ) {
    return errs;
  }
  function push(field: string, message: string): void {
    errs.push({ field, message });
  }
  const name = `${e.provider}/${e.id}`;
  if (!e.durations.includes(shot.seconds)) {
    push(
      'seconds',
      `${name} does not offer ${shot.seconds} s clips (accepts ${list(e.durations)} s)${sibling(catalog, e, (m) => m.durations.includes(shot.seconds))}`,
    );
  }
  if (!e.resolutions.includes(shot.resolution)) {
    push(
      'resolution',
      `${name} does not offer ${shot.resolution} (accepts ${list(e.resolutions)})${sibling(catalog, e, (m) => m.resolutions.includes(shot.resolution))}`,
    );
  }
  if (!e.aspects.includes(shot.aspect)) {
    push(
      'aspect',
      `${name} does not accept aspect ${shot.aspect} (accepts ${list(e.aspects)})${sibling(catalog, e, (m) => m.aspects.includes(shot.aspect))}`,
    );
  } else if (shot.aspect === 'auto' && shot.image === undefined) {
    push('aspect', `aspect auto needs an image (the provider takes the aspect from it); set image: or use 16:9 / 9:16`);
  }
  if (shot.tier !== undefined && shot.tier !== e.tier) {
    const t: Tier = shot.tier;
    push(
      'tier',
      `tier ${t} requested, but ${name} is a ${e.tier} model${sibling(catalog, e, (m) => m.tier === t).replace(' does', ' is ' + t)}`,
    );
  }
  if (shot.seed !== undefined && !e.supports.seed) push('seed', `${name} does not support seed (remove it)`);
  if (shot.negativePrompt !== undefined && !e.supports.negative_prompt)
    push('negative_prompt', `${name} does not support negative_prompt (remove it)`);
  if (shot.guidance !== undefined && !e.supports.guidance) push('guidance', `${name} does not support guidance (remove it)`);
  if (shot.image !== undefined) {
    if (e.image === 'none') push('image', `${name} does not accept a reference image (text-to-video only)`);
    else if (e.image === 'url' && !isUrl(shot.image) && !localImageUpload(catalog.provider(e.provider)?.protocol ?? e.provider)) {
      const uploaders = catalog.providers
        .filter(
          (p) => p.provider !== e.provider && localImageUpload(p.protocol ?? p.provider) && p.models.some((m) => m.family === e.family),
        )
        .map((p) => p.provider);
      push(
        'image',
        `${name} takes the image as a URL and has no upload facility; the local file ${shot.image} cannot be sent ` +
          `(host it and give an https:// URL${uploaders.length ? `, or use ${uploaders.join(' / ')}, which upload local files` : ''})`,
      );
    }
  }
  if (shot.prompt.length > e.max_prompt_chars) {
    push('prompt', `prompt is ${shot.prompt.length} characters; ${name} accepts at most ${e.max_prompt_chars}`);
  }
  const control = CONTROL_CHAR.exec(shot.prompt);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    push('prompt', `prompt contains an invisible control character (U+${code} at character ${control.index + 1}); remove it`);
  }
  const format = invisibleFormatChar(shot.prompt);
  if (format) push('prompt', `prompt contains an invisible format character (${format.label} at character ${format.at}); remove it`);
  return errs;
}
