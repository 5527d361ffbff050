import { silentLogger } from '../../shared/logger.ts';
import { describeBrokerContract } from '../contract.ts';
import { confluentBroker } from './index.ts';

describeBrokerContract('confluent', (config, producer) => confluentBroker(config, producer, silentLogger));
