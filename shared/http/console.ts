import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import middy from '@middy/core';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { Context } from 'aws-lambda';
import type { HttpResult } from './problem.ts';
import type { HttpBase, HttpEvent } from './route.ts';

/** The console page, ready to serve: one HTML document with its script and style inlined. */
export interface ConsolePage {
  html: string;
  etag: string;
  /** Content-Security-Policy directives: only the inlined script and style (by hash) may run. */
  csp: Record<string, string>;
}

const SCRIPT_MARK = '<!-- console.js -->';
const STYLE_MARK = '<!-- console.css -->';

const hashSource = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Where the console's static files live: `CONSOLE_DIR`, else `console/` at the repository root (source
 * layout, run by tsx), else `console/` next to the bundled Lambda file (copy it there when bundling).
 */
export function consoleDir(): string {
  const candidates = [
    process.env.CONSOLE_DIR,
    fileURLToPath(new URL('../../console/', import.meta.url)),
    fileURLToPath(new URL('./console/', import.meta.url)),
  ].filter((dir): dir is string => Boolean(dir));
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`The console's files (index.html) are in none of: ${candidates.join(', ')}`);
  return found;
}

/** Reads `index.html`, `console.css` and `console.js` and inlines the last two, hashing them for the CSP. */
export function buildConsolePage(dir: string = consoleDir()): ConsolePage {
  const template = readFileSync(join(dir, 'index.html'), 'utf8');
  const css = readFileSync(join(dir, 'console.css'), 'utf8');
  const js = readFileSync(join(dir, 'console.js'), 'utf8');
  if (!template.includes(SCRIPT_MARK) || !template.includes(STYLE_MARK))
    throw new Error(`console/index.html must contain ${SCRIPT_MARK} and ${STYLE_MARK}`);
  // Inlined text must not be able to close its own element early.
  if (/<\/script/i.test(js) || /<\/style/i.test(css))
    throw new Error('console.js and console.css must not contain a closing </script> or </style> tag');
  const html = template
    .replace(STYLE_MARK, () => `<style>${css}</style>`)
    .replace(SCRIPT_MARK, () => `<script type="module">${js}</script>`);
  return {
    html,
    etag: `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`,
    csp: {
      'default-src': "'none'",
      'script-src': hashSource(js),
      'style-src': hashSource(css),
      'connect-src': "'self'",
      'img-src': "'self' data:",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
      // Trusted Types with no policy: the page builds DOM nodes, a string can never become markup.
      'require-trusted-types-for': "'script'",
      'trusted-types': "'none'",
    },
  };
}

const UNSET_CSP_DEFAULTS = {
  sandbox: false,
  'navigate-to': false,
  'report-to': false,
  'upgrade-insecure-requests': false,
} as unknown as Record<string, string>;

/**
 * GET /: the single-page console, public (it holds no data; every API call it makes carries the user's
 * bearer token). Built once per container from `console/`, with a strict CSP instead of middy's default
 * (which sandboxes the page and would block its script). It needs no dependencies: a Lambda entry is
 * `export const handler = makeConsoleHandler();`.
 */
export const makeConsoleHandler = (_deps?: HttpBase, page: ConsolePage = buildConsolePage()) =>
  middy<HttpEvent, HttpResult>()
    .use(
      httpSecurityHeaders({
        // middy's defaults also sandbox the page and ban every script; unset those (false drops a directive).
        contentSecurityPolicy: { ...page.csp, ...UNSET_CSP_DEFAULTS },
        // middy's list names features Chromium does not know (each logged as an error); ours is set below.
        permissionsPolicy: false,
        reportTo: false,
        xssProtection: false,
      }),
    )
    .handler(async (event: HttpEvent, _context: Context): Promise<HttpResult> => {
      const headers: Record<string, string> = {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        etag: page.etag,
        'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
        // Like every other answer, so a problem report can quote it.
        'x-correlation-id': event.requestContext?.requestId || randomUUID(),
      };
      if (event.headers?.['if-none-match'] === page.etag) return { statusCode: 304, headers, body: '' };
      return { statusCode: 200, headers, body: page.html };
    });
