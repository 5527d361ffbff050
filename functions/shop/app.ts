import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { etag } from 'hono/etag';
import { CATALOG } from '../../shared/catalog.ts';
import { type Logger, silentLogger } from '../../shared/logger.ts';
import { errorHandler } from '../lib/errors.ts';
import { type AssetSource, isSafeRelativePath } from './assets.ts';
import { contentTypeOf } from './content-types.ts';
import { importMapText, securityHeaders, sha256Source } from './security-headers.ts';

export interface ShopDeps {
  readonly assets: AssetSource;
  readonly logger?: Logger;
}

const CACHE_PAGE = 'no-cache';
// Asset URLs carry no version, so a deploy must show within minutes.
const CACHE_ASSET = 'public, max-age=300';

interface Page {
  readonly html: Uint8Array<ArrayBuffer> | null;
  readonly securityHeaders: MiddlewareHandler;
}

/** The shop page, its static files, the vendored Preact builds and the catalogue, on web-standard APIs only. */
export function createApp(deps: ShopDeps): Hono {
  const logger = deps.logger ?? silentLogger;
  const app = new Hono();
  app.onError(errorHandler(logger));

  // The CSP carries each page's import map hash, so each page is read once and served from memory,
  // which keeps a page and its policy in step. Every other answer gets the shop page's policy.
  const pages = new Map<string, Promise<Page>>();
  const loadPage = (file: string): Promise<Page> => {
    let page = pages.get(file);
    if (!page) {
      page = readPage(deps.assets, file).catch((error: unknown) => {
        pages.delete(file);
        throw error;
      });
      pages.set(file, page);
    }
    return page;
  };
  const pageFileOf = (path: string) => (path === '/dashboard' ? 'dashboard.html' : 'index.html');

  app.use(async (c, next) => (await loadPage(pageFileOf(c.req.path))).securityHeaders(c, next));

  const servePage = (file: string) => async (c: Context) => {
    const { html } = await loadPage(file);
    if (html === null) return c.notFound();
    return c.body(html, 200, { 'Content-Type': contentTypeOf(file), 'Cache-Control': CACHE_PAGE });
  };
  app.get('/', etag(), servePage('index.html'));
  // The pipeline's live dashboard; its data comes from the stats function (functions/stats/).
  app.get('/dashboard', etag(), servePage('dashboard.html'));

  app.get('/static/:path{.+}', etag(), (c) => {
    const path = c.req.param('path');
    // vendor/… keys belong to /vendor/; web/ has no such directory.
    if (path.startsWith('vendor/')) return c.notFound();
    return serveAsset(c, deps.assets, path);
  });

  app.get('/vendor/:path{.+}', etag(), (c) => serveAsset(c, deps.assets, `vendor/${c.req.param('path')}`));

  app.get('/api/catalog', (c) => {
    c.header('Cache-Control', CACHE_PAGE);
    return c.json(CATALOG);
  });

  app.notFound((c) =>
    c.req.path.startsWith('/api/') ? c.json({ error: 'not found' }, 404) : c.text('not found', 404),
  );

  return app;
}

async function readPage(assets: AssetSource, file: string): Promise<Page> {
  const html = await assets.read(file);
  const importMap = html === null ? null : importMapText(new TextDecoder().decode(html));
  const hash = importMap === null ? null : await sha256Source(importMap);
  return { html, securityHeaders: securityHeaders(hash) };
}

async function serveAsset(c: Context, assets: AssetSource, path: string): Promise<Response> {
  if (!isSafeRelativePath(path)) return c.json({ error: 'invalid asset path' }, 400);
  const bytes = await assets.read(path);
  if (bytes === null) return c.notFound();
  return c.body(bytes, 200, { 'Content-Type': contentTypeOf(path), 'Cache-Control': CACHE_ASSET });
}
