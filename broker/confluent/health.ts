import type { BrokerHealth } from '../../shared/broker-port.ts';

interface MetadataAdmin {
  listTopics(options?: { timeout?: number }): Promise<string[]>;
}

/** A broker is healthy when it answers a metadata request within two seconds. */
export async function probeBroker(admin: MetadataAdmin, timeoutMs = 2000): Promise<BrokerHealth> {
  try {
    await admin.listTopics({ timeout: timeoutMs });
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}
