import type { ProviderModule } from '../core.ts';
import { apidot } from './apidot.ts';
import { apixo } from './apixo.ts';
import { fal } from './fal.ts';
import { openai } from './openai.ts';
import { replicate } from './replicate.ts';
import { sorapi } from './sorapi.ts';

/** Every emulated provider, in PROVIDER_NAMES order. */
export const PROVIDER_MODULES: ProviderModule[] = [openai, apidot, sorapi, apixo, fal, replicate];
