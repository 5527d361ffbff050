import { cpus, totalmem } from 'node:os';
import type { BrokerResult } from './broker.ts';
import type { CollectorResult } from './collector.ts';
import { type BenchConfig, benchCommand, TARGETS } from './config.ts';
import type { E2eResult } from './e2e.ts';
import { machineLoad } from './rss.ts';
import type { SinkResult } from './sink.ts';
import { ratio } from './stats.ts';
import type { SmallRequestWarmUp } from './small-request-warm-up.ts';

export interface Measured {
  warmUp?: SmallRequestWarmUp;
  collector?: CollectorResult;
  broker?: BrokerResult;
  sink?: SinkResult;
  e2e?: E2eResult;
  /** Stages that crashed: the run then exits non-zero, after writing what it has. */
  failures: { stage: string; message: string }[];
}

export interface TargetCheck {
  readonly name: string;
  readonly measured: string;
  readonly target: string;
  /** measured / reference (or the reverse for upper bounds): >= 1 meets the target. */
  readonly score: number | null;
  readonly pass: boolean | null;
  /** Why it misses although the score alone would pass. */
  readonly note?: string;
}

export function machineInfo() {
  return {
    cores: cpus().length,
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    platform: `${process.platform} ${process.arch}`,
    loadAvg1: machineLoad().loadAvg1,
  };
}

const num = (n: number | undefined | null): number | null => (n === undefined || n === null || Number.isNaN(n) ? null : n);
/** A ratio to two decimals, cut rather than rounded: 0.499 shows as 0.49, never as a 0.50 that missed its target. */
const cut2 = (r: number): string => (Math.floor(r * 100 + 1e-9) / 100).toFixed(2);
export const times = (r: number): string => `${cut2(r)} x`;
const timesOrNa = (r: number | null): string => (r === null ? 'n/a' : times(r));

