import { Agent, request } from 'node:http';
import postgres from 'postgres';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { nodeFlagsOf, spawnNode } from './child.ts';
import type { BenchConfig } from './config.ts';
import { cartRequestFor } from './events.ts';
import { int, say, status } from './progress.ts';
import { type CpuUse, meterCpu, watchRss } from './rss.ts';
import { percentile, round1 } from './stats.ts';

/**
 * End to end: carts posted to the collector child at a steady rate (open loop: the sender keeps
 * its schedule whatever the answers do), landed by the consumer child in Postgres.
 *
 * Method: each cart carries its own eventId. From the 202's arrival at the client, a poller asks
 * Postgres every POLL_MS which of the acknowledged-but-not-yet-seen ids have a row (primary key
 * look-ups, so the poll costs little). A row visible to another session is committed; its latency
 * is the poll's start minus the 202's arrival: an upper bound, late by at most one poll period.
 * `ingested_at` (now() = the insert transaction's start, before its commit) gives a lower bound
 * on the same clock, reported alongside.
 */

const POLL_MS = 20;
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
  /** 202 -> row visible to a poller (upper bound, within POLL_MS). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** 202 -> ingested_at (lower bound: the inserting transaction's start). */
  readonly ingestedAtP50Ms: number;
  readonly ingestedAtP99Ms: number;
  /** Request sent -> 202 received, under this steady load. */
  readonly collectorP50Ms: number;
  readonly collectorP99Ms: number;
  /** The poller's actual mean period (POLL_MS plus its query): the upper bound's resolution. */
  readonly pollMs: number;
  readonly collectorRssMB: number;
  readonly consumerRssMB: number;
  readonly cpu: CpuUse;
}

interface Cart {
  readonly id: string;
  readonly sentAt: number;
  ackAt?: number;
  seenAt?: number;
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
  const sql = postgres(databaseUrl, { max: POLLERS, onnotice: () => {} });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  try {
    await collector.waitFor('/readyz');
    consumer = spawnNode('consumer', 'functions/consumer/node.ts', { ...env, CONSUMER_PORT: String(consumerPort) }, consumerPort, nodeFlagsOf('consume'));
    consumerRss = watchRss(consumer.pid);
    await consumer.waitFor('/readyz');

    const run = (carts: Cart[], seconds: number, label: string) =>
      sendSteady({ url: collector.url, agent, rate: ratePerSecond, seconds, carts, label });
    // Warm-up: until a first cart has made it through, the group may still be joining.
    const warm: Cart[] = [];
    const warmUp = run(warm, config.quick ? 2 : 3, 'end to end warm-up');
    let warmDone = false;
    void warmUp.done.then(() => (warmDone = true));
    await pollRows(sql, warm, 60_000, () => !warmDone);
    await warmUp.done;

    const carts: Cart[] = [];
    const cpu = meterCpu({
      collector: { pid: collector.pid },
      consumer: { pid: consumer.pid },
      kafka: { pid: services.kafkaPid },
      postgres: { pid: services.postgresPid, tree: true },
    });
    const sending = run(carts, durationSeconds, 'end to end');
    let sendingDone = false;
    void sending.done.then(() => (sendingDone = true));
    const polls: PollStats = { polls: 0, firstAt: 0, lastAt: 0 };
    await pollRows(sql, carts, 30_000, () => !sendingDone, polls);
    const counts = await sending.done;
    const cpuUse = cpu.stop();

    const accepted = carts.filter((c) => c.ackAt !== undefined);
    const seen = accepted.filter((c) => c.seenAt !== undefined);
    const ingested = new Map<string, number>();
    for (let i = 0; i < seen.length; i += 5000) {
      const ids = seen.slice(i, i + 5000).map((c) => c.id);
      const rows = await sql`select event_id::text as id, extract(epoch from ingested_at) * 1000 as at from clickstream_data where event_id = any(${ids}::uuid[])`;
      for (const row of rows) ingested.set(row.id as string, Number(row.at));
    }
    const visible = seen.map((c) => Math.max(0, c.seenAt! - c.ackAt!));
    const lower = seen.map((c) => Math.max(0, (ingested.get(c.id) ?? c.ackAt!) - c.ackAt!));
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
      missing: accepted.length - seen.length,
      p50Ms: round1(percentile(visible, 50)),
      p99Ms: round1(percentile(visible, 99)),
      maxMs: round1(percentile(visible, 100)),
      ingestedAtP50Ms: round1(percentile(lower, 50)),
      ingestedAtP99Ms: round1(percentile(lower, 99)),
      collectorP50Ms: round1(percentile(answer, 50)),
      collectorP99Ms: round1(percentile(answer, 99)),
      pollMs: polls.polls > 1 ? round1((polls.lastAt - polls.firstAt) / (polls.polls - 1)) : POLL_MS,
      collectorRssMB: collectorRss.stop(),
      consumerRssMB: consumerRss.stop(),
      cpu: cpuUse,
    };
    say(
      `end to end: 202 -> row committed p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms (ingested_at lower bound p50 ${result.ingestedAtP50Ms}, p99 ${result.ingestedAtP99Ms}); ` +
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
          if (res.statusCode === 202) cart.ackAt = now();
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
      const acked = options.carts.reduce((n, c) => n + (c.ackAt === undefined ? 0 : 1), 0);
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

/** How often the poller actually looked: about POLL_MS, unless its queries take longer than POLL_MS x POLLERS. */
interface PollStats {
  polls: number;
  firstAt: number;
  lastAt: number;
}

/** Polls that may overlap, so that the resolution stays near POLL_MS when one query is slow. */
const POLLERS = 2;

/**
 * Marks carts' rows as seen (at the start of the earliest poll that found them) until sending is
 * over (`sending()` false) and every accepted cart has its row, or nothing new appeared for `settleMs`.
 */
async function pollRows(sql: postgres.Sql, carts: Cart[], settleMs: number, sending: () => boolean, stats?: PollStats): Promise<void> {
  let checked = 0; // carts before this index are all seen
  let quietSince = performance.now();
  let running = 0;
  let failure: unknown;
  const poll = async (pending: Cart[]) => {
    const startedAt = now();
    if (stats) {
      if (stats.polls === 0) stats.firstAt = startedAt;
      stats.polls++;
      stats.lastAt = startedAt;
    }
    const rows = await sql`select event_id::text as id from clickstream_data where event_id = any(${pending.map((c) => c.id)}::uuid[])`;
    const found = new Set(rows.map((r) => r.id as string));
    for (const cart of pending) {
      if (found.has(cart.id) && (cart.seenAt === undefined || startedAt < cart.seenAt)) cart.seenAt = startedAt;
    }
    if (found.size > 0) quietSince = performance.now();
  };
  for (;;) {
    if (failure) throw failure;
    while (checked < carts.length && carts[checked]!.seenAt !== undefined) checked++;
    const pending: Cart[] = [];
    for (let i = checked; i < carts.length; i++) {
      const cart = carts[i]!;
      if (cart.ackAt !== undefined && cart.seenAt === undefined) pending.push(cart);
    }
    if (pending.length > 0 && running < POLLERS) {
      running++;
      void poll(pending).then(
        () => running--,
        (error: unknown) => {
          running--;
          failure = error;
        },
      );
    }
    if (!sending() && pending.length === 0 && running === 0) return;
    if (!sending() && performance.now() - quietSince > settleMs) {
      while (running > 0) await new Promise((r) => setTimeout(r, POLL_MS));
      return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
