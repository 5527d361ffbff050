import { Admin } from '@platformatic/kafka';
import type { BrokerHealth } from '../../shared/broker-port.ts';
import type { KafkaConfig } from '../../shared/config.ts';
import { connectionOptions } from './client.ts';
import { withDeadline } from '../../shared/deadline.ts';
import { describeKafkaError } from './errors.ts';

export interface HealthProbe {
  probe(): Promise<BrokerHealth>;
  close(): Promise<void>;
}

/**
 * A broker is healthy when it answers a fresh metadata request within `timeoutMs`. The probe has
 * a client of its own without retries, so a slow answer is reported, not retried into a hang.
 */
export function createHealthProbe(config: KafkaConfig, timeoutMs = 2000): HealthProbe {
  const admin = new Admin({ ...connectionOptions(config), connectTimeout: timeoutMs, timeout: timeoutMs, retries: 0 });
  return {
    async probe() {
      try {
        await withDeadline(admin.metadata({ topics: [], forceUpdate: true }), timeoutMs + 500, () => new Error(`no answer within ${timeoutMs} ms`));
        return { ok: true };
      } catch (error) {
        return { ok: false, detail: describeKafkaError(error) };
      }
    },
    close: () => admin.close().catch(() => {}),
  };
}
