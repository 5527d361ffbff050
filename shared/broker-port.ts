/**
 * The narrow port between the pipeline and a Kafka-API broker. Adapters (librdkafka on Node,
 * a pure-JS client on Deno) implement it; nothing else in the code base knows which client runs.
 */

export interface OutgoingMessage {
  readonly key: string | null;
  readonly value: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets exceed 2^53 in principle, so they travel as decimal strings. */
  readonly offset: string;
  readonly key: string | null;
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface BrokerHealth {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

/** How an adapter's producer bounds delivery; the same for every client. */
export interface ProducerSettings {
  /**
   * The client gives up on a message after this long. It must not exceed the collector's own
   * deadline, or a message answered 503 could still be written later.
   */
  readonly deliveryTimeoutMs: number;
  /** How long the client waits to gather messages into one request; default DEFAULT_LINGER_MS (shared/config.ts). */
  readonly lingerMs?: number;
}

export interface BrokerProducer {
  /**
   * Resolves only once the broker acknowledged every message with acks=all.
   * Rejects with BrokerUnavailableError when that does not happen within the produce timeout.
   */
  produce(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  health(): Promise<BrokerHealth>;
  /** Flushes what is in flight, then disconnects. */
  close(): Promise<void>;
}

export interface BatchContext {
  /** Aborted when the consumer is closing: a handler waiting on a retry should give up. */
  readonly signal: AbortSignal;
}

/**
 * Lands a batch. Resolving means every message's side effects are durable, so the adapter may
 * commit the batch's offsets; throwing means none of the batch's offsets are committed.
 */
export type BatchHandler = (batch: readonly IncomingMessage[], context: BatchContext) => Promise<void>;

export interface BrokerConsumer {
  /**
   * Consumes until close(); commits each batch's highest offset + 1 per partition after the handler
   * resolves, at once or together with later batches (ConsumerOptions.commitIntervalMs).
   */
  run(handler: BatchHandler): Promise<void>;
  health(): Promise<BrokerHealth>;
  /** Lets the current batch finish and commit, then leaves the group. */
  close(): Promise<void>;
}

/** How far a partition's committed position trails its high watermark, in messages. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Upper bound of messages handed to one handler call. */
  readonly maxBatchSize: number;
  /**
   * Longest a batch waits for more messages once there is one: fewer fetches, commits and inserts
   * at a trickle, for up to this much latency. DEFAULT_CONSUMER_FETCH_WAIT_MS when not given.
   */
  readonly fetchWaitMs?: number;
  /**
   * Longest that landed batches wait to have their offsets committed together; 0 by default, every
   * batch committed as it lands. Each commit is a request the broker writes to its offsets log:
   * one per batch took half of Kafka's CPU while the consumer drained a backlog (npm run bench).
   * Offsets are still committed only for batches that landed, and also as soon as there is nothing
   * to read and at close; after a crash or a rebalance, up to this long's batches are delivered
   * again. An adapter may commit more often (the pure-JS one commits every batch).
   */
  readonly commitIntervalMs?: number;
  /**
   * Told a partition's lag when the adapter learns it (with each batch, from the fetch's high
   * watermark): before the handler runs, counting the batch, and again after its commit.
   * Optional for adapters; a metric, never a signal to act on.
   */
  readonly onLag?: (lag: PartitionLag) => void;
}

export interface Broker {
  createProducer(): Promise<BrokerProducer>;
  createConsumer(options: ConsumerOptions): Promise<BrokerConsumer>;
  /** Creates missing topics; existing ones are left as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
}
