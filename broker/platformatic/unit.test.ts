import { Readable } from 'node:stream';
import { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, UserError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { parseKafkaConfig } from '../../shared/config.ts';
import { BrokerUnavailableError, FatalError } from '../../shared/errors.ts';
import { readBatches } from './batch-reader.ts';
import { connectionOptions } from './client.ts';
import { toPortError } from './errors.ts';
import { createLinger } from './linger.ts';

// The adapter's pure parts; the behaviour against a broker is in contract.test.ts.

describe('connectionOptions', () => {
  it('maps brokers and client id, with neither TLS nor SASL by default', () => {
    const options = connectionOptions(parseKafkaConfig({ KAFKA_BROKERS: 'a:9092, b:9093', KAFKA_CLIENT_ID: 'cs' }));
    expect(options).toMatchObject({ clientId: 'cs', bootstrapBrokers: ['a:9092', 'b:9093'] });
    expect(options.tls).toBeUndefined();
    expect(options.sasl).toBeUndefined();
  });

  it('turns KAFKA_SSL on as TLS with SNI from the broker host, and maps each SASL mechanism', () => {
    for (const [mechanism, expected] of [
      ['plain', 'PLAIN'],
      ['scram-sha-256', 'SCRAM-SHA-256'],
      ['scram-sha-512', 'SCRAM-SHA-512'],
    ] as const) {
      const options = connectionOptions(
        parseKafkaConfig({
          KAFKA_BROKERS: 'kafka.example.com:9093',
          KAFKA_SSL: 'true',
          KAFKA_SASL_MECHANISM: mechanism,
          KAFKA_SASL_USERNAME: 'alice',
          KAFKA_SASL_PASSWORD: 's3cret',
        }),
      );
      expect(options).toMatchObject({ tls: {}, tlsServerName: true, sasl: { mechanism: expected, username: 'alice', password: 's3cret' } });
    }
  });
});

describe('toPortError', () => {
  const protocolError = (id: string) => new ProtocolError(id);

  it('makes outages retriable: network errors, timeouts, retries exhausted, unknown topics', () => {
    for (const error of [
      new NetworkError('Connection to 127.0.0.1:1 failed.'),
      new MultipleErrors('produce failed 3 times.', [new NetworkError('refused'), new NetworkError('refused')]),
      protocolError('NOT_LEADER_OR_FOLLOWER'),
      protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'),
      new UserError('Unknown topic clickstream.'),
      new Error('something else'),
    ]) {
      expect(toPortError(error, 'produce'), String(error)).toBeInstanceOf(BrokerUnavailableError);
    }
  });

  it('makes refusals no retry can fix fatal: authentication, authorization, oversized, bad requests', () => {
    for (const error of [
      new AuthenticationError('SASL authentication failed.'),
      // How a refused login arrives: retries exhausted, of connections failed because of it.
      new MultipleErrors('metadata failed 4 times.', [
        new NetworkError('Connection to 127.0.0.1:9092 failed.', { cause: new AuthenticationError('SASL authentication failed.') }),
      ]),
      protocolError('SASL_AUTHENTICATION_FAILED'),
      protocolError('TOPIC_AUTHORIZATION_FAILED'),
      new MultipleErrors('Producing messages failed.', [protocolError('MESSAGE_TOO_LARGE')]),
      new UserError('Failed to serialize a message.'),
    ]) {
      expect(toPortError(error, 'produce'), String(error)).toBeInstanceOf(FatalError);
    }
  });

  it('names the operation and the innermost cause', () => {
    const error = toPortError(new MultipleErrors('produce failed 2 times.', [new NetworkError('connect ECONNREFUSED 127.0.0.1:1')]), 'produce to t');
    expect(error.message).toBe('produce to t: produce failed 2 times. connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('createLinger', () => {
  function recording(delayMs = 20) {
    const flushes: number[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let fail: Error | undefined;
    const linger = createLinger<number>({
      lingerMs: 5,
      maxItems: 10,
      async flush(items) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        flushes.push(items);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        inFlight--;
        if (fail) throw fail;
      },
    });
    return { linger, flushes, maxInFlight: () => maxInFlight, failWith: (e: Error) => (fail = e) };
  }

  it('gathers calls into requests, one in flight at a time, sealing at maxItems', async () => {
    const r = recording();
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 25; i++) calls.push(r.linger.add([i]));
    await new Promise((resolve) => setTimeout(resolve, 2));
    for (let i = 25; i < 30; i++) calls.push(r.linger.add([i]));
    await Promise.all(calls);
    expect(r.maxInFlight()).toBe(1);
    expect(r.flushes.flat()).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(r.flushes.every((f) => f.length <= 10)).toBe(true);
  });

  it('sends what gathered during a request right after it, without waiting for the linger', async () => {
    const r = recording(30);
    const first = r.linger.add([1]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = Promise.all([r.linger.add([2]), r.linger.add([3])]);
    await Promise.all([first, second]);
    expect(r.flushes).toEqual([[1], [2, 3]]);
  });

  it('rejects every call of a failed request with its error, and drain waits for all', async () => {
    const r = recording();
    r.failWith(new Error('broker gone'));
    const results = await Promise.allSettled([r.linger.add([1]), r.linger.add([2])]);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    const late = r.linger.add([3]).catch(() => {});
    await r.linger.drain();
    expect(r.flushes.flat()).toEqual([1, 2, 3]);
    await late;
  });
});

describe('readBatches', () => {
  it('reads up to max items, waiting briefly for more after the first, and ends with the stream', async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    const reader = readBatches<number>(stream, 30);
    const signal = new AbortController().signal;
    for (let i = 0; i < 5; i++) stream.push(i);
    expect(await reader.next(3, signal)).toEqual([0, 1, 2]);
    const pending = reader.next(10, signal);
    setTimeout(() => stream.push(5), 10);
    expect(await pending).toEqual([3, 4, 5]);
    stream.push(null);
    expect(await reader.next(10, signal)).toEqual([]);
  });

  it('returns empty when aborted while waiting, and rejects with the stream error', async () => {
    const stream = new Readable({ objectMode: true, read() {} });
    const reader = readBatches<number>(stream, 30);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    expect(await reader.next(10, controller.signal)).toEqual([]);
    setTimeout(() => stream.destroy(new Error('fetch failed')), 5);
    await expect(reader.next(10, new AbortController().signal)).rejects.toThrow('fetch failed');
  });
});
