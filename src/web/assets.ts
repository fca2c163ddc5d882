import { readdirSync, readFileSync } from 'node:fs';
import { createRequire, stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../api/context.ts';

const require = createRequire(import.meta.url);
const uplotDir = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
const here = import.meta.dirname;
const PAGE = path.join(here, 'page');

/**
 * The dashboards page's modules (src/web/page/*.ts, type-checked by `npm run typecheck`), served as the browser
 * runs them: with their types stripped (whitespace in their place, so lines and columns stay those of the source),
 * once at start. Their imports name the .ts files, which are served under the same names.
 */
function pageModules(): [string, string][] {
  // Node marks stripTypeScriptTypes experimental and says so once per process; the page is not worth that line.
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return readdirSync(PAGE)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [`/assets/page/${f}`, stripTypeScriptTypes(readFileSync(path.join(PAGE, f), 'utf8'))]);
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** What the pages load, read once at start: all served by the API itself, nothing from a CDN, so it works offline. */
const FILES: Record<string, { file: string; type: string }> = {
  '/assets/uplot.js': {
    file: path.join(uplotDir, 'uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/assets/uplot.css': { file: path.join(uplotDir, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
  '/assets/docs.js': { file: path.join(here, 'docs.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/page.css': { file: path.join(here, 'page.css'), type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: path.join(here, 'favicon.svg'), type: 'image/svg+xml' },
  // Browsers ask for /favicon.ico whatever the page links: the same icon (they read SVG by its content type).
  '/favicon.ico': { file: path.join(here, 'favicon.svg'), type: 'image/svg+xml' },
  '/dashboards': { file: path.join(here, 'dashboards.html'), type: 'text/html; charset=utf-8' },
  '/docs': { file: path.join(here, 'docs.html'), type: 'text/html; charset=utf-8' },
};

/**
 * Serves the built-in pages: `/dashboards` (overview, template drill-down, A/B, templates; sign in with an API key,
 * which stays in the browser's session storage and is sent as a header, never in a URL) and `/docs` (the API
 * reference, rendered from /openapi.json).
 */
export function servePages(app: OpenAPIHono<AppEnv>): void {
  const bodies: [string, string, Uint8Array<ArrayBuffer>][] = Object.entries(FILES).map(
    ([route, { file, type }]) => [route, type, readFileSync(file)],
  );
  for (const [route, body] of pageModules())
    bodies.push([route, 'text/javascript; charset=utf-8', Buffer.from(body)]);
  for (const [route, type, body] of bodies) {
    app.get(route, (c) =>
      c.body(body, 200, {
        'content-type': type,
        'cache-control': 'no-cache',
        // Only our own scripts and styles, and fetches to this origin.
        'content-security-policy':
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      }),
    );
  }
}
