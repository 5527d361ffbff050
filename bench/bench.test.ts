import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { launchOf } from '../scripts/npm-launch.ts';
import { cartEventSchema, cartRequestSchema } from '../shared/cart-event.ts';
import { fastCartEventFromText } from '../shared/cart-text-fast-path.ts';
import { mergeBracket, rowsWeighted } from './bracket.ts';
import { parseSummary } from './broker.ts';
import { combineRounds, ratiosByRound } from './collector.ts';
import { benchCommand, parseArgs } from './config.ts';
import { cartEventFor, cartRequestFor } from './events.ts';
import { buildReport, formatReport, machineInfo, times } from './report.ts';
import { meterCpu, othersShare, runQueueSecondsOf, waitingName } from './rss.ts';
import { percentile } from './stats.ts';

describe('bench helpers', () => {
  it('runs the consumer as npm run consume does, which compose.yaml does too', () => {
    const { env, nodeFlags } = launchOf('consume');
    expect(nodeFlags.some((f) => f.startsWith('--max-old-space-size='))).toBe(true);
    expect(env).toEqual({ MALLOC_ARENA_MAX: '2' });
    const compose = parseYaml(readFileSync('compose.yaml', 'utf8')) as {
      services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
    };
    const consumer = compose.services.consumer!;
    expect(consumer.command!.slice(0, 1 + nodeFlags.length)).toEqual(['node', ...nodeFlags]);
    expect(consumer.environment).toMatchObject(env);
    expect(launchOf('start')).toEqual({ env: {}, nodeFlags: [] });
  });

  it('makes valid, distinct, repeatable carts', () => {
    const base = Date.parse('2026-01-02T03:04:05.678Z');
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const event = cartEventFor(42, i, base);
      expect(cartEventSchema.safeParse(event).success).toBe(true);
      // Written as the collector writes its carts, so the consumer decodes them as it does the collector's.
      expect(fastCartEventFromText(JSON.stringify(event))).toStrictEqual(event);
      expect(cartRequestSchema.safeParse(cartRequestFor(i)).success).toBe(true);
      ids.add(event.eventId);
    }
    expect(ids.size).toBe(2000);
    expect(cartEventFor(42, 7, base)).toEqual(cartEventFor(42, 7, base));
    expect(cartEventFor(43, 7, base).eventId).not.toBe(cartEventFor(42, 7, base).eventId);
  });

  it("reads ProducerPerformance's closing line, not its periodic ones", () => {
    expect(
      parseSummary(
        '1000000 records sent, 180000.5 records/sec (39.67 MB/sec), 150.23 ms avg latency, 600.00 ms max latency, 140 ms 50th, 300 ms 95th, 400 ms 99th, 500 ms 99.9th.',
      ),
    ).toEqual({ records: 1_000_000, recordsPerSec: 180_001, mbPerSec: 39.67, avgLatencyMs: 150.23, p50Ms: 140, p99Ms: 400 });
    expect(parseSummary('77457 records sent, 15395.9 records/sec (3.31 MB/sec), 133.0 ms avg latency, 411.0 ms max latency.')).toBeUndefined();
  });

  it("meters a process's main thread, a part of the process and not a neighbour", () => {
    const cpu = meterCpu({ self: { pid: process.pid }, 'its main thread': { pid: process.pid, mainThread: true } });
    const until = performance.now() + 600;
    while (performance.now() < until); // busy on this thread alone
    const use = cpu.stop();
    expect(use['its main thread']).toBeGreaterThan(0.5);
    expect(use['its main thread']).toBeLessThanOrEqual(use.self! + 0.02);
    // Busy plus waiting for a core cannot exceed the time that passed.
    expect(use[waitingName('its main thread')]).toBeGreaterThanOrEqual(0);
    expect(use['its main thread']! + use[waitingName('its main thread')]!).toBeLessThanOrEqual(1.05);
    expect(use[waitingName('self')]).toBeUndefined();
    const targets = { collector: { pid: 1 }, 'its main thread': { pid: 1, mainThread: true } };
    expect(othersShare({ bench: 0.1, collector: 0.9, 'its main thread': 0.8 }, 1.5, targets)).toBe(0.5);
  });

  it('reads how long a main thread waited for a core: two thirds of the time for three busy processes on one core', async () => {
    const { spawn } = await import('node:child_process');
    const spin = 'const t = Date.now() + 5000; while (Date.now() < t);';
    const t0 = performance.now();
    const pinned = [0, 1, 2].map(() => spawn('taskset', ['-c', '0', process.execPath, '-e', spin]));
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Each ran about 0.5 s and waited about 1 s: a reading of the time run instead would fail here.
      const waited = pinned.map((child) => runQueueSecondsOf(child.pid!)!);
      const elapsed = (performance.now() - t0) / 1000;
      for (const seconds of waited) expect(seconds).toBeGreaterThan(0.7);
      for (const seconds of waited) expect(seconds).toBeLessThan(elapsed);
    } finally {
      for (const child of pinned) child.kill('SIGKILL');
    }
    expect(runQueueSecondsOf(process.pid)).toBeGreaterThanOrEqual(0);
    expect(runQueueSecondsOf(2 ** 30)).toBeUndefined();
  });

  it('takes nearest-rank percentiles', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });

  it('parses flags', () => {
    expect(parseArgs(['--quick']).sink.events).toBe(50_000);
    expect(parseArgs([]).sink.events).toBe(1_000_000);
    expect(parseArgs(['--batch=5000']).sink.consumerMaxBatch).toBe(5000);
    expect(parseArgs(['--only=sink,e2e']).stages).toEqual(['sink', 'e2e']);
    expect(parseArgs([]).collector.connections).toBe(64);
    expect(parseArgs(['--connections=128', '--quick']).collector).toMatchObject({ connections: 128, rounds: 1 });
    expect(() => parseArgs(['--connections=0'])).toThrow(/positive/);
    expect(() => parseArgs(['--only=nope'])).toThrow(/unknown stage/);
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option/);
    expect(parseArgs([]).postgres).toBe('durable');
    expect(parseArgs(['--postgres=fast', '--quick']).postgres).toBe('fast');
    expect(() => parseArgs(['--postgres=off'])).toThrow(/--postgres: off is not one of durable, fast/);
  });

  it('names the command that reproduces a run: the flags that differ from their defaults', () => {
    expect(benchCommand(parseArgs([]))).toBe('npm run bench');
    expect(benchCommand(parseArgs(['--quick']))).toBe('npm run bench -- --quick');
    const argv = ['--only=sink,e2e', '--batch=4000', '--partitions=3', '--connections=128', '--postgres=fast'];
    expect(benchCommand(parseArgs(argv))).toBe(`npm run bench -- ${argv.join(' ')}`);
    expect(benchCommand(parseArgs(['--batch=2000', '--connections=64', '--postgres=durable']))).toBe('npm run bench');
  });

  it('refuses a wrong flag with one line naming it and exit code 2, before starting anything', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--postgres=off'], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('npm run bench: --postgres: off is not one of durable, fast\n');
    expect(run.stdout).toBe('');
  });

  it('combines rounds: rate over all of them, the middle p50, the worst p99, statuses summed', () => {
    const round = (accepted: number, p50Ms: number, p99Ms: number, other: Record<string, number> = {}) => ({
      acceptedPerSec: accepted / 3, p50Ms, p99Ms, requests: accepted, accepted, otherStatuses: other, errors: 0, timeouts: 0, seconds: 3,
    });
    const combined = combineRounds([round(30_000, 5, 20), round(12_000, 9, 41, { '503': 2 }), round(21_000, 7, 30, { '503': 1 })]);
    expect(combined).toMatchObject({ acceptedPerSec: 7000, accepted: 63_000, p50Ms: 7, p99Ms: 41, otherStatuses: { '503': 3 } });
  });

  it('shows a ratio cut to two decimals, so a missed target never reads as met', () => {
    expect(times(0.499)).toBe('0.49 x');
    expect(times(0.5)).toBe('0.50 x');
    expect(times(0.58)).toBe('0.58 x');
    expect(times(35.47)).toBe('35.47 x');
  });

  it('gives the ratio of each pair of rounds, the pooled one aside', () => {
    const round = (accepted: number) => ({ acceptedPerSec: accepted / 3, p50Ms: 1, p99Ms: 2, requests: accepted, accepted, otherStatuses: {}, errors: 0, timeouts: 0 });
    const collector = [round(15_000), round(9_000), round(12_000)];
    const ceiling = [round(30_000), round(20_000), round(0)];
    // Pooled, the first two would be 24,000 / 50,000 = 0.48; round by round they are 0.5 and 0.45.
    expect(ratiosByRound(collector, ceiling)).toEqual([0.5, 0.45, null]);
  });

  it('merges a reference run before the consumer and one after: rate over both, cores weighted by seconds', () => {
    // A drain's rate leaves out the rows of its first poll: 1,200 rows, 1,000 of them timed.
    const before = { rowsPerSec: 1000, rows: 1200, seconds: 1, cpu: { postgres: 1.0, machine: 1.2 }, cpuMsPerRow: 0.01 };
    const after = { rowsPerSec: 200, rows: 700, seconds: 3, cpu: { postgres: 0.6, machine: 1.6 }, cpuMsPerRow: 0.03 };
    expect(mergeBracket(before, after)).toEqual({ rows: 1900, seconds: 4, rowsPerSec: 400, cpu: { postgres: 0.7, machine: 1.5 } });
    expect(rowsWeighted({ ...before, rows: 600 }, { ...after, rows: 200 }, (run) => run.cpuMsPerRow)).toBe(0.015);
    expect(rowsWeighted(before, after, (run) => (run === after ? undefined : run.cpuMsPerRow))).toBeUndefined();
  });

  it('reports n/a, not a pass, for stages that did not run', () => {
    const report = buildReport({
      config: parseArgs(['--quick', '--only=sink']),
      startedAt: new Date().toISOString(),
      machineAtStart: machineInfo(),
      measured: { failures: [] },
    });
    expect(report.targets.every((t) => t.pass === null)).toBe(true);
    expect(report.collector.eventsPerSec).toBeNull();
    expect(formatReport(report)).toContain('| collector vs bare node:http | n/a');
  });
});
