import type { BrokerHealth, BrokerProducer, OutgoingMessage } from '../../shared/broker-port.ts';

/** An in-memory producer for handler unit tests: records messages, or fails as told. */
export class FakeProducer implements BrokerProducer {
  readonly sent: { topic: string; message: OutgoingMessage }[] = [];
  failWith: Error | undefined;
  hangs = false;

  async produce(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.hangs) return new Promise(() => {});
    if (this.failWith) throw this.failWith;
    for (const message of messages) this.sent.push({ topic, message });
  }

  async health(): Promise<BrokerHealth> {
    return this.failWith ? { ok: false, detail: this.failWith.message } : { ok: true };
  }

  async close(): Promise<void> {}

  /** The JSON values sent, parsed. */
  values(): Record<string, unknown>[] {
    return this.sent.map(({ message }) =>
      JSON.parse(typeof message.value === 'string' ? message.value : new TextDecoder().decode(message.value)),
    );
  }
}
