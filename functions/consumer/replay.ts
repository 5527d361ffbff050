import type { BatchHandler, BrokerProducer, IncomingMessage } from '../../shared/broker-port.ts';
import { decodeCart } from './decode-cart.ts';

export interface ReplayTally {
  replayed: number;
  /** Letters replayed earlier in this same run that came back; never replayed twice in one run. */
  cameBack: number;
  /** Dead letters that still cannot be stored, left where they are. */
  stillInvalid: number;
  readonly reasons: Map<string, number>;
}

/**
 * A batch handler that sends dead letters back to the events topic with their original key, bytes
 * and headers. Unless `all` is set, a letter that still fails validation stays behind (and is
 * counted), so a replay before the fix does not loop poison through the pipeline.
 */
export function createReplayHandler(options: {
  readonly producer: BrokerProducer;
  readonly eventsTopic: string;
  readonly all: boolean;
  readonly dryRun: boolean;
  readonly tally: ReplayTally;
  /** Marks what this run replays, so letters it sends back into the pipeline are recognised if they return. */
  readonly runId: string;
  /** Whether a letter would now be stored; the cart decoder unless told (the tracked-events DLQ passes its own). */
  readonly isStorable?: (letter: IncomingMessage) => boolean;
}): BatchHandler {
  const { producer, eventsTopic, tally } = options;
  const isStorable = options.isStorable ?? ((letter: IncomingMessage) => decodeCart(letter).ok);
  return async (batch: readonly IncomingMessage[]) => {
    const replay = [];
    for (const letter of batch) {
      if (letter.headers['dlq.replay.run'] === options.runId) {
        tally.cameBack++;
        continue;
      }
      const reason = letter.headers['dlq.reason'] ?? 'unknown';
      tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1);
      if (!options.all && !isStorable(letter)) {
        tally.stillInvalid++;
        continue;
      }
      const headers = Object.fromEntries(Object.entries(letter.headers).filter(([name]) => !name.startsWith('dlq.')));
      replay.push({
        key: letter.key,
        value: letter.value ?? new Uint8Array(),
        headers: {
          ...headers,
          'dlq.replayed.from': `${letter.topic}/${letter.partition}/${letter.offset}`,
          'dlq.replay.run': options.runId,
        },
      });
    }
    if (!options.dryRun && replay.length > 0) await producer.produce(eventsTopic, replay);
    tally.replayed += replay.length;
  };
}
