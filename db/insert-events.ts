import { sql } from 'drizzle-orm';
import type { TrackedEventMessage } from '../shared/tracked-event.ts';
import type { Database } from './client.ts';
import { classifyDatabaseError } from './errors.ts';
import type { InsertResult } from './insert-carts.ts';
import { toPgArrayLiteral } from './pg-array.ts';

/** A validated tracked event with the topic position it was read from. */
export interface TrackedRow {
  readonly event: TrackedEventMessage;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Inserts a batch of tracked events in one statement, as insertCarts does: one array literal per
 * column, unnested server-side, so the parameter count is fixed whatever the batch size.
 * `properties` travels as an array of JSON texts cast to jsonb. `ON CONFLICT DO NOTHING` makes a
 * redelivered message, or an event the tracker sent again, a no-op.
 */
export async function insertEvents(db: Database, rows: readonly TrackedRow[]): Promise<InsertResult> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const column = (pick: (event: TrackedEventMessage, row: TrackedRow) => string | number | null) =>
    toPgArrayLiteral(rows.map((row) => pick(row.event, row)));
  const result = await db.execute(sql`
    insert into events
      (event_id, type, anonymous_id, session_id, seq, username, occurred_at, received_at,
       client_created_at, client_sent_at, page_url, referrer,
       utm_source, utm_medium, utm_campaign, utm_term, utm_content,
       viewport_width, viewport_height, ip_truncated, user_agent, properties, kafka_partition, kafka_offset)
    select * from unnest(
      ${column((e) => e.eventId)}::uuid[],
      ${column((e) => e.type)}::varchar[],
      ${column((e) => e.anonymousId)}::uuid[],
      ${column((e) => e.sessionId)}::uuid[],
      ${column((e) => e.seq)}::int[],
      ${column((e) => e.username)}::varchar[],
      ${column((e) => e.occurredAt)}::timestamptz[],
      ${column((e) => e.receivedAt)}::timestamptz[],
      ${column((e) => e.createdAt)}::timestamptz[],
      ${column((e) => e.sentAt)}::timestamptz[],
      ${column((e) => e.url)}::text[],
      ${column((e) => e.referrer)}::text[],
      ${column((e) => e.utm.source)}::varchar[],
      ${column((e) => e.utm.medium)}::varchar[],
      ${column((e) => e.utm.campaign)}::varchar[],
      ${column((e) => e.utm.term)}::varchar[],
      ${column((e) => e.utm.content)}::varchar[],
      ${column((e) => e.viewport?.width ?? null)}::int[],
      ${column((e) => e.viewport?.height ?? null)}::int[],
      ${column((e) => e.ipTruncated)}::inet[],
      ${column((e) => e.userAgent)}::varchar[],
      ${column((e) => JSON.stringify(e.properties))}::jsonb[],
      ${column((_, r) => r.partition)}::int[],
      ${column((_, r) => r.offset)}::bigint[]
    )
    on conflict (event_id) do nothing`).catch((error: unknown) => {
    throw classifyDatabaseError(error);
  });
  const inserted = result.count;
  return { inserted, duplicates: rows.length - inserted };
}
