import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * `COPY … FROM STDIN` on node-postgres, beside the postgres.js pool that Drizzle uses. postgres.js
 * 3.4 cannot carry a COPY per batch: a COPY the server refuses never settles (porsager/postgres#1173,
 * open), and small COPYs stalled at 3.3k rows/s when we tried. node-postgres with pg-copy-streams
 * reports a refused COPY as an error with its SQLSTATE and leaves the connection ready for the next.
 */
export interface CopyWriter {
  /** Runs one COPY statement with `text` as its data; resolves to the number of rows stored. */
  copy(statement: string, text: string): Promise<number>;
  close(): Promise<void>;
}

export interface CopyWriterOptions {
  readonly poolSize?: number;
  readonly connectTimeoutSeconds?: number;
}

/** Opens nothing until the first copy: a handle that never copies never connects. */
export function openCopyWriter(url: string, options: CopyWriterOptions = {}): CopyWriter {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 2,
    connectionTimeoutMillis: (options.connectTimeoutSeconds ?? 5) * 1000,
    keepAlive: true,
  });
  // An idle connection dropped by the server (a restart, say) is only discarded: the next copy
  // connects afresh, and an error there reaches its caller. Without a listener it would crash the process.
  pool.on('error', () => {});
  return {
    async copy(statement, text) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A checked-out client whose socket fails (a reset, a server killed) emits 'error' as well as
      // failing the COPY; the pool listens only to idle clients, and an unheard 'error' kills the process.
      const onLost = (error: Error) => (broken = error);
      client.on('error', onLost);
      try {
        const stream = client.query(copyFrom(statement));
        stream.end(text);
        await finished(stream);
        return stream.rowCount;
      } catch (error) {
        // A refusal of the data (SQLSTATE class 22 or 23) leaves the connection usable; after
        // anything else (a network error, a server shutting down) it is discarded, not pooled.
        if (!(error instanceof pg.DatabaseError && /^2[23]/.test(error.code ?? ''))) broken ??= error as Error;
        throw error;
      } finally {
        client.removeListener('error', onLost);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
