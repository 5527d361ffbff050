/**
 * The broker port's contract, as vitest tests any adapter must pass against a real broker:
 * `describeBrokerContract('name', makeBroker)` in a `*.test.ts` registers them. Every test uses
 * topics and groups of its own, so adapters and test files can share one broker.
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type {
  BatchContext,
  Broker,
  BrokerConsumer,
  BrokerProducer,
  IncomingMessage,
  OutgoingMessage,
  PartitionLag,
  ProducerSettings,
} from '../shared/broker-port.ts';
import { type KafkaConfig, parseKafkaConfig } from '../shared/config.ts';
import { BrokerUnavailableError } from '../shared/errors.ts';
import { freePort } from '../redpanda/kafka/free-port.ts';

export type MakeBroker = (config: KafkaConfig, producer: ProducerSettings) => Broker;

/** Cases an adapter may declare as known gaps: they are skipped, with the reason in the test name. */
export type ContractCase = 'unreachable-health' | 'unreachable-produce';

export interface ContractOptions {
  readonly knownGaps?: Partial<Record<ContractCase, string>>;
}

/** A port where nothing listens: connections are refused at once. */
const CLOSED_PORT = '127.0.0.1:1';
/** Partitions of `shopper-0` … `shopper-11` on a 6-partition topic, as a Java producer places them. */
const JAVA_PARTITIONS_OF_SIX = [5, 4, 3, 5, 3, 1, 4, 0, 1, 5, 5, 4];

const text = (value: Uint8Array | null) => (value === null ? null : new TextDecoder().decode(value));

