/**
 * `deno task dev`: the collector, consumer, shop and stats as four Deno processes, given KAFKA_BROKERS
 * and DATABASE_URL (start them with `npm run broker:start` and any Postgres). Applies the migrations,
 * then serves the shop (page and dashboard), the collector and the stats behind one origin on PORT
 * (default 3000), as a deployment's router would; the consumer's health is on CONSUMER_PORT (default
 * 3001). Ctrl-C stops all four.
 */
import { openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { onStopSignals } from './stop-signals.ts';

// Just the slice of Deno's API used here, so that tsc (which has no Deno types) can check this file.
interface ChildProcess {
  readonly status: Promise<{ code: number; signal: string | null }>;
  kill(signal?: 'SIGTERM' | 'SIGKILL'): void;
}
declare const Deno: {
  env: { toObject(): Record<string, string> };
  execPath(): string;
  exit(code: number): never;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  Command: new (
    command: string,
    options: { args: string[]; env: Record<string, string>; stdout: 'inherit'; stderr: 'inherit' },
  ) => { spawn(): ChildProcess };
  serve(
    options: { port: number; hostname?: string; onListen?: () => void },
    handler: (request: Request) => Promise<Response>,
  ): { shutdown(): Promise<void> };
};

const env = Deno.env.toObject();
const missing = ['KAFKA_BROKERS', 'DATABASE_URL'].filter((name) => !env[name]);
if (missing.length > 0) {
  console.error(
    `deno task dev needs ${missing.join(' and ')}, e.g.\n` +
      '  KAFKA_BROKERS=127.0.0.1:9092 DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/clickstream deno task dev\n' +
      '(`npm run broker:start` runs a broker on 127.0.0.1:9092; `npm run dev` starts everything on Node instead.)',
  );
  Deno.exit(2);
}

const port = Number(env.PORT || 3000);
const collectorPort = port + 2;
const shopPort = port + 3;
const statsPort = port + 4;
const consumerPort = Number(env.CONSUMER_PORT || 3001);

const migrations = openDatabase(env.DATABASE_URL!, { poolSize: 1 });
await migrateDatabase(migrations.db);
await migrations.close();

const children = new Map<string, ChildProcess>();
function start(name: string, entry: string, extra: Record<string, string>): void {
  const child = new Deno.Command(Deno.execPath(), {
    args: ['run', '-A', entry],
    env: { ...env, ...extra },
    stdout: 'inherit',
    stderr: 'inherit',
  }).spawn();
  children.set(name, child);
  void child.status.then(({ code }) => {
    if (!stopping) {
      console.error(`${name} exited with code ${code}; stopping the others`);
      void stopAll(1);
    }
  });
}

start('collector', 'functions/collector/deno.ts', { PORT: String(collectorPort) });
start('consumer', 'functions/consumer/deno.ts', { CONSUMER_PORT: String(consumerPort) });
start('shop', 'functions/shop/deno.ts', { PORT: String(shopPort) });
start('stats', 'functions/stats/deno.ts', {
  STATS_PORT: String(statsPort),
  STATS_METRICS_URLS: `collector=http://127.0.0.1:${collectorPort}/metrics,consumer=http://127.0.0.1:${consumerPort}/metrics`,
});

// One origin for the pages and their APIs: /api/cart and /api/events to the collector, and its health
// and metrics as `npm run dev` serves them; /api/stats/* to the stats function; the rest to the shop.
const collectorPaths = new Set(['/api/cart', '/api/events', '/healthz', '/readyz', '/metrics']);
const router = Deno.serve({ port, onListen: () => {} }, async (request) => {
  const url = new URL(request.url);
  const target =
    collectorPaths.has(url.pathname)
      ? collectorPort
      : url.pathname.startsWith('/api/stats/')
        ? statsPort
        : shopPort;
  try {
    return await fetch(`http://127.0.0.1:${target}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer(),
      redirect: 'manual',
    });
  } catch {
    return Response.json({ error: 'service starting or stopped, try again shortly' }, { status: 503, headers: { 'retry-after': '1' } });
  }
});

console.error(
  [
    '',
    `  Shop:      http://localhost:${port}/`,
    `  Dashboard: http://localhost:${port}/dashboard (stats directly on :${statsPort})`,
    `  Collector: POST http://localhost:${port}/api/cart and /api/events (directly on :${collectorPort})`,
    `  Consumer:  http://localhost:${consumerPort}/readyz`,
    `  Broker:    ${env.KAFKA_BROKERS}`,
    '',
    '  Ctrl-C stops all four.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const child of children.values()) {
      try {
        child.kill('SIGTERM');
      } catch {
        // already gone
      }
    }
    await Promise.all([...children.values()].map((child) => child.status));
    await router.shutdown();
  }
  Deno.exit(code);
}
onStopSignals({
  signals: { on: (signal, handler) => Deno.addSignalListener(signal, () => handler(signal)) },
  stop: () => void stopAll(0),
  leaveNow: () => Deno.exit(130),
});
