import { Agent, request } from 'node:http';
import postgres from 'postgres';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { launchOf } from '../scripts/npm-launch.ts';
import { spawnNode } from './child.ts';
import type { BenchConfig } from './config.ts';
import { cartRequestFor } from './events.ts';
import { int, say, status } from './progress.ts';
import { type CpuUse, meterCpu, watchRss } from './rss.ts';
import { percentile, round1 } from './stats.ts';

/**
 * End to end: carts posted to the collector child at a steady rate (open loop: the sender keeps
 * its schedule whatever the answers do), landed by the consumer child in Postgres.
 *
 * Method: each cart carries its own eventId. The bench's Postgres records when each transaction
 * committed (track_commit_timestamp), so once the run is over one query reads every cart's
 * pg_xact_commit_timestamp(xmin): latency = the commit of its row - the 202's arrival at the client,
 * both on this machine's wall clock. Nothing polls Postgres while carts flow: an earlier poller's
 * look-ups cost Postgres a third of a core and inflated the very latency they measured.
 */

/** How often the count of landed rows is read once sending is over. */
const SETTLE_POLL_MS = 100;
/** Carts the sender may have in flight; past it, it skips sends and counts them (the collector is overwhelmed). */
const MAX_IN_FLIGHT = 2000;

export interface E2eResult {
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly sent: number;
  readonly accepted: number;
  readonly otherStatuses: Record<string, number>;
  readonly errors: number;
  readonly skipped: number;
  /** 202s per second over the sending window; the steady rate was held when this is the target rate. */
  readonly acceptedPerSec: number;
  readonly rateHeld: boolean;
  /** Accepted carts whose row never appeared within the settle time. */
  readonly missing: number;
  /** 202 at the client -> commit of the row's transaction. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Request sent -> 202 received, under this steady load. */
  readonly collectorP50Ms: number;
  readonly collectorP99Ms: number;
  readonly collectorRssMB: number;
  readonly consumerRssMB: number;
  readonly cpu: CpuUse;
}

interface Cart {
  readonly id: string;
  readonly sentAt: number;
  ackAt?: number;
}

const now = () => performance.timeOrigin + performance.now();

export async function benchE2e(
  config: BenchConfig,
  services: { brokers: string; kafkaPid: number; postgresPid: number | undefined; database(name: string): Promise<string> },
): Promise<E2eResult> {
  const { ratePerSecond, durationSeconds } = config.e2e;
  say(`end to end: ${int(ratePerSecond)} carts/s for ${durationSeconds}s through collector -> Kafka -> consumer -> Postgres`);
  const databaseUrl = await services.database('bench_e2e');
  const env = {
    KAFKA_BROKERS: services.brokers,
    KAFKA_TOPIC: 'bench-e2e',
    KAFKA_TOPIC_PARTITIONS: String(config.partitions),
    DATABASE_URL: databaseUrl,
    CONSUMER_GROUP: `bench-e2e-${crypto.randomUUID().slice(0, 8)}`,
    CONSUMER_MAX_BATCH: String(config.sink.consumerMaxBatch),
  };
  const [collectorPort, consumerPort] = [await freePort(), await freePort()];
  const collector = spawnNode('collector', 'functions/collector/node.ts', { ...env, PORT: String(collectorPort) }, collectorPort);
  // The consumer starts after the collector made the topics, so it never subscribes to a missing one.
  const collectorRss = watchRss(collector.pid);
  let consumer: ReturnType<typeof spawnNode> | undefined;
  let consumerRss: ReturnType<typeof watchRss> | undefined;
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  try {
    await collector.waitFor('/readyz');
    consumer = spawnNode('consumer', 'functions/consumer/node.ts', { ...env, CONSUMER_PORT: String(consumerPort) }, consumerPort, launchOf('consume'));
    consumerRss = watchRss(consumer.pid);
    await consumer.waitFor('/readyz');

    const run = (carts: Cart[], seconds: number, label: string) =>
      sendSteady({ url: collector.url, agent, rate: ratePerSecond, seconds, carts, label });
    // Warm-up: until its carts have landed, the group may still be joining.
    const warm: Cart[] = [];
    await run(warm, config.quick ? 2 : 3, 'end to end warm-up').done;
    await waitForRows(sql, countAccepted(warm), 60_000);

    const carts: Cart[] = [];
    const cpu = meterCpu({
      collector: { pid: collector.pid },
      consumer: { pid: consumer.pid },
      kafka: { pid: services.kafkaPid },
      postgres: { pid: services.postgresPid, tree: true },
    });
    const counts = await run(carts, durationSeconds, 'end to end').done;
    await waitForRows(sql, countAccepted(warm) + countAccepted(carts), 30_000);
    const cpuUse = cpu.stop();

    const accepted = carts.filter((c) => c.ackAt !== undefined);
    const committedAt = await commitTimes(sql, accepted.map((c) => c.id));
    const landed = accepted.filter((c) => committedAt.has(c.id));
    const latency = landed.map((c) => Math.max(0, committedAt.get(c.id)! - c.ackAt!));
    const answer = accepted.map((c) => c.ackAt! - c.sentAt);
    const result: E2eResult = {
      ratePerSecond,
      seconds: durationSeconds,
      sent: carts.length,
      accepted: accepted.length,
      otherStatuses: counts.otherStatuses,
      errors: counts.errors,
      skipped: counts.skipped,
      acceptedPerSec: Math.round(accepted.length / durationSeconds),
      rateHeld: counts.skipped === 0 && accepted.length >= 0.99 * (carts.length + counts.skipped),
      missing: accepted.length - landed.length,
      p50Ms: round1(percentile(latency, 50)),
      p99Ms: round1(percentile(latency, 99)),
      maxMs: round1(percentile(latency, 100)),
      collectorP50Ms: round1(percentile(answer, 50)),
      collectorP99Ms: round1(percentile(answer, 99)),
      collectorRssMB: collectorRss.stop(),
      consumerRssMB: consumerRss.stop(),
      cpu: cpuUse,
    };
    say(
      `end to end: 202 -> row committed p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms; ` +
        `${int(result.accepted)}/${int(result.sent + result.skipped)} accepted, ${result.missing} rows missing` +
        (result.rateHeld ? '' : ` - RATE NOT HELD: ${int(result.acceptedPerSec)}/s accepted`),
    );
    return result;
  } finally {
    collectorRss.stop();
    consumerRss?.stop();
    agent.destroy();
    await sql.end();
    await Promise.all([collector.stop(), consumer?.stop()]);
  }
}

