import type { Database } from './client.ts';
import type { CopyWriter } from './copy-writer.ts';
import { copyTextRow } from './copy-text.ts';
import { classifyDatabaseError } from './errors.ts';
import { type CartRow, type InsertResult, insertCarts } from './insert-carts.ts';

/** The columns cartCopyLine writes, in its order. */
export const CART_COPY_COLUMNS =
  'event_id, username, creation_timestamp, category, gender, style, size, hex_color, kafka_partition, kafka_offset';

const STATEMENT = `copy clickstream_data (${CART_COPY_COLUMNS}) from stdin`;

/** SQLSTATE unique_violation: some event_id of the batch is stored already. */
const UNIQUE_VIOLATION = '23505';

/**
 * Stores a batch with one COPY, which costs Postgres about half what `INSERT … ON CONFLICT` does.
 * COPY has no ON CONFLICT: if any event of the batch is stored already (a redelivery after a
 * crash, a client's retry), Postgres refuses the whole COPY and stores none of it, and the batch
 * goes through insertCarts instead, whose ON CONFLICT DO NOTHING skips exactly the stored ones.
 * Nothing is doubled either way; a refused COPY only costs its round trip.
 */
export async function copyCarts(db: Database, copier: CopyWriter, rows: readonly CartRow[]): Promise<InsertResult> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  let text = '';
  for (const row of rows) text += cartCopyLine(row);
  try {
    const inserted = await copier.copy(STATEMENT, text);
    return { inserted, duplicates: rows.length - inserted };
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return insertCarts(db, rows);
    throw classifyDatabaseError(error);
  }
}

/** One cart as a line of COPY text, its fields in the order of the statement's columns. */
export function cartCopyLine({ event: e, partition, offset }: CartRow): string {
  return copyTextRow([e.eventId, e.username, e.createdAt, e.category, e.gender, e.style, e.size, e.hexColor, partition, offset]);
}
