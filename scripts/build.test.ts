import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseEnv, REPO_ROOT, spawnProcess, type SpawnedProcess } from '../test/spawn-process.ts';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { freshDatabase, type FreshDatabase } from '../test/fresh-database.ts';
import { buildFunctions } from './build.ts';

// The bundles as they would be deployed: built by the same code as `npm run build`, then run with
// plain `node` against the real broker and Postgres. A copy outside the repository, with no
// node_modules to fall back on, shows they are self-contained.
describe('npm run build: one bundle per function', () => {
  const outdir = path.join(REPO_ROOT, '.data', `build-test-${randomUUID().slice(0, 8)}`);
  let isolated: string;
  let database: FreshDatabase;
  const running: SpawnedProcess[] = [];
  const suffix = randomUUID().slice(0, 8);
  const kafkaEnv = () => ({
    ...baseEnv(),
    KAFKA_BROKERS: inject('kafkaBrokers'),
    KAFKA_TOPIC: `clickstream-bundle-${suffix}`,
    KAFKA_TOPIC_PARTITIONS: '3',
    LOG_LEVEL: 'warn',
  });

  // copy-thread.mjs is the consumer's COPY thread, started from beside consumer.mjs.
  const BUNDLES = ['collector.mjs', 'consumer.mjs', 'copy-thread.mjs', 'shop.mjs', 'stats.mjs'];

  beforeAll(async () => {
    const [built] = await Promise.all([buildFunctions(outdir), freshDatabase('bundle').then((db) => (database = db))]);
    expect(built.map((b) => path.basename(b.file)).sort()).toEqual(BUNDLES);
    isolated = await mkdtemp(path.join(tmpdir(), 'clickstream-bundles-'));
    for (const name of BUNDLES) await copyFile(path.join(outdir, name), path.join(isolated, name));
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop('SIGKILL')));
    await database?.drop();
    await rm(outdir, { recursive: true, force: true });
    if (isolated) await rm(isolated, { recursive: true, force: true });
  });

  function start(name: string, file: string, env: Record<string, string>) {
    const spawned = spawnProcess(name, process.execPath, [file], env);
    running.push(spawned);
    return spawned;
  }

  it('imports nothing at the top but Node built-ins: librdkafka is loaded only when chosen', async () => {
    for (const name of ['collector.mjs', 'consumer.mjs', 'shop.mjs', 'copy-thread.mjs']) {
      const source = await readFile(path.join(outdir, name), 'utf8');
      const imports = [...source.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      const builtin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier);
      expect(imports.filter((specifier) => !builtin(specifier!)), name).toEqual([]);
    }
  });

  it('a cart goes through the collector bundle (librdkafka) and the consumer bundle (pure JS, run from a directory without node_modules)', async () => {
    const [collectorPort, consumerPort] = [await freePort(), await freePort()];
    const collector = start('collector', path.join(outdir, 'collector.mjs'), { ...kafkaEnv(), PORT: String(collectorPort) });
    const consumer = start('consumer', path.join(isolated, 'consumer.mjs'), {
      ...kafkaEnv(),
      KAFKA_CLIENT: 'platformatic',
      DATABASE_URL: database.url,
      CONSUMER_GROUP: `sink-bundle-${suffix}`,
      CONSUMER_PORT: String(consumerPort),
    });
    await Promise.all([
      collector.waitForOk(`http://127.0.0.1:${collectorPort}/readyz`),
      consumer.waitForOk(`http://127.0.0.1:${consumerPort}/readyz`),
    ]);
    const res = await fetch(`http://127.0.0.1:${collectorPort}/api/cart`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bundled', size: 'XL' }),
    });
    expect(res.status, collector.output()).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    const deadline = Date.now() + 30_000;
    while ((await database.count()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await database.rows(), consumer.output()).toEqual([expect.objectContaining({ event_id: eventId, username: 'bundled', size: 'XL' })]);

    const exits = await Promise.all([collector.stop(), consumer.stop()]);
    expect(exits.map((e) => e.code)).toEqual([0, 0]);
    expect(Math.max(...exits.map((e) => e.ms))).toBeLessThan(10_000);
  });

  it('the collector bundle runs with KAFKA_CLIENT=platformatic from a directory without node_modules', async () => {
    const port = await freePort();
    const collector = start('collector (isolated)', path.join(isolated, 'collector.mjs'), {
      ...kafkaEnv(),
      KAFKA_CLIENT: 'platformatic',
      PORT: String(port),
    });
    await collector.waitForOk(`http://127.0.0.1:${port}/readyz`);
    expect((await collector.stop()).code).toBe(0);
  });

  it('the shop bundle serves the page and the vendored Preact from the bundle alone', async () => {
    const port = await freePort();
    const shop = start('shop (isolated)', path.join(isolated, 'shop.mjs'), { ...baseEnv(), PORT: String(port), LOG_LEVEL: 'warn' });
    await shop.waitForOk(`http://127.0.0.1:${port}/`);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/static/shop.js');
    for (const asset of ['/static/shop.js', '/static/shop.css', '/vendor/preact/preact.module.js', '/vendor/htm/preact.module.js']) {
      expect((await fetch(`http://127.0.0.1:${port}${asset}`)).status, asset).toBe(200);
    }
    expect((await shop.stop()).code).toBe(0);
  });

  it('the stats bundle serves the dashboard data from Postgres, from a directory without node_modules', async () => {
    const port = await freePort();
    const stats = start('stats (isolated)', path.join(isolated, 'stats.mjs'), {
      ...baseEnv(),
      DATABASE_URL: database.url,
      STATS_PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    await stats.waitForOk(`http://127.0.0.1:${port}/api/stats/pipeline`);
    const summary = await fetch(`http://127.0.0.1:${port}/api/stats/summary`);
    expect(summary.status, stats.output()).toBe(200);
    expect(await summary.json()).toMatchObject({ funnel: { viewed: 0, selected: 0, carted: 0 } });
    expect((await stats.stop()).code).toBe(0);
  });

  it('the collector and shop bundles export { fetch } for fetch-style hosts, without starting a server', async () => {
    const probe = [
      `const collector = await import(${JSON.stringify(path.join(isolated, 'collector.mjs'))});`,
      `const shop = await import(${JSON.stringify(path.join(isolated, 'shop.mjs'))});`,
      `const ready = await collector.default.fetch(new Request('http://host/readyz'));`,
      `const page = await shop.default.fetch(new Request('http://host/'));`,
      `console.log(JSON.stringify({ ready: ready.status, page: page.status, type: page.headers.get('content-type') }));`,
      `process.exit(0);`,
    ].join('\n');
    const child = spawnProcess('fetch probe', process.execPath, ['--input-type=module', '-e', probe], {
      ...kafkaEnv(),
      KAFKA_CLIENT: 'platformatic',
    });
    const exit = await new Promise<number | null>((resolve) => child.child.once('exit', resolve));
    expect(exit, child.output()).toBe(0);
    const result = JSON.parse(child.output().split('\n').at(-1)!);
    expect(result).toEqual({ ready: 200, page: 200, type: 'text/html; charset=utf-8' });
  });
});
