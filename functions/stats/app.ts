import { sql } from 'drizzle-orm';
import { type Context, Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import type { Database } from '../../db/client.ts';
import { classifyDatabaseError } from '../../db/errors.ts';
import { type Logger, silentLogger } from '../../shared/logger.ts';
import { errorHandler } from '../lib/errors.ts';
import { parsePrometheusText, type Sample, sumOf } from '../lib/prometheus-text.ts';

/** Where the dashboard's pipeline counters come from: a `/metrics` text, in-process or over HTTP. */
export interface MetricsSource {
  readonly name: string;
  read(): Promise<string>;
}

export interface StatsDeps {
  readonly db: Database;
  /** The collector's and consumer's ledgers; the dashboard shows what it can read. */
  readonly metricsSources?: readonly MetricsSource[];
  /** How often the live feed looks for new rows; 500 ms by default. */
  readonly pollMs?: number;
  /** Ends every open live feed (on shutdown). */
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
}

/** Rows committed out of order can carry an ingested_at up to this much older than one already sent. */
const FEED_OVERLAP_MS = 5_000;
const FEED_BACKLOG = 25;
const FEED_PAGE = 200;
const HEARTBEAT_MS = 15_000;
const MINUTES = 30;

type Row = Record<string, unknown>;

/**
 * The stats function: what the dashboard (GET /dashboard, served by the shop) shows, read from
 * Postgres (`events` and `clickstream_data`) and the pipeline's own `/metrics`.
 *
 * - `GET /api/stats/summary`: events per minute (last 30 minutes), top products and options, the
 *   view -> option -> cart funnel by session, event types, latest carts (last 24 hours).
 * - `GET /api/stats/pipeline`: the collector's and consumer's counters and the consumer lag.
 * - `GET /api/stats/feed`: server-sent events, one per new row of `events` (`event: tracked`) or
 *   `clickstream_data` (`event: cart`), found by polling Postgres every `pollMs`.
 */
export function createApp(deps: StatsDeps): Hono {
  const { db } = deps;
  const logger = deps.logger ?? silentLogger;
  const pollMs = deps.pollMs ?? 500;
  const app = new Hono();
  app.onError(errorHandler(logger));
  app.use('/api/stats/*', secureHeaders({ crossOriginResourcePolicy: 'same-origin' }));
  app.use('/api/stats/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });

  const query = async (statement: ReturnType<typeof sql>): Promise<Row[]> => {
    try {
      return [...((await db.execute(statement)) as unknown as Row[])];
    } catch (error) {
      throw classifyDatabaseError(error);
    }
  };

  app.get('/api/stats/summary', async (c) => {
    const [perMinute, types, topProducts, topOptions, funnel, totals, latestCarts] = await Promise.all([
      query(sql`
        select extract(epoch from date_trunc('minute', occurred_at))::bigint * 1000 as minute, count(*)::int as events
        from events where occurred_at >= date_trunc('minute', now()) - make_interval(mins => ${MINUTES - 1})
        group by 1`),
      query(sql`
        select type, count(*)::int as count from events where occurred_at >= now() - interval '24 hours'
        group by type order by count desc`),
      query(sql`
        select category as product, count(*)::int as count from clickstream_data
        where creation_timestamp >= (now() at time zone 'UTC') - interval '24 hours' and category is not null
        group by category order by count desc, category limit 8`),
      query(sql`
        select properties->>'option' as option, properties->>'value' as value, count(*)::int as count from events
        where type = 'option_selected' and occurred_at >= now() - interval '24 hours' and properties->>'value' is not null
        group by 1, 2 order by count desc, option, value limit 10`),
      query(sql`
        select count(*) filter (where viewed)::int as viewed,
               count(*) filter (where viewed and selected)::int as selected,
               count(*) filter (where viewed and selected and carted)::int as carted
        from (select session_id,
                     bool_or(type = 'page_view') as viewed,
                     bool_or(type = 'option_selected') as selected,
                     bool_or(type = 'add_to_cart') as carted
              from events where occurred_at >= now() - interval '24 hours' group by session_id) as sessions`),
      query(sql`
        select (select count(*)::int from events where occurred_at >= now() - interval '24 hours') as events,
               (select count(distinct session_id)::int from events where occurred_at >= now() - interval '24 hours') as sessions,
               (select count(distinct anonymous_id)::int from events where occurred_at >= now() - interval '24 hours') as visitors,
               (select count(*)::int from clickstream_data
                 where creation_timestamp >= (now() at time zone 'UTC') - interval '24 hours') as carts`),
      query(sql`
        select event_id, username, category, gender, style, size, hex_color,
               to_char(creation_timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at
        from clickstream_data order by ingested_at desc, event_id limit 10`),
    ]);
    // Zero-filled minutes, oldest first, so the chart's x axis is continuous.
    const counts = new Map(perMinute.map((r) => [Number(r.minute), Number(r.events)]));
    const lastMinute = Math.floor(Date.now() / 60_000) * 60_000;
    const minutes = Array.from({ length: MINUTES }, (_, i) => lastMinute - (MINUTES - 1 - i) * 60_000);
    return c.json({
      generatedAt: new Date().toISOString(),
      perMinute: minutes.map((minute) => ({ minute, events: counts.get(minute) ?? 0 })),
      types: types.map((r) => ({ type: r.type, count: r.count })),
      topProducts: topProducts.map((r) => ({ product: r.product, count: r.count })),
      topOptions: topOptions.map((r) => ({ option: r.option, value: r.value, count: r.count })),
      funnel: funnel[0] ?? { viewed: 0, selected: 0, carted: 0 },
      totals: totals[0],
      latestCarts: latestCarts.map(cartOf),
    });
  });

  app.get('/api/stats/pipeline', async (c) => {
    const sources = deps.metricsSources ?? [];
    const read = await Promise.all(
      sources.map(async (source) => {
        try {
          return { name: source.name, ok: true, samples: parsePrometheusText(await source.read()) };
        } catch (error) {
          return { name: source.name, ok: false, error: (error as Error).message, samples: [] as Sample[] };
        }
      }),
    );
    const samples = read.flatMap((r) => r.samples);
    const has = (name: string) => samples.some((s) => s.name === name);
    const counter = (name: string) => (has(name) ? sumOf(samples, name) : null);
    const [rows] = await query(sql`
      select (select count(*)::int from events) as events, (select count(*)::int from clickstream_data) as carts`);
    return c.json({
      sources: read.map(({ name, ok, ...rest }) => ({ name, ok, ...('error' in rest ? { error: rest.error } : {}) })),
      carts: {
        received: counter('clickstream_received_total'),
        acknowledged: counter('clickstream_acknowledged_total'),
        rejected: counter('clickstream_rejected_total'),
        consumed: counter('clickstream_consumed_total'),
        inserted: counter('clickstream_inserted_total'),
        duplicates: counter('clickstream_duplicates_skipped_total'),
        deadLettered: counter('clickstream_dead_lettered_total'),
        lag: counter('clickstream_consumer_lag'),
        rows: rows?.carts ?? null,
      },
      tracked: {
        received: counter('clickstream_tracked_received_total'),
        accepted: counter('clickstream_tracked_accepted_total'),
        rejected: counter('clickstream_tracked_rejected_total'),
        droppedInBrowsers: counter('clickstream_tracker_dropped_total'),
        consumed: counter('clickstream_events_consumed_total'),
        inserted: counter('clickstream_events_inserted_total'),
        duplicates: counter('clickstream_events_duplicates_skipped_total'),
        deadLettered: counter('clickstream_events_dead_lettered_total'),
        lag: counter('clickstream_events_consumer_lag'),
        rows: rows?.events ?? null,
      },
    });
  });

  app.get('/api/stats/feed', (c: Context) =>
    streamSSE(c, async (stream) => {
      let open = true;
      const close = () => {
        open = false;
      };
      stream.onAbort(close);
      deps.signal?.addEventListener('abort', close, { once: true });
      // Per table: the newest ingested_at sent, and the ids sent within the overlap window before it.
      const cursors = {
        tracked: { since: null as number | null, sent: new Map<string, number>() },
        cart: { since: null as number | null, sent: new Map<string, number>() },
      };
      let lastWrite = Date.now();

      const poll = async (kind: 'tracked' | 'cart') => {
        const cursor = cursors[kind];
        const rows = await query(kind === 'tracked' ? trackedRows(cursor.since) : cartRows(cursor.since));
        // Newest first from Postgres; sent oldest first. Past FEED_PAGE new rows in one poll, the
        // feed shows the newest (it is a view, not a ledger: the counters and tables have them all).
        for (const row of rows.reverse()) {
          const id = String(row.event_id);
          const ingestedMs = Number(row.ingested_ms);
          if (cursor.sent.has(id)) continue;
          cursor.sent.set(id, ingestedMs);
          if (cursor.since === null || ingestedMs > cursor.since) cursor.since = ingestedMs;
          await stream.writeSSE({ event: kind, id, data: JSON.stringify(kind === 'tracked' ? trackedOf(row) : cartOf(row)) });
          lastWrite = Date.now();
        }
        if (cursor.since === null) cursor.since = 0;
        const horizon = Math.max(...cursor.sent.values(), 0) - 2 * FEED_OVERLAP_MS;
        for (const [id, ms] of cursor.sent) if (ms < horizon) cursor.sent.delete(id);
      };

      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ pollMs }) });
      while (open && !stream.aborted && !stream.closed) {
        try {
          await poll('tracked');
          await poll('cart');
        } catch (error) {
          logger.warn({ err: (error as Error).message }, 'live feed poll failed');
          await stream.writeSSE({ event: 'trouble', data: JSON.stringify({ error: (error as Error).message }) });
        }
        if (Date.now() - lastWrite > HEARTBEAT_MS) {
          await stream.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        await stream.sleep(pollMs);
      }
      deps.signal?.removeEventListener('abort', close);
    }),
  );

  return app;
}

