import type { Hono } from 'hono';

export interface Check {
  readonly ok: boolean;
  readonly detail?: string;
}

export type Checks = Readonly<Record<string, () => Promise<Check>>>;

/** `/healthz`: the process answers. `/readyz`: every dependency answers; 503 names the ones that do not. */
export function mountHealth(app: Hono, checks: Checks): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const names = Object.keys(checks);
    const results = await Promise.all(
      names.map((name) => checks[name]!().catch((error: Error): Check => ({ ok: false, detail: error.message }))),
    );
    const report = Object.fromEntries(names.map((name, i) => [name, results[i]]));
    const ready = results.every((r) => r.ok);
    return c.json({ status: ready ? 'ready' : 'unavailable', checks: report }, ready ? 200 : 503);
  });
}
