import autocannon from 'autocannon';
import { freePort } from '../redpanda/kafka/free-port.ts';
import { spawnNode } from './child.ts';
import type { BenchConfig } from './config.ts';
import { cartRequestFor } from './events.ts';
import { histogramMean, metricsDelta, scrapeMetrics } from './metrics-scrape.ts';
import { int, say, status } from './progress.ts';
import { ratio } from './stats.ts';
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
  /** Bare node:http answering as the collector does (its headers, a body of its length). */
  readonly ceiling: LoadResult;
  /** Bare node:http answering with a content type and a short body only: the ceiling until 2026-12-06. */
  readonly minimalAnswerCeiling: LoadResult;
  readonly collectorRssMB: number;
  /** Mean time from produce() to the broker's acks=all acknowledgement, inside the collector. */
  readonly produceAckMeanMs: number | undefined;
  /** CPU time the collector process spent per accepted event: steadier than rates on a busy machine. */
  readonly cpuMsPerEvent: number | undefined;
  readonly ceilingCpuMsPerRequest: number | undefined;
  readonly cpu: { readonly collector: CpuUse; readonly ceiling: CpuUse; readonly minimalAnswerCeiling: CpuUse };
  /** Each round's collector rate against the ceiling's in the round beside it: how far the machine's noise moves the ratio. */
  readonly roundRatios: readonly (number | null)[];
}

