import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { CART_COPY_COLUMNS, cartCopyLine } from '../db/copy-carts.ts';
import { launchOf } from '../scripts/npm-launch.ts';
import { spawnNode } from './child.ts';
import { cpuMsPer } from './collector.ts';
import type { BenchConfig } from './config.ts';
import { mergeBracket, rowsWeighted } from './bracket.ts';
import { type DrainResult, timeDrain } from './drain.ts';
import { cartEventFor } from './events.ts';
import { histogramMean, scrapeMetrics } from './metrics-scrape.ts';
import { type PrefillResult, prefillTopic } from './prefill.ts';
import { int, say, status } from './progress.ts';
import { type CpuUse, meterCpu, watchRss } from './rss.ts';

export interface SinkResult {
  readonly prefill: PrefillResult;
  readonly consumer: DrainResult & {
    readonly maxBatch: number;
    readonly meanBatch: number | undefined;
    readonly meanInsertMs: number | undefined;
    /** CPU time per row: the consumer process, and Postgres (postmaster and backends). */
    readonly consumerCpuMsPerRow: number | undefined;
    readonly postgresCpuMsPerRow: number | undefined;
    /** Peaks from the consumer's own process metrics: where its RSS goes (the rest is native: librdkafka, code). */
    readonly heapUsedMB: number | undefined;
    readonly externalMB: number | undefined;
    readonly cpu: CpuUse;
  };
  /** Over its two halves, one run before the consumer and one after (bench/bracket.ts). */
  readonly copy: CopyRun & { readonly runsPerSec: readonly [number, number] };
  /** Over its two runs, before the consumer and after it, each on the same first messages of the topic. */
  readonly floor: FloorRun & { readonly runsPerSec: readonly [number, number] };
  readonly consumerRssMB: number;
}

interface CopyRun {
  readonly rowsPerSec: number;
  readonly rows: number;
  readonly seconds: number;
  readonly postgresCpuMsPerRow: number | undefined;
  readonly cpu: CpuUse;
}

type FloorRun = DrainResult & {
  readonly consumerCpuMsPerRow: number | undefined;
  readonly postgresCpuMsPerRow: number | undefined;
  readonly cpu: CpuUse;
};

export interface SinkServices {
  readonly brokers: string;
  readonly kafkaPid: number;
  readonly postgresPid: number | undefined;
  database(name: string): Promise<string>;
}

const TOPIC = 'bench-sink';

export async function benchSink(config: BenchConfig, services: SinkServices): Promise<SinkResult> {
  const { events, floorEvents, consumerMaxBatch } = config.sink;
  const seed = (Math.random() * 2 ** 31) | 0;
  const baseMs = Date.now();
  const half = Math.floor(events / 2);
  const floorRows = Math.ceil(floorEvents / 2);
  say(
    `sink: ${int(events)} events pre-filled, drained by the consumer (CONSUMER_MAX_BATCH=${consumerMaxBatch}); ` +
      `the COPY ceiling and the row-per-message floor (${int(floorRows)} rows a run) run once before the consumer and once after it`,
  );
  const prefill = await prefillTopic({ brokers: services.brokers, topic: TOPIC, partitions: config.partitions, count: events, seed, baseMs });

  const databaseUrl = await services.database('bench_sink');
  const copyBefore = await copyCeiling(config, databaseUrl, { seed, baseMs, from: 0, to: half, label: 'COPY ceiling, first half' }, services.postgresPid);
  const floorBefore = await drainWithFloor(config, services, 'bench_floor_before', floorRows);
  const consumer = await drainWithConsumer(config, services, databaseUrl);
  const copyAfter = await copyCeiling(config, databaseUrl, { seed, baseMs, from: half, to: events, label: 'COPY ceiling, second half' }, services.postgresPid);
  const floorAfter = await drainWithFloor(config, services, 'bench_floor_after', floorRows);

  const copy = {
    ...mergeBracket(copyBefore, copyAfter),
    postgresCpuMsPerRow: rowsWeighted(copyBefore, copyAfter, (run) => run.postgresCpuMsPerRow),
    runsPerSec: [copyBefore.rowsPerSec, copyAfter.rowsPerSec] as const,
  };
  const floor = {
    ...mergeBracket(floorBefore, floorAfter),
    startupSeconds: (floorBefore.startupSeconds + floorAfter.startupSeconds) / 2,
    complete: floorBefore.complete && floorAfter.complete,
    consumerCpuMsPerRow: rowsWeighted(floorBefore, floorAfter, (run) => run.consumerCpuMsPerRow),
    postgresCpuMsPerRow: rowsWeighted(floorBefore, floorAfter, (run) => run.postgresCpuMsPerRow),
    runsPerSec: [floorBefore.rowsPerSec, floorAfter.rowsPerSec] as const,
  };
  say(
    `sink references over both runs: COPY ${int(copy.rowsPerSec)} rows/s (${int(copyBefore.rowsPerSec)} before, ${int(copyAfter.rowsPerSec)} after), ` +
      `floor ${int(floor.rowsPerSec)} rows/s (${int(floorBefore.rowsPerSec)} before, ${int(floorAfter.rowsPerSec)} after)`,
  );
  return { prefill, consumer: consumer.result, copy, floor, consumerRssMB: consumer.rssMB };
}

