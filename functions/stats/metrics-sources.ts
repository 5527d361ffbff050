import type { MetricsSource } from './app.ts';

/** The functions' `/metrics` pages, read over HTTP (web-standard fetch), each within 2 s. */
export function httpMetricsSources(urls: readonly { readonly name: string; readonly url: string }[]): MetricsSource[] {
  return urls.map(({ name, url }) => ({
    name,
    read: async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      return response.text();
    },
  }));
}