/** Sends `rate` carts a second for `seconds` on a fixed schedule, appending each to `carts`. */
function sendSteady(options: { url: string; agent: Agent; rate: number; seconds: number; carts: Cart[]; label: string }) {
  const target = new URL('/api/cart', options.url);
  const total = Math.round(options.rate * options.seconds);
  const otherStatuses: Record<string, number> = {};
  let errors = 0;
  let skipped = 0;
  let inFlight = 0;
  let scheduled = 0;
  let acked = 0;
  const progress = status(options.label, 5000);
  const started = performance.now();

  const post = (i: number) => {
    const id = crypto.randomUUID();
    const cart: Cart = { id, sentAt: now() };
    options.carts.push(cart);
    inFlight++;
    const body = JSON.stringify({ eventId: id, ...cartRequestFor(i) });
    const req = request(
      target,
      { method: 'POST', agent: options.agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => {
          inFlight--;
          if (res.statusCode === 202) {
            cart.ackAt = now();
            acked++;
          }
          else otherStatuses[String(res.statusCode)] = (otherStatuses[String(res.statusCode)] ?? 0) + 1;
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      inFlight--;
      errors++;
    });
    req.end(body);
  };

  const done = new Promise<{ otherStatuses: Record<string, number>; errors: number; skipped: number }>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.rate));
      while (scheduled < due) {
        if (inFlight >= MAX_IN_FLIGHT) skipped++;
        else post(scheduled);
        scheduled++;
      }
      progress.update(`${int(scheduled)}/${int(total)} sent, ${int(acked)} accepted, ${inFlight} in flight`);
      if (scheduled >= total) {
        clearInterval(tick);
        const drainDeadline = Date.now() + 15_000;
        const wait = setInterval(() => {
          if (inFlight === 0 || Date.now() > drainDeadline) {
            clearInterval(wait);
            const took = ((performance.now() - started) / 1000).toFixed(1);
            progress.done(
              `${int(scheduled - skipped)} sent over ${options.seconds}s, last answer after ${took}s` +
                (skipped ? `, ${int(skipped)} not sent: ${MAX_IN_FLIGHT} already in flight (the collector fell behind)` : ''),
            );
            resolve({ otherStatuses, errors, skipped });
          }
        }, 20);
      }
    }, 2);
  });
  return { done };
}

const countAccepted = (carts: readonly Cart[]) => carts.reduce((n, c) => n + (c.ackAt === undefined ? 0 : 1), 0);

/** Waits until the table holds `expected` rows, or nothing new has landed for `settleMs`. */
async function waitForRows(sql: postgres.Sql, expected: number, settleMs: number): Promise<void> {
  let last = -1;
  let changedAt = performance.now();
  for (;;) {
    const [row] = await sql`select count(*)::int as n from clickstream_data`;
    const n = row!.n as number;
    if (n >= expected) return;
    if (n !== last) [last, changedAt] = [n, performance.now()];
    else if (performance.now() - changedAt > settleMs) return;
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
  }
}

/** event id -> when the transaction that inserted its row committed (epoch ms, microsecond precision). */
async function commitTimes(sql: postgres.Sql, ids: readonly string[]): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await sql`
      select event_id::text as id, extract(epoch from pg_xact_commit_timestamp(xmin)) * 1000 as at
      from clickstream_data where event_id = any(${ids.slice(i, i + 5000)}::uuid[])`;
    for (const row of rows) if (row.at !== null) times.set(row.id as string, Number(row.at));
  }
  return times;
}
