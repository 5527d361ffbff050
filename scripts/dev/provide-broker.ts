import { spawnSync } from 'node:child_process';
import { startKafka } from '../../redpanda/kafka/kraft.ts';
import { portOpen } from './port-open.ts';

export interface ProvidedBroker {
  readonly brokers: string;
  readonly description: string;
  /** Stops what this run started; a reused broker is left running. */
  stop(): Promise<void>;
}

function dockerRuns(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

function javaMajorVersion(): number {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 10_000 });
  const match = /version "(\d+)/.exec(`${result.stderr ?? ''}${result.stdout ?? ''}`);
  return match ? Number(match[1]) : 0;
}

/**
 * A broker for `npm run dev`, first that works: one already on localhost:9092; Redpanda through
 * Docker Compose; a single-node Apache Kafka from the Maven Central jars where Java 17+ runs.
 */
export async function provideBroker(dataDir: string): Promise<ProvidedBroker> {
  if (await portOpen('127.0.0.1', 9092)) {
    return { brokers: 'localhost:9092', description: 'the broker already on localhost:9092', stop: async () => {} };
  }
  if (dockerRuns()) {
    const up = spawnSync('docker', ['compose', 'up', '-d', '--wait', 'redpanda'], { stdio: 'inherit' });
    if (up.status === 0) {
      return {
        brokers: 'localhost:19092',
        description: 'Redpanda in Docker Compose (left running; `docker compose down` stops it)',
        stop: async () => {},
      };
    }
  }
  if (javaMajorVersion() >= 17) {
    console.error('Starting Apache Kafka (KRaft) from the Maven Central jars on localhost:9092 ...');
    const kafka = await startKafka({ dataDir, port: 9092 });
    return { brokers: kafka.brokers, description: `Apache Kafka (KRaft), data in ${dataDir}`, stop: () => kafka.stop() };
  }
  throw new Error(
    'No Kafka-API broker: none on localhost:9092, no Docker engine, and no Java 17+.\n' +
      'Set KAFKA_BROKERS=host:port to use yours, start Redpanda with `docker compose up -d redpanda`,\n' +
      'or install Java 17+ so `npm run dev` can run Apache Kafka from Maven Central.',
  );
}
