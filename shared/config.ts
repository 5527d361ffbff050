import { z } from 'zod';
import type { ProducerSettings } from './broker-port.ts';
import { ConfigError } from './errors.ts';

/** Variables as the process sees them; entries pass `process.env` or `Deno.env.toObject()`. */
export type Env = Readonly<Record<string, string | undefined>>;

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const brokerList = z
  .string({ error: 'is required (comma-separated host:port list, e.g. 127.0.0.1:9092)' })
  .transform((value) => value.split(',').map((b) => b.trim()).filter(Boolean))
  .refine((list) => list.length > 0, 'must list at least one host:port')
  .refine((list) => list.every((b) => /^[^\s:]+:\d+$/.test(b)), 'each entry must be host:port');

/**
 * Partitions of the topics the app creates. librdkafka puts one partition in each produce request
 * (confluentinc/librdkafka#1700), so at a shop's rates every further partition is another request
 * per linger window, and the broker's CPU and the wait for acks=all grow with it. With a 2 ms
 * linger, 1 partition took 0.33–0.40 × bare node:http against 0.28–0.32 × for 2 partitions and a
 * 5 ms linger, alternating (npm run bench -- --only=collector --partitions=N). One consumer of a
 * group reads each partition: raise it to run more consumers than one.
 */
export const DEFAULT_TOPIC_PARTITIONS = 1;

/**
 * The producer's linger.ms. Behind HTTP the collector's JS thread waits on acks for part of each
 * round of carts, so a shorter wait is more carts: 1 ms took 0.50–0.55 × bare node:http against
 * 0.36–0.46 × for 2 ms, alternating, the wait for acks=all 2.0–2.8 against 2.9–3.3 ms, for Kafka
 * 0.13–0.16 against 0.10–0.12 cores (npm run bench -- --only=collector with KAFKA_LINGER_MS=N;
 * bench/LEVERS.md). An earlier sweep that had favoured 2 ms ran on a broker whose JIT was still
 * cold and on a collector that used more CPU per cart.
 */
export const DEFAULT_LINGER_MS = 1;

/**
 * Longest the broker holds a consumer's fetch for more messages (librdkafka's fetch.wait.max.ms,
 * with fetch.min.bytes at the 1 MB fetch cap). Answering each fetch as soon as one message was
 * there meant a fetch, a tiny batch, a COPY and an offset commit every few milliseconds at a steady
 * 2,000 carts/s: Kafka used 0.71–0.73 cores and the machine was full, so the collector fell behind
 * (1,568 and 1,768 of the 2,000/s held). With 50 ms: every cart held, Kafka 0.56 cores, the consumer
 * 0.24 → 0.10 cores, p99 from 202 to stored row 72.9 ms (npm run bench -- --only=e2e). A backlog
 * fills each fetch at once, so draining is unchanged; a lone cart lands up to this much later.
 */
export const DEFAULT_CONSUMER_FETCH_WAIT_MS = 50;

/**
 * Longest landed batches wait to have their offsets committed together (ConsumerOptions). While
 * draining a backlog, a commit per 2,000-row batch cost Kafka 0.19–0.24 cores, one a second
 * 0.09–0.12, and the consumer drained about 8 % faster on average over five alternating pairs
 * (npm run bench -- --only=sink; bench/LEVERS.md). A crash redelivers at most this long's rows,
 * which are skipped as already stored.
 */
export const DEFAULT_CONSUMER_COMMIT_INTERVAL_MS = 1000;

/**
 * Most bytes one consumer fetch brings back, all partitions together, in both Kafka adapters: a few
 * batches of carts. The clients' defaults (librdkafka's 64 MB prefetch, the pure-JS client's 10 MB
 * fetches) took the consumer past its 128 MB heap while draining a backlog (npm run bench).
 */
export const CONSUMER_FETCH_MAX_BYTES = 1024 * 1024;

/** Messages landed per batch: 1,000 and 2,000 drained a backlog at the same rate and RSS (npm run bench -- --batch=N); 2,000 is what the bench measures. */
export const DEFAULT_CONSUMER_MAX_BATCH = 2000;

