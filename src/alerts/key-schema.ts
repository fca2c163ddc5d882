import { z } from 'zod';
import { ATTRIBUTION_KEY_NAMES, DIMENSION_NAMES, isKey, type Key } from '../analytics/figures.ts';

/** The analytics keys a rule or a budget groups and filters by, as rule files write them. */
const KEYS_EXPECTED = `${[...DIMENSION_NAMES, ...ATTRIBUTION_KEY_NAMES].join(', ')} or property.<name>`;

const key = z
  .string({ error: `one of ${KEYS_EXPECTED}` })
  .refine(isKey, { error: `one of ${KEYS_EXPECTED}` }) as unknown as z.ZodType<Key>;

/** `by`: keys, each once (`twice` says what a repeat is called). */
export const keyList = (twice: string) =>
  z
    .array(key, { error: `a list of ${KEYS_EXPECTED}` })
    .refine((by) => new Set(by).size === by.length, twice)
    .default([]);

/** `where`: a value per key. */
export const keyFilters = () =>
  z
    .record(key as unknown as z.ZodString, z.string(), { error: `a map from ${KEYS_EXPECTED} to a value` })
    .default({});
