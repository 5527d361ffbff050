import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { portOpen } from './dev/port-open.ts';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';
import { baseEnv, DENO, spawnProcess, type SpawnedProcess } from '../test/spawn-process.ts';

/** A port whose next four are free too: deno-dev serves its functions on PORT+2 … PORT+4. */
async function freePortRun(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const next = [port + 2, port + 3, port + 4];
    if (next.every((p) => p < 65_536) && !(await Promise.all(next.map((p) => portOpen('127.0.0.1', p)))).some(Boolean)) return port;
  }
}

// `deno task dev` as a developer runs it: four Deno processes behind one router, on the real broker
// and a real Postgres.
describe('deno task dev (real broker, real Postgres)', () => {
  let database: FreshDatabase;
  let dev: SpawnedProcess | undefined;

  beforeAll(async () => {
    database = await freshDatabase('deno_dev');
  });
  afterAll(async () => {
    // SIGTERM, so that it stops its four children too (SIGKILL would leave them running).
    await dev?.stop('SIGTERM');
    await database?.drop();
  });

  it('serves the shop, the collector and its readiness on one origin, lands a cart, and stops all four on SIGTERM', async () => {
    const suffix = randomUUID().slice(0, 8);
    const [port, consumerPort] = [await freePortRun(), await freePort()];
    dev = spawnProcess('deno-dev', DENO, ['run', '-A', 'scripts/deno-dev.ts'], {
      ...baseEnv(),
      NO_COLOR: '1',
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC: `clickstream-deno-dev-${suffix}`,
      DATABASE_URL: database.url,
      CONSUMER_GROUP: `sink-deno-dev-${suffix}`,
      PORT: String(port),
      CONSUMER_PORT: String(consumerPort),
      LOG_LEVEL: 'warn',
    });
    const origin = `http://127.0.0.1:${port}`;
    // The collector's readiness through the router, as `npm run dev` answers it on its one origin.
    await dev.waitForOk(`${origin}/readyz`, 45_000);
    await dev.waitForOk(`http://127.0.0.1:${consumerPort}/readyz`, 45_000);
    const ready = await fetch(`${origin}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    expect((await fetch(`${origin}/`)).status).toBe(200);

    const res = await fetch(`${origin}/api/cart`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dino', category: 'Hat', size: 'M', hexColor: '#123abc' }),
    });
    expect(res.status, dev.output()).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    await vi.waitFor(async () => expect(await database.count()).toBeGreaterThan(0), { timeout: 30_000, interval: 100 }).catch(() => {});
    expect(await database.rows(), dev.output()).toMatchObject([{ event_id: eventId, username: 'dino', hex_color: '#123abc' }]);

    const exit = await dev.stop('SIGTERM');
    expect(exit, dev.output()).toMatchObject({ code: 0 });
    expect(exit.ms).toBeLessThan(10_000);
  }, 90_000);
});
