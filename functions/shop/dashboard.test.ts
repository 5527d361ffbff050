import { describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import { createNodeAssets } from './node-assets.ts';
import { importMapText, sha256Source } from './security-headers.ts';

const app = createApp({ assets: createNodeAssets() });

function scriptSrc(response: Response): string[] {
  const policy = response.headers.get('content-security-policy') ?? '';
  return policy.split(';').map((d) => d.trim().split(/\s+/)).find(([n]) => n === 'script-src')?.slice(1) ?? [];
}

describe('the dashboard page', () => {
  it('is served at /dashboard with a CSP that allows exactly its own import map', async () => {
    const response = await app.request('/dashboard');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    const importMap = importMapText(html)!;
    expect(scriptSrc(response)).toEqual(["'self'", await sha256Source(importMap)]);
    // The shop page keeps its own policy.
    const shop = await app.request('/');
    expect(scriptSrc(shop)).toEqual(["'self'", await sha256Source(importMapText(await shop.text())!)]);
    expect(scriptSrc(shop)).not.toEqual(scriptSrc(response));
    const inlineScripts = html.match(/<script(?![^>]*\bsrc=)[^>]*>/g) ?? [];
    expect(inlineScripts).toEqual(['<script type="importmap">']);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('serves Chart.js from node_modules, every module it imports resolvable', async () => {
    const html = await (await app.request('/dashboard')).text();
    const imports: Record<string, string> = JSON.parse(importMapText(html)!).imports;
    expect(imports['chart.js']).toBe('/vendor/chart.js/chart.js');
    const seen = new Set<string>();
    const queue = [...Object.values(imports), '/static/dashboard.js', '/static/tracker.js'];
    while (queue.length > 0) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const response = await app.request(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type'), url).toBe('text/javascript; charset=utf-8');
      const source = await response.text();
      for (const [, specifier] of source.matchAll(/(?:from\s*|import\s*)["']([^"']+)["']/g)) {
        if (specifier!.startsWith('.')) queue.push(new URL(specifier!, `http://x${url}`).pathname);
        else expect(imports, `${url} imports ${specifier}`).toHaveProperty([specifier!]);
      }
      // Nothing that the CSP would refuse at run time.
      expect(source, url).not.toMatch(/\bnew Function\(|\beval\(/);
    }
    expect(seen.has('/vendor/chart.js/chunks/index.js')).toBe(true);
    expect(seen.has('/vendor/kurkle-color/color.esm.js')).toBe(true);
  });

  it('serves its stylesheet', async () => {
    const response = await app.request('/static/dashboard.css');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });
});
