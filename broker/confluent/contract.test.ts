import { silentLogger } from '../../shared/logger.ts';
import { describeBrokerContract } from '../contract.ts';
import { confluentBroker } from './index.ts';

// librdkafka's producer connect() waits for a metadata answer: against a closed port createProducer()
// rejects only after 30 s, with the client's own KafkaJSConnectionError rather than BrokerUnavailableError.
const connectGap = 'createProducer() against a closed port rejects after 30 s with a raw KafkaJSConnectionError';

describeBrokerContract('confluent', (config, producer) => confluentBroker(config, producer, silentLogger), {
  knownGaps: { 'unreachable-health': connectGap, 'unreachable-produce': connectGap },
});
