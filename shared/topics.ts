import type { TopicSpec } from './broker-port.ts';
import type { KafkaConfig } from './config.ts';

/** Every topic the pipeline uses, derived from the one configured base name. */
export interface Topics {
  /** Cart events produced by the collector, keyed by username. */
  readonly events: string;
  /** Messages the consumer could not land, with the reason in headers. */
  readonly deadLetter: string;
  /**
   * The browser tracker's events (page_view, option_selected, add_to_cart), keyed by anonymousId.
   * A topic of their own: the cart topic keeps its one strict message shape (and its consumers,
   * dead letters and replay tool stay as they are), and a burst of page views never delays a cart.
   */
  readonly tracked: string;
  /** Tracked events the consumer could not land. */
  readonly trackedDeadLetter: string;
}

export function topicsFor(base: string): Topics {
  return {
    events: base,
    deadLetter: `${base}.dlq`,
    tracked: `${base}.events`,
    trackedDeadLetter: `${base}.events.dlq`,
  };
}

/** The topics to create at start, idempotently, with the configured partitions and replication. */
export function topicSpecs(config: KafkaConfig): TopicSpec[] {
  const topics = topicsFor(config.topic);
  const spec = (name: string): TopicSpec => ({
    name,
    partitions: config.partitions,
    replicationFactor: config.replicationFactor,
  });
  return [spec(topics.events), spec(topics.deadLetter), spec(topics.tracked), spec(topics.trackedDeadLetter)];
}