/** Polls `probe` every 50 ms until it gives a value (not undefined or false), or fails naming `what`. */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function describeBrokerContract(name: string, makeBroker: MakeBroker, options: ContractOptions = {}): void {
  describe(`broker contract: ${name}`, () => {
    const caseIt = (id: ContractCase, title: string, test: () => Promise<void>) => {
      const gap = options.knownGaps?.[id];
      if (gap) it.skip(`${title} [known gap: ${gap}]`, test);
      else it(title, test);
    };
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    });

    const configFor = (brokers: string) => parseKafkaConfig({ KAFKA_BROKERS: brokers, KAFKA_CLIENT_ID: `contract-${name}` });
    const unique = (label: string) => `contract-${name}-${label}-${randomUUID().slice(0, 8)}`;

    function brokerAt(brokers: string, deliveryTimeoutMs = 10_000): Broker {
      return makeBroker(configFor(brokers), { deliveryTimeoutMs });
    }

    async function producerOn(broker: Broker): Promise<BrokerProducer> {
      const producer = await broker.createProducer();
      cleanups.push(() => producer.close());
      return producer;
    }

    /** A broker on the test Kafka with a fresh topic, and a group name nobody used. */
    async function fresh(label: string, partitions = 1) {
      const broker = brokerAt(inject('kafkaBrokers'));
      const topic = unique(label);
      await broker.ensureTopics([{ name: topic, partitions, replicationFactor: 1 }]);
      return { broker, topic, groupId: unique(`${label}-group`) };
    }

    /** Starts a consumer that records every batch it is handed, after `handle` resolved. */
    async function recordingConsumer(
      broker: Broker,
      groupId: string,
      topic: string,
      options: {
        readonly handle?: (batch: readonly IncomingMessage[], context: BatchContext) => Promise<void>;
        readonly maxBatchSize?: number;
        readonly fetchWaitMs?: number;
      } = {},
    ) {
      const { handle = async () => {}, maxBatchSize = 100, fetchWaitMs } = options;
      const lags: PartitionLag[] = [];
      const consumer: BrokerConsumer = await broker.createConsumer({
        groupId,
        topics: [topic],
        maxBatchSize,
        fetchWaitMs,
        onLag: (lag) => lags.push(lag),
      });
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await consumer.close();
      };
      cleanups.push(close);
      const handed: IncomingMessage[][] = [];
      const landed: IncomingMessage[][] = [];
      const running = consumer.run(async (batch, context) => {
        handed.push([...batch]);
        await handle(batch, context);
        landed.push([...batch]);
      });
      const all = () => landed.flat();
      return {
        consumer,
        running,
        handed,
        landed,
        lags,
        all,
        close,
        /** Resolves once a landed message has this value. */
        waitForValue: (value: string, timeoutMs?: number) =>
          until(`a message "${value}"`, () => all().find((m) => text(m.value) === value), timeoutMs),
      };
    }

    it('ensureTopics is idempotent: a second call, even with other settings, leaves the topic alone', async () => {
      const { broker, topic } = await fresh('topics');
      await broker.ensureTopics([{ name: topic, partitions: 1, replicationFactor: 1 }]);
      await broker.ensureTopics([
        { name: topic, partitions: 3, replicationFactor: 1 },
        { name: `${topic}.other`, partitions: 2, replicationFactor: 1 },
      ]);
      const producer = await producerOn(broker);
      await producer.produce(topic, [{ key: 'k', value: 'after ensureTopics' }]);
      await producer.produce(`${topic}.other`, [{ key: 'k', value: 'on the other topic' }]);
    });

    it('produce then consume returns the same key, value and headers', async () => {
      const { broker, topic, groupId } = await fresh('roundtrip');
      const producer = await producerOn(broker);
      const binary = new Uint8Array([0, 1, 2, 253, 254, 255]);
      const sent: OutgoingMessage[] = [
        { key: 'user-1', value: 'plain text', headers: { source: 'contract', 'x-unicode': 'Łukasz 🛍️ 李' } },
        { key: null, value: binary },
        { key: 'user-2', value: JSON.stringify({ n: 3 }) },
      ];
      await producer.produce(topic, sent);
      const c = await recordingConsumer(broker, groupId, topic);
      const got = await until('3 messages', () => c.all().length >= 3 && c.all());
      expect(got).toHaveLength(3);
      expect(got.map((m) => m.topic)).toEqual([topic, topic, topic]);
      expect(got.map((m) => m.partition)).toEqual([0, 0, 0]);
      expect(got.map((m) => m.offset)).toEqual(['0', '1', '2']);
      expect(got[0]).toMatchObject({ key: 'user-1', headers: { source: 'contract', 'x-unicode': 'Łukasz 🛍️ 李' } });
      expect(text(got[0]!.value)).toBe('plain text');
      expect(got[1]!.key).toBeNull();
      expect([...got[1]!.value!]).toEqual([...binary]);
      expect(got[1]!.headers).toEqual({});
      expect(got[2]).toMatchObject({ key: 'user-2' });
      expect(text(got[2]!.value)).toBe('{"n":3}');
    });

    it('puts a key on the partition a Java client would, so switching client keeps each user in order', async () => {
      const { broker, topic, groupId } = await fresh('partitioner', 6);
      const producer = await producerOn(broker);
      const keys = Array.from({ length: 12 }, (_, i) => `shopper-${i}`);
      await producer.produce(topic, keys.map((key) => ({ key, value: key })));
      const c = await recordingConsumer(broker, groupId, topic);
      await until('12 messages', () => c.all().length >= 12);
      const partitionOf = new Map(c.all().map((m) => [m.key, m.partition]));
      // Kafka's own Utils.toPositive(Utils.murmur2(key)) % 6, run from the kafka-clients jar
      // (kafka-clients 4.1.1): the Java producer's default for a keyed message.
      expect(keys.map((key) => partitionOf.get(key))).toEqual(JAVA_PARTITIONS_OF_SIX);
    });

    it('concurrent produce calls all resolve, and every message arrives once', async () => {
      const { broker, topic, groupId } = await fresh('concurrent', 3);
      const producer = await producerOn(broker);
      const values = Array.from({ length: 300 }, (_, i) => `c-${i}`);
      // Many callers, as the collector's requests are: one message per call, spread over ~150 ms so
      // that calls arrive while earlier requests are in flight.
      await Promise.all(
        values.map(
          (value, i) =>
            new Promise<void>((resolve, reject) =>
              setTimeout(() => producer.produce(topic, [{ key: `user-${i % 7}`, value }]).then(resolve, reject), i / 2),
            ),
        ),
      );
      await producer.produce(topic, [{ key: 'user-0', value: 'after the burst' }]);
      const c = await recordingConsumer(broker, groupId, topic, { maxBatchSize: 100 });
      await until('301 messages', () => c.all().length >= 301);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const got = c.all().map((m) => text(m.value));
      expect(got).toHaveLength(301);
      expect(new Set(got)).toEqual(new Set([...values, 'after the burst']));
    });

    it('hands batches of at most maxBatchSize, every message once, in order per partition', async () => {
      const { broker, topic, groupId } = await fresh('batches', 3);
      const producer = await producerOn(broker);
      const values = Array.from({ length: 45 }, (_, i) => `m-${i}`);
      await producer.produce(
        topic,
        values.map((value, i) => ({ key: `k-${i % 5}`, value })),
      );
      const c = await recordingConsumer(broker, groupId, topic, { maxBatchSize: 10 });
      await until('45 messages', () => c.all().length >= 45);
      expect(c.landed.every((batch) => batch.length >= 1 && batch.length <= 10)).toBe(true);
      expect(c.all().map((m) => text(m.value)).sort()).toEqual([...values].sort());
      for (const partition of [0, 1, 2]) {
        const offsets = c.all().filter((m) => m.partition === partition).map((m) => Number(m.offset));
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }
    });

    it('fetchWaitMs gathers a trickle into a few batches; with 0 each message is handed as soon as it is there', async () => {
      const batchesFor = async (label: string, fetchWaitMs: number) => {
        const { broker, topic, groupId } = await fresh(label);
        const producer = await producerOn(broker);
        const c = await recordingConsumer(broker, groupId, topic, { fetchWaitMs });
        await producer.produce(topic, [{ key: 'k', value: 'ready' }]);
        await c.waitForValue('ready');
        const before = c.landed.length;
        // 12 carts 25 ms apart, one produce each, as a shop's trickle arrives.
        for (let i = 0; i < 12; i++) {
          await producer.produce(topic, [{ key: 'k', value: `t-${i}` }]);
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        await c.waitForValue('t-11');
        expect(c.all().map((m) => text(m.value))).toEqual(['ready', ...Array.from({ length: 12 }, (_, i) => `t-${i}`)]);
        return c.landed.length - before;
      };
      expect(await batchesFor('fetch-wait', 600)).toBeLessThanOrEqual(3);
      expect(await batchesFor('fetch-at-once', 0)).toBeGreaterThanOrEqual(6);
    });

    it('reports lag: counting a batch before its handler runs, and 0 once the last batch is committed', async () => {
      const { broker, topic, groupId } = await fresh('lag');
      const producer = await producerOn(broker);
      await producer.produce(
        topic,
        Array.from({ length: 6 }, (_, i) => ({ key: 'k', value: `lag-${i}` })),
      );
      const c = await recordingConsumer(broker, groupId, topic, { maxBatchSize: 2 });
      await c.waitForValue('lag-5');
      await until('lag 0 after the last commit', () => c.lags.at(-1)?.lag === 0);
      expect(c.lags.every((l) => l.topic === topic && l.partition === 0 && l.lag >= 0)).toBe(true);
      expect(Math.max(...c.lags.map((l) => l.lag))).toBeGreaterThanOrEqual(2);
    });

    it('delivers a batch again when the handler throws, and commits nothing for it', async () => {
      const { broker, topic, groupId } = await fresh('redeliver');
      const producer = await producerOn(broker);
      await producer.produce(topic, [{ key: 'k', value: 'fails once' }]);
      let calls = 0;
      const c = await recordingConsumer(broker, groupId, topic, {
        handle: async () => {
          calls++;
          if (calls === 1) throw new Error('handler failed on purpose');
        },
      });
      const again = await c.waitForValue('fails once');
      expect(calls).toBeGreaterThanOrEqual(2);
      const deliveries = c.handed.flat().filter((m) => text(m.value) === 'fails once');
      expect(deliveries.length).toBeGreaterThanOrEqual(2);
      expect(new Set(deliveries.map((m) => m.offset))).toEqual(new Set([again.offset]));
    });

    it('when batches fail amid a stream of many, lands every message, and commits up to the last', async () => {
      const { broker, topic, groupId } = await fresh('rewind', 2);
      const producer = await producerOn(broker);
      const values = Array.from({ length: 200 }, (_, i) => `r-${i}`);
      await producer.produce(topic, values.map((value, i) => ({ key: `k-${i % 7}`, value })));
      let calls = 0;
      let failing = true;
      // Every third batch fails, after the client has had time to read the batches after it; those
      // read ahead may hold the other partition, which must be read again too.
      const c = await recordingConsumer(broker, groupId, topic, {
        maxBatchSize: 8,
        handle: async () => {
          if (!failing || ++calls % 3 !== 0) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
          throw new Error('every third batch fails');
        },
      });
      await until('every message landed', () => new Set(c.all().map((m) => text(m.value))).size === values.length);
      expect(new Set(c.all().map((m) => text(m.value)))).toEqual(new Set(values));
      failing = false;
      const caughtUp = (partition: number) => c.lags.findLast((l) => l.partition === partition)?.lag === 0;
      await until('both partitions committed to the end', () => caughtUp(0) && caughtUp(1));
      await c.close();
      await c.running;
      await producer.produce(topic, [{ key: 'k', value: 'after' }]);
      const d = await recordingConsumer(broker, groupId, topic);
      await d.waitForValue('after');
      expect(d.all().map((m) => text(m.value))).toEqual(['after']);
    });

    it('after the handler resolved, a new consumer in the same group starts after the committed offsets', async () => {
      const { broker, topic, groupId } = await fresh('commit');
      const producer = await producerOn(broker);
      await producer.produce(topic, [
        { key: 'k', value: 'first' },
        { key: 'k', value: 'second' },
      ]);
      const a = await recordingConsumer(broker, groupId, topic);
      await a.waitForValue('second');
      await a.close();
      await a.running;

      await producer.produce(topic, [{ key: 'k', value: 'third' }]);
      const b = await recordingConsumer(broker, groupId, topic);
      await b.waitForValue('third');
      expect(b.all().map((m) => text(m.value))).toEqual(['third']);
    });

    it('close() during a running batch waits for it to finish and commits it', async () => {
      const { broker, topic, groupId } = await fresh('close');
      const producer = await producerOn(broker);
      await producer.produce(topic, [{ key: 'k', value: 'slow' }]);
      let started = false;
      let finished = false;
      let abortedDuringBatch = false;
      const a = await recordingConsumer(broker, groupId, topic, {
        handle: async (_batch, { signal }) => {
          started = true;
          await new Promise((resolve) => setTimeout(resolve, 1500));
          abortedDuringBatch = signal.aborted;
          finished = true;
        },
      });
      await until('the slow batch to start', () => started);
      const t0 = Date.now();
      await a.close();
      expect(finished).toBe(true);
      expect(abortedDuringBatch).toBe(false);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
      await a.running;

      await producer.produce(topic, [{ key: 'k', value: 'marker' }]);
      const b = await recordingConsumer(broker, groupId, topic);
      await b.waitForValue('marker');
      expect(b.all().map((m) => text(m.value))).toEqual(['marker']);
    });

    it('health is ok against the broker, for the producer and the consumer', async () => {
      const { broker, topic, groupId } = await fresh('health');
      const producer = await producerOn(broker);
      expect(await producer.health()).toEqual({ ok: true });
      const c = await recordingConsumer(broker, groupId, topic);
      expect((await c.consumer.health()).ok).toBe(true);
    });

    caseIt('unreachable-health', 'health is not ok against a closed port, within a few seconds', async () => {
      const t0 = Date.now();
      const nowhere = await producerOn(brokerAt(CLOSED_PORT, 3000));
      const health = await nowhere.health();
      expect(health.ok).toBe(false);
      expect(health.detail).toEqual(expect.any(String));
      expect(Date.now() - t0).toBeLessThan(5000);
    });

    it('a producer made while the broker is unreachable produces once it is reachable', async () => {
      const { broker: real, topic, groupId } = await fresh('late-broker');
      // Bootstrap goes through a port where nothing listens yet; later a proxy to the test broker
      // opens there. The broker then names its own address, which the client uses from then on.
      const port = await freePort();
      const producer = await producerOn(brokerAt(`127.0.0.1:${port}`, 2000));
      const early = await producer.produce(topic, [{ key: 'k', value: 'too early' }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(early).toBeInstanceOf(BrokerUnavailableError);

      const [host, realPort] = inject('kafkaBrokers').split(',')[0]!.split(':');
      const sockets = new Set<Socket>();
      const proxy = createServer((socket) => {
        const upstream = connect(Number(realPort), host);
        for (const end of [socket, upstream]) {
          sockets.add(end);
          end.on('error', () => {});
        }
        socket.pipe(upstream).pipe(socket);
      });
      await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
      cleanups.push(async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => proxy.close(resolve));
      });

      let sent = false;
      for (const deadline = Date.now() + 30_000; !sent && Date.now() < deadline; ) {
        sent = await producer.produce(topic, [{ key: 'k', value: 'once reachable' }]).then(
          () => true,
          () => false,
        );
      }
      expect(sent).toBe(true);
      const c = await recordingConsumer(real, groupId, topic);
      await c.waitForValue('once reachable');
      expect(c.all().map((m) => text(m.value))).toEqual(['once reachable']);
    });

    caseIt('unreachable-produce', 'produce to an unreachable broker rejects with BrokerUnavailableError within the delivery timeout', async () => {
      const deliveryTimeoutMs = 3000;
      const t0 = Date.now();
      const error = await producerOn(brokerAt(CLOSED_PORT, deliveryTimeoutMs))
        .then((producer) => producer.produce(unique('nowhere'), [{ key: 'k', value: 'lost' }]))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(BrokerUnavailableError);
      expect(Date.now() - t0).toBeLessThan(deliveryTimeoutMs + 1500);
    });
  });
}
