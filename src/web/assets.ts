import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../api/context.ts';

const require = createRequire(import.meta.url);
const uplotDir = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
const here = import.meta.dirname;

/** What the pages load, read once at start: all served by the API itself, nothing from a CDN, so it works offline. */
const FILES: Record<string, { file: string; type: string }> = {
  '/assets/uplot.js': {
    file: path.join(uplotDir, 'uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/assets/uplot.css': { file: path.join(uplotDir, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
  '/assets/dashboards.js': { file: path.join(here, 'dashboards.js'), type: 'text/javascript; charset=utf-8' },
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
  for (const [route, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(file);
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