const kafkaShape = {
  KAFKA_BROKERS: brokerList,
  KAFKA_TOPIC: z.string().regex(/^[a-zA-Z0-9._-]{1,200}$/, 'must be a valid topic name').default('clickstream'),
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(DEFAULT_TOPIC_PARTITIONS),
  KAFKA_REPLICATION_FACTOR: positiveInt.default(1),
  KAFKA_CLIENT_ID: z.string().min(1).default('clickstream'),
  KAFKA_CLIENT: z.enum(['confluent', 'platformatic']).optional(),
  KAFKA_SSL: flag.default(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

const collectorShape = {
  ...kafkaShape,
  PORT: port.default(3000),
  PRODUCE_TIMEOUT_MS: positiveInt.default(5000),
  KAFKA_LINGER_MS: nonNegativeInt.max(1000).default(DEFAULT_LINGER_MS),
  CORS_ORIGINS: z.string().default(''),
  RATE_LIMIT_PER_MINUTE: nonNegativeInt.default(0),
  EVENTS_RATE_LIMIT_PER_MINUTE: nonNegativeInt.default(0),
  TRUST_PROXY: flag.default(false),
};

const consumerShape = {
  ...kafkaShape,
  DATABASE_URL: z.url({ error: 'is required (postgres://user:password@host:port/database)' }),
  CONSUMER_PORT: port.default(3001),
  CONSUMER_GROUP: z.string().min(1).default('clickstream-sink'),
  CONSUMER_MAX_BATCH: positiveInt.default(DEFAULT_CONSUMER_MAX_BATCH),
  DATABASE_POOL_SIZE: positiveInt.default(4),
  CONSUMER_PARALLEL_INSERTS: positiveInt.max(16).default(2),
  CONSUMER_FETCH_WAIT_MS: nonNegativeInt.max(10_000).default(DEFAULT_CONSUMER_FETCH_WAIT_MS),
  CONSUMER_COMMIT_INTERVAL_MS: nonNegativeInt.max(60_000).default(DEFAULT_CONSUMER_COMMIT_INTERVAL_MS),
};

const statsShape = {
  DATABASE_URL: z.url({ error: 'is required (postgres://user:password@host:port/database)' }),
  STATS_PORT: port.default(3002),
  STATS_METRICS_URLS: z.string().default(''),
  DATABASE_POOL_SIZE: positiveInt.default(2),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export type KafkaClientName = 'confluent' | 'platformatic';

export interface SaslSettings {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly clientId: string;
  /** Unset means "the runtime's default client"; the entry decides. */
  readonly client: KafkaClientName | undefined;
  readonly ssl: boolean;
  readonly sasl: SaslSettings | undefined;
}

export interface CollectorConfig {
  readonly kafka: KafkaConfig;
  readonly port: number;
  readonly produceTimeoutMs: number;
  /** How long the producer gathers messages into one request per partition (librdkafka's linger.ms). */
  readonly lingerMs: number;
  /** Origins allowed to post cross-origin; empty means same-origin only. */
  readonly corsOrigins: readonly string[];
  /** Carts one client may post per minute (answered 429 past it); 0 turns the limit off. */
  readonly rateLimitPerMinute: number;
  /** Tracker batches (`POST /api/events`) one client may post per minute; 0 turns the limit off. */
  readonly eventsRateLimitPerMinute: number;
  /** Take the client's address from X-Forwarded-For (its last entry): only behind a proxy that sets it. */
  readonly trustProxy: boolean;
  readonly logLevel: string;
}

/** The collector's producer settings, read the same way by every entry. */
export function producerSettingsOf(config: CollectorConfig): ProducerSettings {
  return { deliveryTimeoutMs: config.produceTimeoutMs, lingerMs: config.lingerMs };
}

export interface ConsumerConfig {
  readonly kafka: KafkaConfig;
  readonly databaseUrl: string;
  readonly port: number;
  readonly groupId: string;
  readonly maxBatchSize: number;
  readonly databasePoolSize: number;
  /** Statements one batch's rows are split across, on separate connections at once. */
  readonly parallelInserts: number;
  /** Longest the broker holds a fetch for more messages; see DEFAULT_CONSUMER_FETCH_WAIT_MS. */
  readonly fetchWaitMs: number;
  /** Longest landed batches wait to have their offsets committed together; see ConsumerOptions. */
  readonly commitIntervalMs: number;
  readonly logLevel: string;
}

function parse<S extends z.ZodRawShape>(shape: S, env: Env): z.output<z.ZodObject<S>> {
  // Empty strings count as unset, as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.keys(shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

function kafkaConfig(v: z.output<z.ZodObject<typeof kafkaShape>>): KafkaConfig {
  const saslParts = [v.KAFKA_SASL_MECHANISM, v.KAFKA_SASL_USERNAME, v.KAFKA_SASL_PASSWORD];
  if (saslParts.some(Boolean) && !saslParts.every(Boolean)) {
    throw new ConfigError(
      'Invalid configuration:\n  KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: set all three or none',
    );
  }
  return {
    brokers: v.KAFKA_BROKERS,
    topic: v.KAFKA_TOPIC,
    partitions: v.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: v.KAFKA_REPLICATION_FACTOR,
    clientId: v.KAFKA_CLIENT_ID,
    client: v.KAFKA_CLIENT,
    ssl: v.KAFKA_SSL,
    sasl: v.KAFKA_SASL_MECHANISM
      ? { mechanism: v.KAFKA_SASL_MECHANISM, username: v.KAFKA_SASL_USERNAME!, password: v.KAFKA_SASL_PASSWORD! }
      : undefined,
  };
}

export function parseKafkaConfig(env: Env): KafkaConfig {
  return kafkaConfig(parse(kafkaShape, env));
}

export function parseCollectorConfig(env: Env): CollectorConfig {
  const v = parse(collectorShape, env);
  return {
    kafka: kafkaConfig(v),
    port: v.PORT,
    produceTimeoutMs: v.PRODUCE_TIMEOUT_MS,
    lingerMs: v.KAFKA_LINGER_MS,
    corsOrigins: v.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    rateLimitPerMinute: v.RATE_LIMIT_PER_MINUTE,
    eventsRateLimitPerMinute: v.EVENTS_RATE_LIMIT_PER_MINUTE,
    trustProxy: v.TRUST_PROXY,
    logLevel: v.LOG_LEVEL,
  };
}

export function parseConsumerConfig(env: Env): ConsumerConfig {
  const v = parse(consumerShape, env);
  return {
    kafka: kafkaConfig(v),
    databaseUrl: v.DATABASE_URL,
    port: v.CONSUMER_PORT,
    groupId: v.CONSUMER_GROUP,
    maxBatchSize: v.CONSUMER_MAX_BATCH,
    databasePoolSize: v.DATABASE_POOL_SIZE,
    parallelInserts: v.CONSUMER_PARALLEL_INSERTS,
    fetchWaitMs: v.CONSUMER_FETCH_WAIT_MS,
    commitIntervalMs: v.CONSUMER_COMMIT_INTERVAL_MS,
    logLevel: v.LOG_LEVEL,
  };
}

export interface StatsConfig {
  readonly databaseUrl: string;
  readonly port: number;
  /** `name=url` pairs (or bare URLs) of the collector's and consumer's `/metrics`, shown on the dashboard. */
  readonly metricsUrls: readonly { readonly name: string; readonly url: string }[];
  readonly databasePoolSize: number;
  readonly logLevel: string;
}

export function parseStatsConfig(env: Env): StatsConfig {
  const v = parse(statsShape, env);
  const metricsUrls = v.STATS_METRICS_URLS.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const at = entry.indexOf('=');
      return at > 0 ? { name: entry.slice(0, at), url: entry.slice(at + 1) } : { name: `source${i + 1}`, url: entry };
    });
  for (const { url } of metricsUrls) {
    if (!URL.canParse(url)) throw new ConfigError(`Invalid configuration:\n  STATS_METRICS_URLS: "${url}" is not a URL`);
  }
  return {
    databaseUrl: v.DATABASE_URL,
    port: v.STATS_PORT,
    metricsUrls,
    databasePoolSize: v.DATABASE_POOL_SIZE,
    logLevel: v.LOG_LEVEL,
  };
}
