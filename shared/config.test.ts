import { describe, expect, it } from 'vitest';
import { parseCollectorConfig, parseConsumerConfig, parseKafkaConfig, parseStatsConfig } from './config.ts';
import { ConfigError } from './errors.ts';

const base = { KAFKA_BROKERS: 'localhost:19092' };

describe('configuration', () => {
  it('applies defaults', () => {
    const config = parseCollectorConfig(base);
    expect(config.port).toBe(3000);
    expect(config.kafka).toMatchObject({
      brokers: ['localhost:19092'],
      topic: 'clickstream',
      partitions: 1,
      replicationFactor: 1,
      ssl: false,
      sasl: undefined,
    });
  });

  it('swaps the broker with one variable: a comma list of host:port', () => {
    expect(parseKafkaConfig({ KAFKA_BROKERS: ' kafka-1:29092, kafka-2:29092 ' }).brokers).toEqual([
      'kafka-1:29092',
      'kafka-2:29092',
    ]);
  });

  it('names every bad variable in one error', () => {
    const attempt = () =>
      parseConsumerConfig({ KAFKA_BROKERS: 'no-port', PORT: 'x', CONSUMER_PORT: '99999', KAFKA_TOPIC_PARTITIONS: '0' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/KAFKA_BROKERS/);
    expect(attempt).toThrow(/DATABASE_URL/);
    expect(attempt).toThrow(/CONSUMER_PORT/);
    expect(attempt).toThrow(/KAFKA_TOPIC_PARTITIONS/);
  });

  it('says KAFKA_BROKERS is required when it is missing or empty', () => {
    expect(() => parseKafkaConfig({})).toThrow(/KAFKA_BROKERS: is required/);
    expect(() => parseKafkaConfig({ KAFKA_BROKERS: '' })).toThrow(/KAFKA_BROKERS: is required/);
  });

  it('takes SASL and TLS for hosted brokers, all SASL parts or none', () => {
    const config = parseKafkaConfig({
      ...base,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
    expect(config.ssl).toBe(true);
    expect(config.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(() => parseKafkaConfig({ ...base, KAFKA_SASL_USERNAME: 'u' })).toThrow(/set all three or none/);
    expect(() => parseKafkaConfig({ ...base, KAFKA_SSL: 'maybe' })).toThrow(/KAFKA_SSL/);
  });

  it('turns the rate limit and proxy trust off by default, and takes them from the environment', () => {
    expect(parseCollectorConfig(base)).toMatchObject({ rateLimitPerMinute: 0, trustProxy: false, corsOrigins: [] });
    expect(
      parseCollectorConfig({ ...base, RATE_LIMIT_PER_MINUTE: '120', TRUST_PROXY: 'true', CORS_ORIGINS: 'https://a.example, https://b.example' }),
    ).toMatchObject({ rateLimitPerMinute: 120, trustProxy: true, corsOrigins: ['https://a.example', 'https://b.example'] });
    expect(parseCollectorConfig({ ...base, RATE_LIMIT_PER_MINUTE: '0' }).rateLimitPerMinute).toBe(0);
    expect(() => parseCollectorConfig({ ...base, RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => parseCollectorConfig({ ...base, RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => parseCollectorConfig({ ...base, TRUST_PROXY: 'sometimes' })).toThrow(/TRUST_PROXY/);
  });

  it('parses the consumer settings', () => {
    const config = parseConsumerConfig({ ...base, DATABASE_URL: 'postgres://u@h:5432/db', CONSUMER_MAX_BATCH: '500' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u@h:5432/db', maxBatchSize: 500, groupId: 'clickstream-sink' });
  });

  it('holds a fetch 50 ms for more messages by default; 0 answers each at once; bad values name the variable', () => {
    const database = { ...base, DATABASE_URL: 'postgres://u@h:5432/db' };
    expect(parseConsumerConfig(database).fetchWaitMs).toBe(50);
    expect(parseConsumerConfig({ ...database, CONSUMER_FETCH_WAIT_MS: '0' }).fetchWaitMs).toBe(0);
    expect(parseConsumerConfig({ ...database, CONSUMER_FETCH_WAIT_MS: '200' }).fetchWaitMs).toBe(200);
    expect(() => parseConsumerConfig({ ...database, CONSUMER_FETCH_WAIT_MS: '-5' })).toThrow(/CONSUMER_FETCH_WAIT_MS/);
    expect(() => parseConsumerConfig({ ...database, CONSUMER_FETCH_WAIT_MS: '60000' })).toThrow(/CONSUMER_FETCH_WAIT_MS/);
  });

  it('commits landed offsets at most once a second by default; 0 commits every batch; bad values name the variable', () => {
    const database = { ...base, DATABASE_URL: 'postgres://u@h:5432/db' };
    expect(parseConsumerConfig(database).commitIntervalMs).toBe(1000);
    expect(parseConsumerConfig({ ...database, CONSUMER_COMMIT_INTERVAL_MS: '0' }).commitIntervalMs).toBe(0);
    expect(() => parseConsumerConfig({ ...database, CONSUMER_COMMIT_INTERVAL_MS: '-1' })).toThrow(/CONSUMER_COMMIT_INTERVAL_MS/);
    expect(() => parseConsumerConfig({ ...database, CONSUMER_COMMIT_INTERVAL_MS: 'soon' })).toThrow(/CONSUMER_COMMIT_INTERVAL_MS/);
  });

  it('parses the stats settings: the database and the /metrics to show', () => {
    const config = parseStatsConfig({
      DATABASE_URL: 'postgres://u@h:5432/db',
      STATS_METRICS_URLS: 'collector=http://c:3000/metrics, http://k:3001/metrics',
    });
    expect(config).toMatchObject({ port: 3002, databaseUrl: 'postgres://u@h:5432/db' });
    expect(config.metricsUrls).toEqual([
      { name: 'collector', url: 'http://c:3000/metrics' },
      { name: 'source2', url: 'http://k:3001/metrics' },
    ]);
    expect(parseStatsConfig({ DATABASE_URL: 'postgres://u@h/db' }).metricsUrls).toEqual([]);
    expect(() => parseStatsConfig({})).toThrow(/DATABASE_URL/);
    expect(() => parseStatsConfig({ DATABASE_URL: 'postgres://u@h/db', STATS_METRICS_URLS: 'not a url' })).toThrow(/STATS_METRICS_URLS/);
  });
});