export function buildReport(options: {
  config: BenchConfig;
  startedAt: string;
  machineAtStart: ReturnType<typeof machineInfo>;
  measured: Measured;
}) {
  const { config, measured } = options;
  const { collector, broker, sink, e2e } = measured;
  const collectorRss = Math.max(collector?.collectorRssMB ?? 0, e2e?.collectorRssMB ?? 0) || null;
  const consumerRss = Math.max(sink?.consumerRssMB ?? 0, e2e?.consumerRssMB ?? 0) || null;
  const report = {
    startedAt: options.startedAt,
    finishedAt: new Date().toISOString(),
    quick: config.quick,
    command: benchCommand(config),
    machine: { ...options.machineAtStart, loadAvg1AtStart: options.machineAtStart.loadAvg1, loadAvg1AtEnd: machineLoad().loadAvg1 },
    config,
    collector: {
      eventsPerSec: num(collector?.collector.acceptedPerSec),
      p50Ms: num(collector?.collector.p50Ms),
      p99Ms: num(collector?.collector.p99Ms),
      ceilingPerSec: num(collector?.ceiling.acceptedPerSec),
      ceilingP50Ms: num(collector?.ceiling.p50Ms),
      ceilingP99Ms: num(collector?.ceiling.p99Ms),
      ratioToCeiling: ratio(num(collector?.collector.acceptedPerSec), num(collector?.ceiling.acceptedPerSec)),
      /** Bare node:http answering with a content type and a short body only, as the ceiling did until 2026-12-06. */
      minimalAnswerCeilingPerSec: num(collector?.minimalAnswerCeiling.acceptedPerSec),
      ratioToMinimalAnswerCeiling: ratio(num(collector?.collector.acceptedPerSec), num(collector?.minimalAnswerCeiling.acceptedPerSec)),
      /** The same ratio round by round (the one above pools the rounds). */
      roundRatios: collector?.roundRatios ?? null,
      produceAckMeanMs: num(collector?.produceAckMeanMs),
      cpuMsPerEvent: num(collector?.cpuMsPerEvent),
      ceilingCpuMsPerRequest: num(collector?.ceilingCpuMsPerRequest),
      run: collector?.collector ?? null,
      ceilingRun: collector?.ceiling ?? null,
      cpuCores: collector?.cpu ?? null,
    },
    /** The collector-like warm-up before the stages: Kafka's CPU per message falls as its JIT compiles. */
    warmUp: measured.warmUp ?? null,
    broker: {
      ceilingPerSec: num(broker?.ceiling.recordsPerSec),
      mbPerSec: num(broker?.ceiling.mbPerSec),
      p50Ms: num(broker?.ceiling.p50Ms),
      p99Ms: num(broker?.ceiling.p99Ms),
      recordBytes: num(broker?.recordBytes),
      randomPayloadPerSec: num(broker?.randomPayload.recordsPerSec),
      records: num(broker?.ceiling.records),
      producerProps: broker?.producerProps ?? null,
      cpuCores: broker?.cpu ?? null,
    },
    sink: {
      rowsPerSec: num(sink?.consumer.rowsPerSec),
      copyRowsPerSec: num(sink?.copy.rowsPerSec),
      rowPerMessageRowsPerSec: num(sink?.floor.rowsPerSec),
      /** Each reference's run before the consumer and its run after it; the rates above are over both. */
      copyRunsPerSec: sink?.copy.runsPerSec ?? null,
      rowPerMessageRunsPerSec: sink?.floor.runsPerSec ?? null,
      ratioToCopy: ratio(num(sink?.consumer.rowsPerSec), num(sink?.copy.rowsPerSec)),
      ratioToFloor: ratio(num(sink?.consumer.rowsPerSec), num(sink?.floor.rowsPerSec)),
      rows: num(sink?.consumer.rows),
      complete: sink?.consumer.complete ?? null,
      consumerMaxBatch: config.sink.consumerMaxBatch,
      meanBatch: num(sink?.consumer.meanBatch),
      meanInsertMs: num(sink?.consumer.meanInsertMs),
      consumerCpuMsPerRow: num(sink?.consumer.consumerCpuMsPerRow),
      postgresCpuMsPerRow: num(sink?.consumer.postgresCpuMsPerRow),
      copyPostgresCpuMsPerRow: num(sink?.copy.postgresCpuMsPerRow),
      floorConsumerCpuMsPerRow: num(sink?.floor.consumerCpuMsPerRow),
      floorPostgresCpuMsPerRow: num(sink?.floor.postgresCpuMsPerRow),
      floorCpuCores: sink?.floor.cpu ?? null,
      consumerHeapUsedMB: num(sink?.consumer.heapUsedMB),
      consumerExternalMB: num(sink?.consumer.externalMB),
      copyCpuCores: sink?.copy.cpu ?? null,
      consumerStartupSeconds: num(sink?.consumer.startupSeconds),
      prefillPerSec: num(sink?.prefill.perSec),
      floorRows: num(sink?.floor.rows),
      floorComplete: sink?.floor.complete ?? null,
      cpuCores: sink?.consumer.cpu ?? null,
    },
    e2e: {
      ...e2e,
      p50Ms: num(e2e?.p50Ms),
      p99Ms: num(e2e?.p99Ms),
      maxMs: num(e2e?.maxMs),
      method:
        "client eventId per cart; 202 arrival at the client -> commit time of the transaction that inserted the cart's row (pg_xact_commit_timestamp(xmin), track_commit_timestamp=on), read after the run: nothing polls while carts flow.",
    },
    rss: { collectorMB: collectorRss && Math.round(collectorRss), consumerMB: consumerRss && Math.round(consumerRss) },
    targets: [] as TargetCheck[],
    failures: measured.failures,
  };

  const check = (name: string, measuredText: string, targetText: string, score: number | null, blocker?: string): TargetCheck => ({
    name,
    measured: measuredText,
    target: targetText,
    score: score === null ? null : Math.round(score * 100) / 100,
    pass: score === null ? null : score >= 1 && !blocker,
    ...(blocker ? { note: blocker } : {}),
  });
  const c = report.collector;
  const s = report.sink;
  const e = report.e2e;
  const e2eOk = e2e ? e2e.rateHeld && e2e.missing === 0 : false;
  report.targets = [
    check('collector vs bare node:http', timesOrNa(c.ratioToCeiling), `>= ${TARGETS.collectorVsCeiling} x`, c.ratioToCeiling === null ? null : c.ratioToCeiling / TARGETS.collectorVsCeiling),
    check('consumer vs COPY', timesOrNa(s.ratioToCopy), `>= ${TARGETS.sinkVsCopy} x`, s.ratioToCopy === null ? null : s.ratioToCopy / TARGETS.sinkVsCopy),
    check('consumer vs row-per-message', timesOrNa(s.ratioToFloor), `>= ${TARGETS.sinkVsFloor} x`, s.ratioToFloor === null ? null : s.ratioToFloor / TARGETS.sinkVsFloor),
    check(
      `e2e p99 at ${config.e2e.ratePerSecond}/s`,
      e.p99Ms === null ? 'n/a' : `${e.p99Ms} ms${e2e && !e2eOk ? ` (only ${e2e.acceptedPerSec}/s held)` : ''}`,
      `<= ${TARGETS.e2eP99Ms} ms`,
      e.p99Ms === null ? null : TARGETS.e2eP99Ms / Math.max(e.p99Ms, 0.1),
      e2e && !e2e.rateHeld ? `rate not held: ${e2e.acceptedPerSec}/s` : e2e && e2e.missing > 0 ? `${e2e.missing} rows missing` : undefined,
    ),
    check(
      'consumer peak RSS',
      report.rss.consumerMB === null ? 'n/a' : `${report.rss.consumerMB} MB`,
      `<= ${TARGETS.consumerRssMB} MB`,
      report.rss.consumerMB === null ? null : TARGETS.consumerRssMB / report.rss.consumerMB,
    ),
  ];
  return report;
}

