import { DEFAULT_CONSUMER_MAX_BATCH, DEFAULT_TOPIC_PARTITIONS } from '../shared/config.ts';
/** What one run measures, and how much of it: `--quick` for CI, the full sizes otherwise. */
export const STAGES = ['collector', 'broker', 'sink', 'e2e'] as const;
export type Stage = (typeof STAGES)[number];
export const POSTGRES_MODES = ['durable', 'fast'] as const;
export type PostgresMode = (typeof POSTGRES_MODES)[number];

export interface BenchConfig {
  readonly quick: boolean;
  /** Stages to run; all unless --only names some (the report is then partial.*, not latest.*). */
  readonly stages: readonly Stage[];
  /** Partitions of every bench topic: the collector's default (KAFKA_TOPIC_PARTITIONS). */
  readonly partitions: number;
  /**
   * durable: Postgres's own defaults (fsync, synchronous_commit, full_page_writes on), as the
   * pipeline must run to lose nothing once offsets are committed. fast: all three off, as in the tests.
   */
  readonly postgres: PostgresMode;
  readonly collector: {
    readonly connections: number;
    readonly warmupSeconds: number;
    /** Measured rounds, each one run of the ceiling then one of the collector. */
    readonly rounds: number;
    readonly roundSeconds: number;
  };
  readonly broker: {
    readonly records: number;
    /** Seconds of collector-like small produce requests that warm the broker before any stage (bench/small-request-warm-up.ts). */
    readonly smallRequestWarmUpSeconds: number;
  };
  readonly sink: {
    /** Events pre-filled on the topic and drained by the consumer. */
    readonly events: number;
    /** The row-per-message floor drains only this slice of the same topic. */
    readonly floorEvents: number;
    /** CONSUMER_MAX_BATCH for the consumer child (and the floor's batch size). */
    readonly consumerMaxBatch: number;
  };
  readonly e2e: { readonly ratePerSecond: number; readonly durationSeconds: number };
}

export const TARGETS = {
  /** collector events/s >= this fraction of the bare node:http ceiling. */
  collectorVsCeiling: 0.5,
  /** consumer rows/s >= this fraction of COPY. */
  sinkVsCopy: 0.5,
  /** consumer rows/s >= this multiple of the row-per-message floor. */
  sinkVsFloor: 30,
  /** end-to-end p99 at the steady rate. */
  e2eP99Ms: 250,
  consumerRssMB: 256,
} as const;

export function parseArgs(argv: readonly string[]): BenchConfig {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const text = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const value = (name: string): number | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  for (const flag of flags) {
    const name = flag.slice(2).split('=')[0]!;
    if (!['quick', 'batch', 'partitions', 'connections', 'only', 'postgres', 'help'].includes(name)) throw new Error(`unknown option ${flag} (try --help)`);
  }
  const only = text('only')?.split(',').map((s) => s.trim());
  for (const name of only ?? []) {
    if (!(STAGES as readonly string[]).includes(name)) throw new Error(`--only: unknown stage ${name} (stages: ${STAGES.join(', ')})`);
  }
  const stages = only ? STAGES.filter((s) => only.includes(s)) : [...STAGES];
  const postgresFlag = text('postgres') ?? 'durable';
  const postgres = POSTGRES_MODES.find((mode) => mode === postgresFlag);
  if (!postgres) throw new Error(`--postgres: ${postgresFlag} is not one of ${POSTGRES_MODES.join(', ')}`);
  if (flags.has('--help')) {
    process.stdout.write(
      'npm run bench [-- --quick] [-- --batch=N]\n' +
        '  --quick    small sizes (CI): about 2-3 minutes including broker start\n' +
        '  --batch=N  CONSUMER_MAX_BATCH for the consumer under test (default: the app\'s)\n' +
        '  --partitions=N  partitions of the bench topics (default: the app\'s, KAFKA_TOPIC_PARTITIONS)\n' +
        '  --connections=N  autocannon connections for the collector and its ceiling (default 64)\n' +
        `  --only=a,b run only these stages (${STAGES.join(', ')}); writes bench/results/partial.*\n` +
        '  --postgres=fast  Postgres with fsync, synchronous_commit and full_page_writes off, as in the tests (default: durable)\n',
    );
    process.exit(0);
  }
  const quick = flags.has('--quick');
  const consumerMaxBatch = value('batch') ?? DEFAULT_CONSUMER_MAX_BATCH;
  const partitions = value('partitions') ?? DEFAULT_TOPIC_PARTITIONS;
  const connections = value('connections') ?? 64;
  return quick
    ? {
        quick,
        stages,
        partitions,
        postgres,
        collector: { connections, warmupSeconds: 1, rounds: 1, roundSeconds: 3 },
        broker: { records: 200_000, smallRequestWarmUpSeconds: 10 },
        sink: { events: 50_000, floorEvents: 3_000, consumerMaxBatch },
        e2e: { ratePerSecond: 2000, durationSeconds: 5 },
      }
    : {
        quick,
        stages,
        partitions,
        postgres,
        collector: { connections, warmupSeconds: 8, rounds: 8, roundSeconds: 3 },
        broker: { records: 1_000_000, smallRequestWarmUpSeconds: 45 },
        sink: { events: 1_000_000, floorEvents: 20_000, consumerMaxBatch },
        e2e: { ratePerSecond: 2000, durationSeconds: 20 },
      };
}

/** The command that reproduces a run of this config: `npm run bench` and the flags that differ from their defaults. */
export function benchCommand(config: BenchConfig): string {
  const defaults = parseArgs(config.quick ? ['--quick'] : []);
  const flags = [
    config.quick ? '--quick' : '',
    config.stages.length < STAGES.length ? `--only=${config.stages.join(',')}` : '',
    config.sink.consumerMaxBatch !== defaults.sink.consumerMaxBatch ? `--batch=${config.sink.consumerMaxBatch}` : '',
    config.partitions !== defaults.partitions ? `--partitions=${config.partitions}` : '',
    config.collector.connections !== defaults.collector.connections ? `--connections=${config.collector.connections}` : '',
    config.postgres !== defaults.postgres ? `--postgres=${config.postgres}` : '',
  ].filter((flag) => flag !== '');
  return flags.length > 0 ? `npm run bench -- ${flags.join(' ')}` : 'npm run bench';
}