/** The collector's accepted events against the ceiling's in each pair of rounds; null where the ceiling answered nothing. */
export function ratiosByRound(collector: readonly LoadResult[], ceiling: readonly LoadResult[]): (number | null)[] {
  return collector.map((round, i) => ratio(round.accepted, ceiling[i]?.accepted ?? null));
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

/** Load results of several rounds as one: rates over the whole time, the middle round's p50, the worst round's p99. */
export function combineRounds(rounds: readonly (LoadResult & { readonly seconds: number })[]): LoadResult {
  const sum = (pick: (r: LoadResult) => number) => rounds.reduce((total, r) => total + pick(r), 0);
  const seconds = rounds.reduce((total, r) => total + r.seconds, 0);
  const p50s = rounds.map((r) => r.p50Ms).sort((a, b) => a - b);
  const otherStatuses: Record<string, number> = {};
  for (const round of rounds) {
    for (const [code, n] of Object.entries(round.otherStatuses)) otherStatuses[code] = (otherStatuses[code] ?? 0) + n;
  }
  return {
    acceptedPerSec: Math.round(sum((r) => r.accepted) / seconds),
    p50Ms: p50s[Math.floor((p50s.length - 1) / 2)]!,
    p99Ms: Math.max(...rounds.map((r) => r.p99Ms)),
    requests: sum((r) => r.requests),
    accepted: sum((r) => r.accepted),
    otherStatuses,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
  };
}

/** CPU over several windows as one: each process's busy cores, weighted by the windows' lengths. */
function combineCpu(windows: readonly { readonly use: CpuUse; readonly seconds: number }[]): CpuUse {
  const seconds = windows.reduce((total, w) => total + w.seconds, 0);
  const combined: CpuUse = {};
  for (const { use, seconds: s } of windows) {
    for (const [name, cores] of Object.entries(use)) combined[name] = (combined[name] ?? 0) + (cores * s) / seconds;
  }
  return Object.fromEntries(Object.entries(combined).map(([name, cores]) => [name, Math.round(cores * 100) / 100]));
}

/**
 * The collector child against bare node:http children under the same load, in alternating rounds:
 * this machine's speed drifts by half within minutes, and rounds side by side keep the ratio honest.
 * One ceiling answers as the collector does, the other with a minimal answer (ceiling-answer.ts).
 */
export async function benchCollector(config: BenchConfig, brokers: string, kafkaPid: number): Promise<CollectorResult> {
  const { connections, rounds, roundSeconds, warmupSeconds } = config.collector;
  say(
    `collector: ${connections} connections, ${rounds} rounds of ${roundSeconds}s each against bare node:http answering as it does ` +
      `and with a minimal answer, alternating (after ${warmupSeconds}s warm-up)`,
  );

  const barePort = await freePort();
  const bare = spawnNode('bare node:http', 'bench/bare-http-server.ts', { PORT: String(barePort), ANSWER: 'collector' }, barePort);
  const minimalPort = await freePort();
  const minimal = spawnNode('bare node:http, minimal answer', 'bench/bare-http-server.ts', { PORT: String(minimalPort), ANSWER: 'minimal' }, minimalPort);
  const port = await freePort();
  const collector = spawnNode(
    'collector',
    'functions/collector/node.ts',
    { KAFKA_BROKERS: brokers, KAFKA_TOPIC: 'bench-collector', KAFKA_TOPIC_PARTITIONS: String(config.partitions), PORT: String(port) },
    port,
  );
  const rss = watchRss(collector.pid);
  try {
    await Promise.all([bare.waitFor('/healthz'), minimal.waitFor('/healthz'), collector.waitFor('/readyz')]);
    await hammer(bare.url, 'ceiling (bare node:http) warm-up', connections, warmupSeconds);
    await hammer(collector.url, 'collector warm-up', connections, warmupSeconds);
    await hammer(minimal.url, 'bare node:http, minimal answer, warm-up', connections, warmupSeconds);
    const before = await scrapeMetrics(collector.url);
    type Rounds = (LoadResult & { seconds: number })[];
    type Windows = { use: CpuUse; seconds: number }[];
    const measured = { ceiling: [] as Rounds, collector: [] as Rounds, minimal: [] as Rounds };
    const cpuWindows = { ceiling: [] as Windows, collector: [] as Windows, minimal: [] as Windows };
    for (let round = 1; round <= rounds; round++) {
      for (const [side, child, label, targets] of [
        ['ceiling', bare, 'ceiling (bare node:http)', { server: { pid: bare.pid }, 'its main thread': { pid: bare.pid, mainThread: true } }],
        [
          'collector',
          collector,
          'collector',
          { collector: { pid: collector.pid }, 'its main thread': { pid: collector.pid, mainThread: true }, kafka: { pid: kafkaPid } },
        ],
        ['minimal', minimal, 'bare node:http, minimal answer', { server: { pid: minimal.pid } }],
      ] as const) {
        const cpu = meterCpu(targets);
        const t0 = performance.now();
        const result = await hammer(child.url, `${label}, round ${round}/${rounds}`, connections, roundSeconds);
        const seconds = (performance.now() - t0) / 1000;
        cpuWindows[side].push({ use: cpu.stop(), seconds });
        measured[side].push({ ...result, seconds: roundSeconds });
      }
    }
    const metrics = metricsDelta(before, await scrapeMetrics(collector.url));
    const result = combineRounds(measured.collector);
    const ceiling = combineRounds(measured.ceiling);
    const minimalAnswerCeiling = combineRounds(measured.minimal);
    const collectorCpu = combineCpu(cpuWindows.collector);
    const ceilingCpu = combineCpu(cpuWindows.ceiling);
    const seconds = rounds * roundSeconds;
    say(
      `collector ${int(result.acceptedPerSec)}/s against bare node:http ${int(ceiling.acceptedPerSec)}/s ` +
        `(minimal answer: ${int(minimalAnswerCeiling.acceptedPerSec)}/s) over ${rounds} rounds`,
    );
    return {
      collector: result,
      ceiling,
      minimalAnswerCeiling,
      collectorRssMB: rss.stop(),
      produceAckMeanMs: histogramMean(metrics, 'clickstream_produce_seconds', 1000),
      cpuMsPerEvent: cpuMsPer(collectorCpu.collector!, seconds, result.accepted),
      ceilingCpuMsPerRequest: cpuMsPer(ceilingCpu.server!, seconds, ceiling.accepted),
      cpu: { collector: collectorCpu, ceiling: ceilingCpu, minimalAnswerCeiling: combineCpu(cpuWindows.minimal) },
      roundRatios: ratiosByRound(measured.collector, measured.ceiling),
    };
  } finally {
    rss.stop();
    await Promise.all([collector.stop(), bare.stop(), minimal.stop()]);
  }
}
