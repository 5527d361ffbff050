import type { Hono } from 'hono';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The ledger: what each function counts, so that "no event lost, none doubled" can be read off
 * `GET /metrics`. For the collector, received = acknowledged + Σ rejected (+ requests in flight);
 * for the consumer, consumed = inserted + duplicates_skipped + dead_lettered.
 *
 * Every function creates its own registry (the entry or service does, or the app when it is given
 * none), never a module-level one, so tests and a process running several functions never share counts.
 */

/** Why the collector refused a cart; one label value of `clickstream_rejected_total`. */
export const REJECT_REASONS = [
  'invalid',
  'too_large',
  'bad_json',
  'content_type',
  'rate_limited',
  'broker_unavailable',
  'internal_error',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface MetricsOptions {
  /** Adds prom-client's process metrics (CPU, memory, event-loop lag): Node entries only. */
  readonly processMetrics?: boolean;
}

/** Why the collector refused a tracked event; one label value of `clickstream_tracked_rejected_total`. */
export const TRACKED_REJECT_REASONS = ['invalid', 'batch_refused', 'broker_unavailable'] as const;

/** A second consumer's ledger in the same registry, its names starting with `prefix` instead of `clickstream`. */
export interface ConsumerMetricsOptions extends MetricsOptions {
  readonly registry?: Registry;
  /** Metric name prefix; `clickstream` by default. */
  readonly prefix?: string;
  /** What the messages are and where they land, for the help texts. */
  readonly what?: string;
  readonly table?: string;
}

export interface CollectorMetrics {
  readonly registry: Registry;
  /** Every `POST /api/cart` request, whatever became of it. */
  readonly received: Counter;
  readonly rejected: Counter<'reason'>;
  /** Events the broker acknowledged (acks=all), counted even when the acknowledgement came after the 503. */
  readonly produced: Counter;
  /** 202 answers: events the client was told are safe. */
  readonly acknowledged: Counter;
  readonly produceSeconds: Histogram;
  /** `POST /api/events`: events in the batches received, whatever became of them. */
  readonly trackedReceived: Counter;
  /** Tracked events the broker acknowledged and the client was told are safe. */
  readonly trackedAccepted: Counter;
  /** Tracked events refused, by reason (invalid, batch_refused, broker_unavailable). */
  readonly trackedRejected: Counter<'reason'>;
  /** Events the trackers' full queues discarded, as the trackers report them. */
  readonly trackerDropped: Counter;
}

export interface ConsumerMetrics {
  readonly registry: Registry;
  /** Messages whose batch landed (stored, skipped as duplicates, or dead-lettered) and may be committed. */
  readonly consumed: Counter;
  readonly inserted: Counter;
  /** Redeliveries and client retries: the event_id was already stored. */
  readonly duplicatesSkipped: Counter;
  readonly deadLettered: Counter;
  /** Messages on the broker not yet landed, per partition: high watermark minus the next offset to commit. */
  readonly lag: Gauge<'partition'>;
  /** 1 while the database or broker is down and the consumer retries without committing. */
  readonly outage: Gauge;
  readonly batchSize: Histogram;
  readonly insertSeconds: Histogram;
}

// Seconds, from a loopback broker's ~2 ms to the 5 s produce deadline and beyond.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_BUCKETS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

function newRegistry(options: MetricsOptions): Registry {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

export function createCollectorMetrics(options: MetricsOptions = {}): CollectorMetrics {
  const registry = newRegistry(options);
  const registers = [registry];
  const rejected = new Counter({
    name: 'clickstream_rejected_total',
    help: 'POST /api/cart requests refused, by reason; none of them was produced.',
    labelNames: ['reason'] as const,
    registers,
  });
  // Every reason shows from the start, at 0, so a dashboard's rate() has a series to work on.
  for (const reason of REJECT_REASONS) rejected.labels(reason).inc(0);
  const trackedRejected = new Counter({
    name: 'clickstream_tracked_rejected_total',
    help: 'Tracked events refused, by reason; none of them was produced.',
    labelNames: ['reason'] as const,
    registers,
  });
  for (const reason of TRACKED_REJECT_REASONS) trackedRejected.labels(reason).inc(0);
  return {
    registry,
    received: new Counter({ name: 'clickstream_received_total', help: 'POST /api/cart requests received.', registers }),
    rejected,
    produced: new Counter({
      name: 'clickstream_produced_total',
      help: 'Cart events the broker acknowledged (acks=all).',
      registers,
    }),
    acknowledged: new Counter({
      name: 'clickstream_acknowledged_total',
      help: 'Cart events answered 202 to the client.',
      registers,
    }),
    produceSeconds: new Histogram({
      name: 'clickstream_produce_seconds',
      help: 'Time from producing a cart event to its settlement (broker acknowledgement or failure).',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    trackedReceived: new Counter({
      name: 'clickstream_tracked_received_total',
      help: 'Events in POST /api/events batches received.',
      registers,
    }),
    trackedAccepted: new Counter({
      name: 'clickstream_tracked_accepted_total',
      help: 'Tracked events the broker acknowledged and the client was told are safe.',
      registers,
    }),
    trackedRejected,
    trackerDropped: new Counter({
      name: 'clickstream_tracker_dropped_total',
      help: "Events discarded by trackers' full queues in the browser, as the trackers report them.",
      registers,
    }),
  };
}

export function createConsumerMetrics(options: ConsumerMetricsOptions = {}): ConsumerMetrics {
  const registry = options.registry ?? newRegistry(options);
  const registers = [registry];
  const p = options.prefix ?? 'clickstream';
  const what = options.what ?? 'the events topic';
  const table = options.table ?? 'clickstream_data';
  return {
    registry,
    consumed: new Counter({
      name: `${p}_consumed_total`,
      help: `Messages read from ${what} whose batch landed durably.`,
      registers,
    }),
    inserted: new Counter({ name: `${p}_inserted_total`, help: `Rows inserted into ${table}.`, registers }),
    duplicatesSkipped: new Counter({
      name: `${p}_duplicates_skipped_total`,
      help: 'Events not inserted because their event_id was already stored.',
      registers,
    }),
    deadLettered: new Counter({
      name: `${p}_dead_lettered_total`,
      help: 'Messages written to the dead-letter topic.',
      registers,
    }),
    lag: new Gauge({
      name: `${p}_consumer_lag`,
      help: `Messages on ${what} not yet landed, per partition (high watermark - next offset to commit).`,
      labelNames: ['partition'] as const,
      registers,
    }),
    outage: new Gauge({
      name: `${p}_consumer_outage`,
      help: '1 while a dependency is down and the consumer retries without committing, else 0.',
      registers,
    }),
    batchSize: new Histogram({
      name: `${p}_batch_size`,
      help: 'Messages per batch handed to the consumer.',
      buckets: BATCH_BUCKETS,
      registers,
    }),
    insertSeconds: new Histogram({
      name: `${p}_insert_seconds`,
      help: `Duration of each successful batch insert into ${table}.`,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}

/** `GET /metrics` in the Prometheus text format. */
export function mountMetrics(app: Hono, registry: Registry): void {
  app.get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType);
    c.header('Cache-Control', 'no-store');
    return c.body(await registry.metrics());
  });
}

/** Seconds since `startMs` (a `performance.now()` reading). */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
