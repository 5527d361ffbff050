import { sql } from 'drizzle-orm';
import type { CartEvent } from '../shared/cart-event.ts';
import type { Database } from './client.ts';
import { classifyDatabaseError } from './errors.ts';
import { toPgArrayLiteral } from './pg-array.ts';

/** A validated cart event with the topic position it was read from. */
export interface CartRow {
  readonly event: CartEvent;
  readonly partition: number;
  readonly offset: string;
}

export interface InsertResult {
  readonly inserted: number;
  /** Rows whose event_id was already stored (a redelivery or a client retry). */
  readonly duplicates: number;
}

/**
 * Inserts a whole batch in one statement: one array parameter per column, unnested server-side.
 * That keeps the parameter count at ten whatever the batch size, and runs several times faster
 * than row-per-statement inserts. `ON CONFLICT DO NOTHING` makes redelivered events no-ops.
 */
export async function insertCarts(db: Database, rows: readonly CartRow[]): Promise<InsertResult> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const column = (pick: (row: CartRow) => string | number | null) => toPgArrayLiteral(rows.map(pick));
  const result = await db.execute(sql`
    insert into clickstream_data
      (event_id, username, creation_timestamp, category, gender, style, size, hex_color, kafka_partition, kafka_offset)
    select * from unnest(
      ${column((r) => r.event.eventId)}::uuid[],
      ${column((r) => r.event.username)}::varchar[],
      ${column((r) => r.event.createdAt)}::timestamp[],
      ${column((r) => r.event.category)}::varchar[],
      ${column((r) => r.event.gender)}::varchar[],
      ${column((r) => r.event.style)}::varchar[],
      ${column((r) => r.event.size)}::varchar[],
      ${column((r) => r.event.hexColor)}::varchar[],
      ${column((r) => r.partition)}::int[],
      ${column((r) => r.offset)}::bigint[]
    )
    on conflict (event_id) do nothing`).catch((error: unknown) => {
    throw classifyDatabaseError(error);
  });
  const inserted = result.count;
  return { inserted, duplicates: rows.length - inserted };
}
