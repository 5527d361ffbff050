import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { nodeBroker } from '../broker/for-node.ts';
import { parseCollectorConfig, parseKafkaConfig } from '../shared/config.ts';
import { silentLogger } from '../shared/logger.ts';
import { ensureKafkaJars, kafkaToolsDir } from '../redpanda/kafka/jars.ts';
import type { BenchConfig } from './config.ts';
import { cartEventFor } from './events.ts';
import { int, say, status } from './progress.ts';
import { type CpuUse, meterCpu } from './rss.ts';

export interface ProducerPerfResult {
  /** Cores busy during the run: the broker, the tool's JVM, the rest of the machine. */
  readonly cpu: CpuUse;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly avgLatencyMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly records: number;
}

export interface BrokerResult {
  /** Real cart events (a payload file of them), as the collector writes them. */
  readonly ceiling: ProducerPerfResult;
  /** --record-size of the same mean size: random letters, which lz4 barely compresses. */
  readonly randomPayload: ProducerPerfResult;
  readonly recordBytes: number;
  readonly producerProps: string[];
  readonly cpu: CpuUse;
}

/** The collector's producer settings (broker/confluent/producer.ts): acks=all, idempotent, lz4, and its linger (KAFKA_LINGER_MS passes through). */
function producerProps(brokers: string): string[] {
  const { lingerMs } = parseCollectorConfig({ ...process.env, KAFKA_BROKERS: brokers });
  return ['acks=all', 'enable.idempotence=true', 'compression.type=lz4', `linger.ms=${lingerMs}`];
}

const SUMMARY = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, [\d.]+ ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/;

/**
 * ProducerPerformance's closing line, e.g. "1000000 records sent, 180000.5 records/sec (39.67 MB/sec),
 * 150.23 ms avg latency, 600.00 ms max latency, 140 ms 50th, 300 ms 95th, 400 ms 99th, 500 ms 99.9th.";
 * undefined for its periodic lines, which have no percentiles.
 */
export function parseSummary(line: string): Omit<ProducerPerfResult, 'cpu'> | undefined {
  const done = SUMMARY.exec(line.trim());
  if (!done) return undefined;
  return {
    records: Number(done[1]),
    recordsPerSec: Math.round(Number(done[2])),
    mbPerSec: Number(done[3]),
    avgLatencyMs: Number(done[4]),
    p50Ms: Number(done[5]),
    p99Ms: Number(done[6]),
  };
}

/** Kafka's own producer benchmark (org.apache.kafka.tools.ProducerPerformance) against the bench broker. */
async function producerPerformance(
  libs: string,
  args: string[],
  records: number,
  label: string,
  kafkaPid?: number,
): Promise<ProducerPerfResult> {
  const setpriv = existsSync('/usr/bin/setpriv');
  const java = [
    '-Xmx512m',
    `-Dlog4j2.configurationFile=${path.join(kafkaToolsDir, 'log4j2.xml')}`,
    '-Dkafka.log.level=WARN',
    '-cp',
    path.join(libs, '*'),
    'org.apache.kafka.tools.ProducerPerformance',
    ...args,
  ];
  const child = setpriv
    ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', 'java', ...java], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('java', java, { stdio: ['ignore', 'pipe', 'pipe'] });
  const progress = status(label, 5000);
  const cpu = meterCpu({ kafka: { pid: kafkaPid }, tool: { pid: child.pid } });
  const lines: string[] = [];
  let summary: Omit<ProducerPerfResult, 'cpu'> | undefined;
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > 40) lines.shift();
    const done = parseSummary(line);
    if (done) {
      summary = done;
    } else if (/records sent/.test(line)) {
      progress.update(line.replace(/, [\d.]+ ms max latency\.?$/, ''));
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  // A bound on a run that should take seconds: 20 µs a record, at least two minutes.
  const limit = setTimeout(() => child.kill('SIGKILL'), Math.max(120_000, records * 0.02));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run java: ${error.message}`)));
    child.once('close', resolve);
  });
  clearTimeout(limit);
  const cpuUse = cpu.stop();
  if (!summary) throw new Error(`ProducerPerformance exited with ${code} and no summary line:\n${lines.join('\n')}`);
  progress.done(`${int(summary.recordsPerSec)} records/s (${summary.mbPerSec} MB/s), p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms`);
  return { ...summary, cpu: cpuUse };
}

/**
 * A fresh broker JVM spends its first tens of seconds compiling its hot paths: a short unreported
 * ProducerPerformance run first, so that no stage measures a cold broker.
 */
export async function warmUpBroker(config: BenchConfig, brokers: string): Promise<void> {
  const libs = await ensureKafkaJars('kraft');
  const kafka = parseKafkaConfig({ KAFKA_BROKERS: brokers });
  const broker = await nodeBroker(kafka, { deliveryTimeoutMs: 30_000 }, silentLogger);
  await broker.ensureTopics([{ name: 'bench-warm-up', partitions: config.partitions, replicationFactor: 1 }]);
  const records = Math.min(100_000, Math.round(config.broker.records / 4));
  await producerPerformance(
    libs,
    ['--topic', 'bench-warm-up', '--record-size', '226', '--num-records', String(records), '--throughput', '-1', '--producer-props', `bootstrap.servers=${brokers}`, ...producerProps(brokers)],
    records,
    'broker warm-up (not reported)',
  );
}

export async function benchBroker(config: BenchConfig, brokers: string, kafkaPid: number, workDir: string): Promise<BrokerResult> {
  const libs = await ensureKafkaJars('kraft');
  const topics = ['bench-perf-events', 'bench-perf-random'];
  const kafka = parseKafkaConfig({ KAFKA_BROKERS: brokers });
  const broker = await nodeBroker(kafka, { deliveryTimeoutMs: 30_000 }, silentLogger);
  await broker.ensureTopics(topics.map((name) => ({ name, partitions: config.partitions, replicationFactor: 1 })));

  // Payloads: real cart events, one a line; ProducerPerformance sends a random line each time.
  const base = Date.now();
  const payloads = Array.from({ length: 10_000 }, (_, i) => JSON.stringify(cartEventFor(0xbeef, i, base)));
  const payloadFile = path.join(workDir, 'payloads.txt');
  await writeFile(payloadFile, payloads.join('\n') + '\n');
  const recordBytes = Math.round(payloads.reduce((sum, p) => sum + Buffer.byteLength(p), 0) / payloads.length);

  const records = config.broker.records;
  const settings = producerProps(brokers);
  const props = [`bootstrap.servers=${brokers}`, ...settings];
  say(`broker ceiling: Kafka's ProducerPerformance, ${int(records)} records of ~${recordBytes} bytes, ${settings.join(' ')}`);
  const common = ['--num-records', String(records), '--throughput', '-1', '--producer-props', ...props];
  const ceiling = await producerPerformance(
    libs,
    ['--topic', topics[0]!, '--payload-file', payloadFile, ...common],
    records,
    'broker ceiling (cart events)',
    kafkaPid,
  );
  const randomPayload = await producerPerformance(
    libs,
    ['--topic', topics[1]!, '--record-size', String(recordBytes), ...common],
    records,
    `broker ceiling (--record-size ${recordBytes})`,
    kafkaPid,
  );
  return { ceiling, randomPayload, recordBytes, producerProps: settings, cpu: ceiling.cpu };
}