async function drainWithConsumer(config: BenchConfig, services: SinkServices, databaseUrl: string) {
  const port = await freePort();
  const child = spawnNode(
    'consumer',
    'functions/consumer/node.ts',
    {
      KAFKA_BROKERS: services.brokers,
      KAFKA_TOPIC: TOPIC,
      KAFKA_TOPIC_PARTITIONS: String(config.partitions),
      DATABASE_URL: databaseUrl,
      CONSUMER_GROUP: `bench-sink-${crypto.randomUUID().slice(0, 8)}`,
      CONSUMER_PORT: String(port),
      CONSUMER_MAX_BATCH: String(config.sink.consumerMaxBatch),
    },
    port,
    // As npm run consume starts it: its heap cap and malloc arenas are part of what is measured.
    launchOf('consume'),
  );
  const rss = watchRss(child.pid);
  try {
    await child.waitFor('/healthz');
    const cpu = meterCpu({
      consumer: { pid: child.pid },
      kafka: { pid: services.kafkaPid },
      postgres: { pid: services.postgresPid, tree: true },
    });
    // The consumer's own ledger (clickstream_inserted_total) is read, not count(*): a sequential
    // scan of up to a million rows ten times a second would load the database under test.
    const wall = performance.now();
    let heapUsed = 0;
    let external = 0;
    const drain = await timeDrain({
      label: 'consumer drain',
      target: config.sink.events,
      landed: async () => {
        const metrics = await scrapeMetrics(child.url);
        heapUsed = Math.max(heapUsed, metrics.get('nodejs_heap_size_used_bytes') ?? 0);
        external = Math.max(external, metrics.get('nodejs_external_memory_bytes') ?? 0);
        return metrics.get('clickstream_inserted_total') ?? 0;
      },
      limitMs: config.quick ? 120_000 : 600_000,
      drainer: child,
    });
    const cpuUse = cpu.stop();
    const wallSeconds = (performance.now() - wall) / 1000;
    const metrics = await scrapeMetrics(child.url);
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    const [row] = await sql`select count(*)::int as n from clickstream_data`;
    // Untimed, as after each COPY: autovacuum of these rows would otherwise run in the second COPY's time.
    await sql`vacuum analyze clickstream_data`;
    await sql.end();
    if (row!.n !== drain.rows) say(`consumer drain: the table holds ${int(row!.n)} rows, the consumer counted ${int(drain.rows)}`);
    return {
      rssMB: rss.stop(),
      result: {
        ...drain,
        maxBatch: config.sink.consumerMaxBatch,
        meanBatch: histogramMean(metrics, 'clickstream_batch_size'),
        meanInsertMs: histogramMean(metrics, 'clickstream_insert_seconds', 1000),
        // Over the whole window, start-up included: CPU spent on the drain, whenever.
        consumerCpuMsPerRow: cpuMsPer(cpuUse.consumer!, wallSeconds, drain.rows),
        postgresCpuMsPerRow: cpuMsPer(cpuUse.postgres!, wallSeconds, drain.rows),
        heapUsedMB: heapUsed ? Math.round(heapUsed / 2 ** 20) : undefined,
        externalMB: external ? Math.round(external / 2 ** 20) : undefined,
        cpu: cpuUse,
      },
    };
  } finally {
    rss.stop();
    await child.stop();
  }
}