export type BenchReport = ReturnType<typeof buildReport>;

const fmt = (n: number | null | undefined, unit = ''): string =>
  n === null || n === undefined ? 'n/a' : `${Math.round(n).toLocaleString('en-US')}${unit}`;
/** A reference's runs on either side of the consumer: `12,000 before, 14,000 after`. */
const beforeAfter = (runs: readonly number[]): string => `${fmt(runs[0])} before, ${fmt(runs[1])} after`;
const ms = (n: number | null | undefined): string => (n === null || n === undefined ? 'n/a' : `${n} ms`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The measurements and the pass/miss table as Markdown, for the terminal and the README alike. */
export function formatReport(report: BenchReport): string {
  const r = report;
  const measurements = table([
    ['stage', 'measured', 'reference (same run)', 'ratio'],
    [
      'collector POST /api/cart',
      `${fmt(r.collector.eventsPerSec)} events/s, p50 ${ms(r.collector.p50Ms)}, p99 ${ms(r.collector.p99Ms)}`,
      `bare node:http ${fmt(r.collector.ceilingPerSec)}/s (p50 ${ms(r.collector.ceilingP50Ms)}, p99 ${ms(r.collector.ceilingP99Ms)}); ` +
        `with a minimal answer ${fmt(r.collector.minimalAnswerCeilingPerSec)}/s`,
      `${timesOrNa(r.collector.ratioToCeiling)} (${timesOrNa(r.collector.ratioToMinimalAnswerCeiling)})`,
    ],
    [
      'broker (ProducerPerformance)',
      `${fmt(r.broker.ceilingPerSec)} records/s of ${fmt(r.broker.recordBytes)} B, p50 ${ms(r.broker.p50Ms)}, p99 ${ms(r.broker.p99Ms)}`,
      `random ${fmt(r.broker.recordBytes)} B payload: ${fmt(r.broker.randomPayloadPerSec)}/s`,
      r.collector.eventsPerSec && r.broker.ceilingPerSec ? `collector ${(r.collector.eventsPerSec / r.broker.ceilingPerSec).toFixed(2)} x` : 'n/a',
    ],
    [
      'sink consumer (COPY per batch)',
      `${fmt(r.sink.rowsPerSec)} rows/s (${fmt(r.sink.rows)} rows, mean batch ${fmt(r.sink.meanBatch)})`,
      `COPY ${fmt(r.sink.copyRowsPerSec)} rows/s${r.sink.copyRunsPerSec ? ` (${beforeAfter(r.sink.copyRunsPerSec)})` : ''}`,
      timesOrNa(r.sink.ratioToCopy),
    ],
    [
      'sink floor (row per message)',
      `${fmt(r.sink.rowPerMessageRowsPerSec)} rows/s (${fmt(r.sink.floorRows)} rows${r.sink.rowPerMessageRunsPerSec ? `; ${beforeAfter(r.sink.rowPerMessageRunsPerSec)}` : ''})`,
      `consumer ${fmt(r.sink.rowsPerSec)} rows/s`,
      r.sink.ratioToFloor === null ? 'n/a' : `consumer ${r.sink.ratioToFloor.toFixed(1)} x`,
    ],
    [
      `end to end at ${fmt(r.config.e2e.ratePerSecond)}/s`,
      `202 -> row committed p50 ${ms(r.e2e.p50Ms)}, p99 ${ms(r.e2e.p99Ms)}`,
      `max ${ms(r.e2e.maxMs)}; collector's 202 p99 ${ms(r.e2e.collectorP99Ms)}`,
      '',
    ],
    [
      'peak RSS',
      `collector ${fmt(r.rss.collectorMB, ' MB')}, consumer ${fmt(r.rss.consumerMB, ' MB')}`,
      `consumer's peak JS heap ${fmt(r.sink.consumerHeapUsedMB, ' MB')}, Buffers ${fmt(r.sink.consumerExternalMB, ' MB')}`,
      '',
    ],
  ]);
  const targets = table([
    ['target', 'measured', 'target', 'result'],
    ...r.targets.map((t) => [t.name, t.measured, t.target, t.pass === null ? 'n/a' : t.pass ? 'pass' : 'MISS']),
  ]);
  const m = r.machine;
  const header = `${m.cores} cores (${m.cpuModel}), ${m.memoryGB} GB, Node ${m.node}, load average ${m.loadAvg1AtStart} at start / ${m.loadAvg1AtEnd} at end; Postgres ${r.config.postgres === 'fast' ? 'fast (fsync, synchronous_commit, full_page_writes off)' : 'durable (its defaults)'}${r.quick ? ', --quick sizes' : ''}`;
  const cpuMs = (n: number | null) => (n === null ? 'n/a' : `${n.toFixed(3)} ms`);
  const cores = (use: Record<string, number> | null | undefined) =>
    use ? Object.entries(use).map(([name, n]) => `${name} ${n.toFixed(2)}`).join(', ') : 'n/a';
  const rounds = r.collector.roundRatios;
  const cpu = [
    ...(rounds?.length ? [`Collector against bare node:http round by round: ${rounds.map((n) => (n === null ? 'n/a' : cut2(n))).join(', ')} x (the table pools them)`] : []),
    'CPU per item (steadier than rates on a shared machine):',
    `  collector ${cpuMs(r.collector.cpuMsPerEvent)}/event vs bare node:http ${cpuMs(r.collector.ceilingCpuMsPerRequest)}/request`,
    `  consumer ${cpuMs(r.sink.consumerCpuMsPerRow)}/row + Postgres ${cpuMs(r.sink.postgresCpuMsPerRow)}/row;` +
      ` COPY: Postgres ${cpuMs(r.sink.copyPostgresCpuMsPerRow)}/row;` +
      ` row per message: consumer ${cpuMs(r.sink.floorConsumerCpuMsPerRow)}/row + Postgres ${cpuMs(r.sink.floorPostgresCpuMsPerRow)}/row`,
    `Cores busy (of ${m.cores}; "machine" counts every process on the box, neighbours included):`,
    `  collector run: ${cores(r.collector.cpuCores?.collector)}`,
    `  bare node:http run: ${cores(r.collector.cpuCores?.ceiling)}`,
    `  bare node:http, minimal answer, run: ${cores(r.collector.cpuCores?.minimalAnswerCeiling)}`,
    `  ProducerPerformance: ${cores(r.broker.cpuCores)}`,
    `  consumer drain: ${cores(r.sink.cpuCores)}`,
    `  COPY: ${cores(r.sink.copyCpuCores)}`,
    `  row per message: ${cores(r.sink.floorCpuCores)}`,
    `  end to end: ${cores(r.e2e.cpu)}`,
    `Mean insert ${r.sink.meanInsertMs === null ? 'n/a' : `${r.sink.meanInsertMs.toFixed(0)} ms`} for a mean batch of ${fmt(r.sink.meanBatch)} rows; ` +
      `collector's mean wait for acks=all ${r.collector.produceAckMeanMs === null ? 'n/a' : `${r.collector.produceAckMeanMs.toFixed(1)} ms`}.`,
  ].join('\n');
  const failures = r.failures.map((f) => `CRASHED ${f.stage}: ${f.message}`).join('\n');
  return `${header}\n\n${measurements}\n\n${targets}\n\n${cpu}\n${failures ? `\n${failures}\n` : ''}`;
}
