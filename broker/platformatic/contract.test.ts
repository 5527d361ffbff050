import { silentLogger } from '../../shared/logger.ts';
import { describeBrokerContract } from '../contract.ts';
import { platformaticBroker } from './index.ts';

describeBrokerContract('platformatic', (config, producer) => platformaticBroker(config, producer, silentLogger));
