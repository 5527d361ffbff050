import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { type CopyWriter, openCopyWriter } from './copy-writer.ts';
import * as schema from './schema.ts';
import { openThreadedCopyWriter } from './threaded-copy-writer.ts';

export type Database = PostgresJsDatabase<typeof schema>;

export interface DatabaseHandle {
  readonly db: Database;
  /** COPY on its own pool of up to `poolSize` connections, opened at the first copy. */
  readonly copier: CopyWriter;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly poolSize?: number;
  /** Seconds to wait for a connection before failing, so an outage surfaces as an error, not a hang. */
  readonly connectTimeoutSeconds?: number;
  /** COPY on a worker thread of its own (Node only), so a busy main thread does not hold up its answers. */
  readonly copyOnThread?: boolean;
}

export function openDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const client = postgres(url, {
    max: options.poolSize ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: () => {},
  });
  const copier = options.copyOnThread ? openThreadedCopyWriter(url, options) : openCopyWriter(url, options);
  return {
    db: drizzle(client, { schema }),
    copier,
    ping: async () => {
      await client`select 1`;
    },
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), copier.close()]);
    },
  };
}