/**
 * COPY ... FROM STDIN of the same rows, those from `from` to `to`, into a table like
 * clickstream_data (same primary key and index) in the same database, made by the first half. The
 * COPY text is built before the clock starts: this times Postgres and the wire, not string building.
 * The table is vacuumed afterwards, untimed, so that autovacuum does not run in the next stage's time.
 */
async function copyCeiling(
  config: BenchConfig,
  databaseUrl: string,
  part: { seed: number; baseMs: number; from: number; to: number; label: string },
  postgresPid: number | undefined,
): Promise<CopyRun> {
  const { seed, baseMs, from, to } = part;
  const rows = to - from;
  const chunks: string[] = [];
  let chunk = '';
  for (let i = from; i < to; i++) {
    const partition = i % config.partitions;
    chunk += cartCopyLine({ event: cartEventFor(seed, i, baseMs), partition, offset: String(Math.floor(i / config.partitions)) });
    if (chunk.length > 256 * 1024) {
      chunks.push(chunk);
      chunk = '';
    }
  }
  if (chunk) chunks.push(chunk);

  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`create table if not exists clickstream_copy (like clickstream_data including all)`;
    const [before] = await sql`select count(*)::int as n from clickstream_copy`;
    const progress = status(part.label, 5000);
    let sent = 0;
    const source = Readable.from(
      (function* () {
        for (const c of chunks) {
          sent++;
          progress.update(`${Math.round((sent / chunks.length) * 100)}% sent`);
          yield c;
        }
      })(),
    );
    const cpu = meterCpu({ postgres: { pid: postgresPid, tree: true } });
    const started = performance.now();
    const writable = await sql.unsafe(`copy clickstream_copy (${CART_COPY_COLUMNS}) from stdin`).writable();
    await pipeline(source, writable);
    const seconds = (performance.now() - started) / 1000;
    const cpuUse = cpu.stop();
    const [row] = await sql`select count(*)::int as n from clickstream_copy`;
    if (row!.n - before!.n !== rows) throw new Error(`COPY stored ${row!.n - before!.n} rows of ${rows}`);
    const rowsPerSec = Math.round(rows / seconds);
    progress.done(`${int(rows)} rows in ${seconds.toFixed(1)}s (${int(rowsPerSec)} rows/s)`);
    await sql`vacuum analyze clickstream_copy`;
    return { rowsPerSec, rows, seconds, postgresCpuMsPerRow: cpuMsPer(cpuUse.postgres!, seconds, rows), cpu: cpuUse };
  } finally {
    await sql.end();
  }
}

async function drainWithFloor(config: BenchConfig, services: SinkServices, database: string, rows: number): Promise<FloorRun> {
  const databaseUrl = await services.database(database);
  const child = spawnNode(
    'floor consumer',
    'bench/floor-consumer.ts',
    {
      KAFKA_BROKERS: services.brokers,
      KAFKA_TOPIC: TOPIC,
      DATABASE_URL: databaseUrl,
      CONSUMER_GROUP: `bench-floor-${crypto.randomUUID().slice(0, 8)}`,
      CONSUMER_MAX_BATCH: String(config.sink.consumerMaxBatch),
    },
    0,
  );
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (const deadline = Date.now() + 60_000; !child.output().includes('floor consumer ready'); ) {
      if (!child.running() || Date.now() > deadline) throw new Error(`floor consumer did not start:\n${child.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpu = meterCpu({ floor: { pid: child.pid }, postgres: { pid: services.postgresPid, tree: true } });
    const wall = performance.now();
    const drain = await timeDrain({
      label: `row-per-message floor (${database.replace('bench_floor_', '')} the consumer)`,
      target: rows,
      // A small table (a few thousand rows): count(*) is cheap here.
      landed: async () => (await sql`select count(*)::int as n from clickstream_data`)[0]!.n as number,
      limitMs: config.quick ? 60_000 : 180_000,
      everyMs: 200,
      drainer: child,
    });
    const cpuUse = cpu.stop();
    const wallSeconds = (performance.now() - wall) / 1000;
    return {
      ...drain,
      consumerCpuMsPerRow: cpuMsPer(cpuUse.floor!, wallSeconds, drain.rows),
      postgresCpuMsPerRow: cpuMsPer(cpuUse.postgres!, wallSeconds, drain.rows),
      cpu: cpuUse,
    };
  } finally {
    await sql.end();
    await child.stop();
    const said = child.output().replace('floor consumer ready\n', '').trim();
    if (said) say(`floor consumer said:\n${said.slice(-2000)}`);
  }
}
