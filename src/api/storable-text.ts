import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.ts';
import { validationFailed } from './errors.ts';

/**
 * Text Postgres cannot store: a NUL character (U+0000) or a lone UTF-16 surrogate (`"\ud800"` in JSON). Either used
 * to reach Postgres and come back as a 500 (22021, 22P05); refused here instead, once for every route, with the
 * field named: the query parameters, the path, and every string (and key) of a JSON body.
 */
export function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000), which cannot be stored';
  if (!text.isWellFormed())
    return 'contains a lone UTF-16 surrogate (not a character), which cannot be stored';
  return undefined;
}

/** Every string in a JSON value that cannot be stored, by its path (`matchers[0]`, `model_config.model_name`). */
export function unstorableFields(value: unknown, at = ''): { field: string; message: string }[] {
  if (typeof value === 'string') {
    const message = unstorable(value);
    return message ? [{ field: at || '(body)', message }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unstorableFields(v, `${at}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => {
      const field = at ? `${at}.${k}` : k;
      const key = unstorable(k);
      return [...(key ? [{ field, message: `its name ${key}` }] : []), ...unstorableFields(v, field)];
    });
  return [];
}

const MAYBE_UNSTORABLE_URL = /[%\u0080-\uffff]/;

/** Only a percent-escape or a non-ASCII character in a URL can decode to text that cannot be stored. */
export function mayHoldUnstorableText(url: string): boolean {
  return MAYBE_UNSTORABLE_URL.test(url);
}
const JSON_TYPE = /^application\/(.+\+)?json\b/i;

export function refuseUnstorableText(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const json = JSON_TYPE.test(c.req.header('content-type') ?? '');
    // The services' read path (a plain GET with a plain URL) skips the parsing below: nothing in it can be unstorable.
    if (!json && !mayHoldUnstorableText(c.req.url)) return next();
    const problems: { field: string; message: string }[] = [];
    for (const [name, values] of Object.entries(c.req.queries()))
      for (const v of values) {
        const message = unstorable(name) ?? unstorable(v);
        if (message) problems.push({ field: name, message });
      }
    let path = c.req.path;
    try {
      path = decodeURIComponent(path);
    } catch {
      // a malformed escape is the route's to answer
    }
    const inPath = unstorable(path);
    if (inPath) problems.push({ field: 'path', message: inPath });
    if (json) {
      // Parsed once: the route's validator reads the same cached body. Malformed JSON is its to answer too.
      const body = await c.req.json().catch(() => undefined);
      problems.push(...unstorableFields(body));
    }
    if (problems.length) throw validationFailed('the request holds text that cannot be stored', problems);
    return next();
  };
}
