import { bigint, index, inet, integer, jsonb, pgTable, text, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';

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

/**
 * One row per event from the browser tracker (web/tracker.js): page views, option changes and
 * add-to-cart clicks. `event_id` is the tracker's UUIDv7, the same across its retries, so a batch
 * sent twice (a reload, a lost answer, two tabs) stores each event once. An `add_to_cart` row has
 * the same event_id as the `clickstream_data` row its cart made (when the cart was accepted): the
 * tracker's click lands only here, and carts keep landing in clickstream_data from POST /api/cart alone.
 */
export const events = pgTable(
  'events',
  {
    eventId: uuid('event_id').primaryKey(),
    type: varchar('type', { length: 32 }).notNull(),
    anonymousId: uuid('anonymous_id').notNull(),
    sessionId: uuid('session_id').notNull(),
    /** 0, 1, 2, … per session: a gap is an event that never arrived. */
    seq: integer('seq').notNull(),
    username: varchar('username', { length: 32 }),
    /** Event time: received_at - (client sent_at - client created_at), never after received_at. */
    occurredAt: timestamp('occurred_at', { precision: 6, withTimezone: true, mode: 'string' }).notNull(),
    receivedAt: timestamp('received_at', { precision: 6, withTimezone: true, mode: 'string' }).notNull(),
    /** The client's own clock readings, kept for audits of skew and queueing. */
    clientCreatedAt: timestamp('client_created_at', { precision: 3, withTimezone: true, mode: 'string' }).notNull(),
    clientSentAt: timestamp('client_sent_at', { precision: 3, withTimezone: true, mode: 'string' }).notNull(),
    pageUrl: text('page_url').notNull(),
    referrer: text('referrer'),
    utmSource: varchar('utm_source', { length: 200 }),
    utmMedium: varchar('utm_medium', { length: 200 }),
    utmCampaign: varchar('utm_campaign', { length: 200 }),
    utmTerm: varchar('utm_term', { length: 200 }),
    utmContent: varchar('utm_content', { length: 200 }),
    viewportWidth: integer('viewport_width'),
    viewportHeight: integer('viewport_height'),
    /** IPv4 /24 or IPv6 /48, never the full address. */
    ipTruncated: inet('ip_truncated'),
    userAgent: varchar('user_agent', { length: 512 }),
    /** The type's own fields: page_view {title}, option_selected {option, value}, add_to_cart {category, …}. */
    properties: jsonb('properties').notNull(),
    kafkaPartition: integer('kafka_partition').notNull(),
    kafkaOffset: bigint('kafka_offset', { mode: 'number' }).notNull(),
    ingestedAt: timestamp('ingested_at', { precision: 6, withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (table) => [
    index('events_occurred_at_idx').on(table.occurredAt),
    index('events_session_seq_idx').on(table.sessionId, table.seq),
    index('events_ingested_at_idx').on(table.ingestedAt),
  ],
);

export type EventRow = typeof events.$inferSelect;