/** Rows of `events` after `since` (minus the overlap window), or the newest ones on the first poll. */
function trackedRows(since: number | null) {
  const columns = sql`event_id, type, username, session_id, seq, properties,
    to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at,
    (extract(epoch from ingested_at) * 1000)::float8 as ingested_ms`;
  return since === null
    ? sql`select ${columns} from events order by ingested_at desc, event_id limit ${FEED_BACKLOG}`
    : sql`select ${columns} from events where ingested_at > to_timestamp(${(since - FEED_OVERLAP_MS) / 1000}::float8)
          order by ingested_at desc, event_id limit ${FEED_PAGE}`;
}

function cartRows(since: number | null) {
  const columns = sql`event_id, username, category, gender, style, size, hex_color,
    to_char(creation_timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at,
    (extract(epoch from ingested_at) * 1000)::float8 as ingested_ms`;
  return since === null
    ? sql`select ${columns} from clickstream_data order by ingested_at desc, event_id limit ${FEED_BACKLOG}`
    : sql`select ${columns} from clickstream_data where ingested_at > to_timestamp(${(since - FEED_OVERLAP_MS) / 1000}::float8)
          order by ingested_at desc, event_id limit ${FEED_PAGE}`;
}

function trackedOf(row: Row) {
  return {
    eventId: row.event_id,
    type: row.type,
    username: row.username,
    sessionId: row.session_id,
    seq: row.seq,
    occurredAt: row.occurred_at,
    properties: row.properties,
  };
}

function cartOf(row: Row) {
  return {
    eventId: row.event_id,
    username: row.username,
    createdAt: row.created_at,
    category: row.category,
    gender: row.gender,
    style: row.style,
    size: row.size,
    hexColor: row.hex_color,
  };
}
