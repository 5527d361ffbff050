import { bigint, index, integer, pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';

/**
 * One row per "Add to cart". The seed's columns keep their names and types; `event_id` replaces the
 * seed's (username, creation_timestamp) key, which silently merged two carts made in the same instant.
 */
export const clickstreamData = pgTable(
  'clickstream_data',
  {
    eventId: uuid('event_id').primaryKey(),
    username: varchar('username', { length: 32 }).notNull(),
    creationTimestamp: timestamp('creation_timestamp', { precision: 6, mode: 'string' }).notNull(),
    category: varchar('category', { length: 10 }),
    gender: varchar('gender', { length: 10 }),
    style: varchar('style', { length: 20 }),
    size: varchar('size', { length: 5 }),
    hexColor: varchar('hex_color', { length: 8 }),
    // Lineage: where the row came from on the topic, for audits and replays.
    kafkaPartition: integer('kafka_partition').notNull(),
    kafkaOffset: bigint('kafka_offset', { mode: 'number' }).notNull(),
    ingestedAt: timestamp('ingested_at', { precision: 6, withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (table) => [index('clickstream_data_username_created_idx').on(table.username, table.creationTimestamp)],
);

export type ClickstreamRow = typeof clickstreamData.$inferSelect;
