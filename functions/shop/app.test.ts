import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../shared/catalog.ts';
import { createApp } from './app.ts';
import type { AssetSource } from './assets.ts';
import { createNodeAssets } from './node-assets.ts';
import { importMapText, sha256Source } from './security-headers.ts';

const app = createApp({ assets: createNodeAssets() });

function cspDirective(response: Response, name: string): string[] {
  const policy = response.headers.get('content-security-policy') ?? '';
  const directive = policy.split(';').map((d) => d.trim().split(/\s+/)).find(([n]) => n === name);
  return directive?.slice(1) ?? [];
}

describe('shop app', () => {
  it('serves the page with a CSP that allows exactly its import map', async () => {
    const response = await app.request('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const html = await response.text();
    const importMap = importMapText(html);
    expect(importMap).not.toBeNull();
    expect(JSON.parse(importMap!).imports).toMatchObject({ preact: '/vendor/preact/preact.module.js' });

    expect(cspDirective(response, 'default-src')).toEqual(["'self'"]);
    expect(cspDirective(response, 'script-src')).toEqual(["'self'", await sha256Source(importMap!)]);
    expect(cspDirective(response, 'style-src')).toEqual(["'self'"]);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('has no inline scripts or styles besides the import map', async () => {
    const html = await (await app.request('/')).text();
    const inlineScripts = html.match(/<script(?![^>]*\bsrc=)[^>]*>/g) ?? [];
    expect(inlineScripts).toEqual(['<script type="importmap">']);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('hashes the import map as the browser sees it, CRLF and all', async () => {
    const lf = '<script type="importmap">\n{"imports":{}}\n</script>';
    expect(importMapText(lf.replaceAll('\n', '\r\n'))).toBe(importMapText(lf));
    // Known answer: printf '\n{"imports":{}}\n' | openssl dgst -sha256 -binary | base64
    expect(await sha256Source(importMapText(lf)!)).toBe("'sha256-ffC2AD47+TTlsBxC1I7uibsU5L2bw5CRqg3hXMGumqs='");
  });

  it('serves the catalogue as JSON', async () => {
    const response = await app.request('/api/catalog');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(CATALOG);
  });

  it('answers unknown API paths with JSON 404', async () => {
    const response = await app.request('/api/nope');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not found' });
  });

  it('serves the page files with content types and a short cache', async () => {
    for (const [path, type] of [
      ['/static/shop.js', 'text/javascript; charset=utf-8'],
      ['/static/api.js', 'text/javascript; charset=utf-8'],
      ['/static/shop.css', 'text/css; charset=utf-8'],
      ['/static/favicon.svg', 'image/svg+xml'],
    ]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe(type);
      expect(response.headers.get('cache-control'), path).toBe('public, max-age=300');
    }
  });

  it('serves every import map entry from node_modules, with one copy of Preact', async () => {
    const html = await (await app.request('/')).text();
    const imports: Record<string, string> = JSON.parse(importMapText(html)!).imports;
    expect(Object.keys(imports).sort()).toEqual(['htm', 'htm/preact', 'preact', 'preact/hooks']);
    for (const url of Object.values(imports)) {
      const response = await app.request(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe('text/javascript; charset=utf-8');
    }
    // Every bare import inside the vendored files must be one the import map resolves.
    for (const url of Object.values(imports)) {
      const source = await (await app.request(url)).text();
      for (const [, specifier] of source.matchAll(/from\s*["']([^"'./][^"']*)["']/g)) {
        expect(imports, `${url} imports ${specifier}`).toHaveProperty([specifier]);
      }
    }
  });

  it('answers a repeated request with 304 when the ETag matches', async () => {
    const first = await app.request('/static/shop.css');
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const second = await app.request('/static/shop.css', { headers: { 'if-none-match': etag! } });
    expect(second.status).toBe(304);
  });

  it('refuses path traversal', async () => {
    for (const path of [
      '/static/..%2fpackage.json',
      '/static/..%2f..%2fpackage.json',
      '/static/%2e%2e%2fpackage.json',
      '/static/.%2e/package.json',
      '/static/..%5cpackage.json',
      '/vendor/..%2f..%2fpackage.json',
      '/static/.gitignore',
    ]) {
      const response = await app.request(path);
      expect([400, 404], path).toContain(response.status);
      expect(await response.text(), path).not.toContain('"dependencies"');
    }
    expect((await app.request('/static/..%2fpackage.json')).status).toBe(400);
  });

  it('keeps vendor files out of /static and unknown vendor files out of node_modules', async () => {
    expect((await app.request('/static/vendor/preact/preact.module.js')).status).toBe(404);
    expect((await app.request('/vendor/preact/package.json')).status).toBe(404);
  });

  it('answers 404 for unknown files', async () => {
    expect((await app.request('/static/nope.js')).status).toBe(404);
    expect((await app.request('/nope')).status).toBe(404);
  });

  it('never asks the asset source for an unsafe path', async () => {
    const asked: string[] = [];
    const assets: AssetSource = {
      async read(path) {
        asked.push(path);
        return path === 'index.html' ? new TextEncoder().encode('<!doctype html>') : null;
      },
    };
    const spy = createApp({ assets });
    await spy.request('/static/..%2fsecret');
    await spy.request('/static/a/..%2f..%2fsecret');
    expect(asked).toEqual(['index.html']);
  });
});
