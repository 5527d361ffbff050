import autocannon from 'autocannon';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { spawnNode } from './child.ts';
import type { BenchConfig } from './config.ts';
import { cartRequestFor } from './events.ts';
import { histogramMean, metricsDelta, scrapeMetrics } from './metrics-scrape.ts';
import { int, say, status } from './progress.ts';
import { type CpuUse, meterCpu, watchRss } from './rss.ts';

export interface LoadResult {
  /** 202 answers per second over the measured window. */
  readonly acceptedPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly accepted: number;
  /** Answers other than 202, by status. */
  readonly otherStatuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
}

export interface CollectorResult {
  readonly collector: LoadResult;
  readonly ceiling: LoadResult;
  readonly collectorRssMB: number;
  /** Mean time from produce() to the broker's acks=all acknowledgement, inside the collector. */
  readonly produceAckMeanMs: number | undefined;
  /** CPU time the collector process spent per accepted event: steadier than rates on a busy machine. */
  readonly cpuMsPerEvent: number | undefined;
  readonly ceilingCpuMsPerRequest: number | undefined;
  readonly cpu: { readonly collector: CpuUse; readonly ceiling: CpuUse };
}

/** Milliseconds of CPU per item, from cores busy over a window. */
export const cpuMsPer = (cores: number, seconds: number, items: number): number | undefined =>
  items > 0 ? Math.round(((cores * seconds * 1000) / items) * 1000) / 1000 : undefined;

const BODIES = Array.from({ length: 5000 }, (_, i) => JSON.stringify(cartRequestFor(i)));

/** One autocannon run: `connections` keep-alive connections posting carts as fast as answers come. */
export async function hammer(url: string, label: string, connections: number, seconds: number): Promise<LoadResult> {
  let next = 0;
  const progress = status(label, 5000);
  let finish: (error: unknown, result: autocannon.Result) => void = () => {};
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (error, result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result));
  });
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    // Loopback; a request that takes this long counts as a timeout, not as a latency sample.
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/api/cart',
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request, body: BODIES[next++ % BODIES.length] }),
      },
    ],
  }, (error, result) => finish(error, result));
  let seconds0 = 0;
  let answered = 0;
  // autocannon 9 passes { counter, bytes } for the last second; the types say no argument.
  (instance as NodeJS.EventEmitter).on('tick', (counter: { counter: number }) => {
    seconds0++;
    answered += counter.counter;
    progress.update(`${seconds0}/${seconds}s, ${int(answered)} answers`);
  });
  const result = await finished;
  const accepted = result.statusCodeStats?.['202']?.count ?? 0;
  const otherStatuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {})
      .filter(([code]) => code !== '202')
      .map(([code, stats]) => [code, stats?.count ?? 0]),
  );
  const out: LoadResult = {
    acceptedPerSec: Math.round(accepted / result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    accepted,
    otherStatuses,
    errors: result.errors,
    timeouts: result.timeouts,
  };
  const refused = Object.entries(otherStatuses).map(([code, n]) => `${n} x ${code}`).join(', ');
  progress.done(
    `${int(out.acceptedPerSec)} accepted/s, p50 ${out.p50Ms} ms, p99 ${out.p99Ms} ms` +
      (refused ? `, other answers: ${refused}` : '') +
      (out.errors ? `, ${out.errors} errors` : ''),
  );
  return out;
}

/** The collector child against a bare node:http child, same load, one after the other. */
export async function benchCollector(config: BenchConfig, brokers: string, kafkaPid: number): Promise<CollectorResult> {
  say(`collector: ${config.collector.connections} connections, ${config.collector.durationSeconds}s each (after ${config.collector.warmupSeconds}s warm-up)`);

  const barePort = await freePort();
  const bare = spawnNode('bare node:http', 'bench/bare-http-server.ts', { PORT: String(barePort) }, barePort);
  let ceiling: LoadResult;
  let ceilingCpu: CpuUse;
  try {
    await bare.waitFor('/healthz');
    await hammer(bare.url, 'ceiling (bare node:http) warm-up', config.collector.connections, config.collector.warmupSeconds);
    const cpu = meterCpu({ server: { pid: bare.pid } });
    ceiling = await hammer(bare.url, 'ceiling (bare node:http)', config.collector.connections, config.collector.durationSeconds);
    ceilingCpu = cpu.stop();
  } finally {
    await bare.stop();
  }

  const port = await freePort();
  const collector = spawnNode(
    'collector',
    'functions/collector/node.ts',
    { KAFKA_BROKERS: brokers, KAFKA_TOPIC: 'bench-collector', KAFKA_TOPIC_PARTITIONS: String(config.partitions), PORT: String(port) },
    port,
  );
  const rss = watchRss(collector.pid);
  try {
    await collector.waitFor('/readyz');
    await hammer(collector.url, 'collector warm-up', config.collector.connections, config.collector.warmupSeconds);
    const before = await scrapeMetrics(collector.url);
    const cpu = meterCpu({ collector: { pid: collector.pid }, kafka: { pid: kafkaPid } });
    const result = await hammer(collector.url, 'collector', config.collector.connections, config.collector.durationSeconds);
    const collectorCpu = cpu.stop();
    const metrics = metricsDelta(before, await scrapeMetrics(collector.url));
    return {
      collector: result,
      ceiling,
      collectorRssMB: rss.stop(),
      produceAckMeanMs: histogramMean(metrics, 'clickstream_produce_seconds', 1000),
      cpuMsPerEvent: cpuMsPer(collectorCpu.collector!, config.collector.durationSeconds, result.accepted),
      ceilingCpuMsPerRequest: cpuMsPer(ceilingCpu.server!, config.collector.durationSeconds, ceiling.accepted),
      cpu: { collector: collectorCpu, ceiling: ceilingCpu },
    };
  } finally {
    rss.stop();
    await collector.stop();
  }
}
