import type { BatchHandler, IncomingMessage } from '../../shared/broker-port.ts';
import { FatalError, isRetriable } from '../../shared/errors.ts';
import { type Logger, silentLogger } from '../../shared/logger.ts';
import { sleep } from '../../shared/wait.ts';
import type { CartRow, InsertResult } from '../../db/insert-carts.ts';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from '../lib/backoff.ts';
import type { DeadLetter } from './dead-letter.ts';
import { decodeCart } from './decode-cart.ts';

/** A message decoded into a row for one table, or why it can never be one. */
export type DecodedRow<Row> = { ok: true; row: Row } | { ok: false; reason: string };

type Sourced<Row> = { readonly row: Row; readonly source: IncomingMessage };
type Landed = { inserted: number; refused: DeadLetter[] };

export interface SinkDeps {
  /** Inserts rows idempotently; throws a RetriableError when the database is unreachable. */
  readonly insertCarts: (rows: readonly CartRow[]) => Promise<InsertResult>;
  /** Writes dead letters durably; throws a RetriableError when the broker is unreachable. */
  readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>;
  readonly logger?: Logger;
  readonly backoff?: BackoffPolicy;
  /** Called with true when an outage starts and false when it ends, for readiness and metrics. */
  readonly onOutage?: (down: boolean, error?: Error) => void;
  readonly onLanded?: (stats: { consumed: number; inserted: number; duplicates: number; deadLettered: number }) => void;
  /**
   * Slices a batch is split into, each decoded and then stored by a statement of its own on a
   * separate connection, all at once; 1 by default. Batches land one at a time, so this is what puts
   * a second Postgres core to work, and with COPY on its own thread it also overlaps one slice's
   * decoding with the previous slice's COPY (npm run bench; README, Performance).
   */
  readonly parallelInserts?: number;
}

/** Rows below which a batch is not split: a statement's fixed cost outweighs the parallelism. */
const MIN_ROWS_PER_STATEMENT = 250;

/** Up to `parts` contiguous slices of about equal length, none shorter than MIN_ROWS_PER_STATEMENT. */
export function splitForStatements<T>(items: readonly T[], parts: number): T[][] {
  const count = Math.max(1, Math.min(parts, Math.floor(items.length / MIN_ROWS_PER_STATEMENT)));
  const size = Math.ceil(items.length / count);
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += size) slices.push(items.slice(i, i + size));
  return slices.length > 0 ? slices : [[]];
}

/**
 * Lands one batch: valid carts in one insert, the rest as dead letters. Retriable failures are
 * retried with capped backoff until they succeed or the consumer closes; the batch resolves only
 * when everything in it is durable, so its offsets are committed only then.
 */
export function createBatchHandler(deps: SinkDeps): BatchHandler {
  return createLandingHandler<CartRow>({
    ...deps,
    decode: (message) => {
      const decoded = decodeCart(message);
      return decoded.ok
        ? { ok: true, row: { event: decoded.event, partition: message.partition, offset: message.offset } }
        : decoded;
    },
    insert: deps.insertCarts,
  });
}

export interface LandingDeps<Row> extends Omit<SinkDeps, 'insertCarts'> {
  /** Turns a message into a row, or says why it never can be one (it is then dead-lettered). */
  readonly decode: (message: IncomingMessage) => DecodedRow<Row>;
  /** Inserts rows idempotently in one statement; RetriableError when the database is unreachable, FatalError when it refuses the data. */
  readonly insert: (rows: readonly Row[]) => Promise<InsertResult>;
}

/** The batch handler for any table: decode, one idempotent insert, dead letters, retries; see createBatchHandler. */
export function createLandingHandler<Row>(deps: LandingDeps<Row>): BatchHandler {
  const logger = deps.logger ?? silentLogger;

  /**
   * Calls waiting out an outage now. The slices of a batch retry side by side: the outage starts
   * with the first of them and ends when the database answered the last.
   */
  let retrying = 0;

  async function untilDone<T>(what: string, work: () => Promise<T>, signal: AbortSignal): Promise<T> {
    let inOutage = false;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          return await work();
        } catch (error) {
          if (!isRetriable(error) || signal.aborted) throw error;
          if (!inOutage) {
            inOutage = true;
            if (retrying++ === 0) deps.onOutage?.(true, error);
          }
          const delay = backoffDelay(attempt, deps.backoff ?? DEFAULT_BACKOFF);
          logger.warn({ err: error.message, attempt, delayMs: delay }, `${what} failed, retrying`);
          await sleep(delay, signal);
        }
      }
    } finally {
      // A refusal of the data ends the outage too: the database answered. A shutdown does not.
      if (inOutage && --retrying === 0 && !signal.aborted) deps.onOutage?.(false);
    }
  }

  /**
   * Inserts rows in one statement. When the database refuses them as data (not as an outage), splits
   * them in halves until the refused rows stand alone: one bad row costs a few statements, not one
   * per row of the batch.
   */
  async function landRows(rows: readonly Sourced<Row>[], signal: AbortSignal): Promise<Landed> {
    try {
      const { inserted } = await untilDone('insert', () => deps.insert(rows.map((r) => r.row)), signal);
      return { inserted, refused: [] };
    } catch (error) {
      // Only a refusal of the data itself is isolated; an outage, a shutdown or a bug fails the batch uncommitted.
      if (!(error instanceof FatalError)) throw error;
      if (rows.length === 1) {
        return { inserted: 0, refused: [{ message: rows[0]!.source, reason: `database refused: ${(error as Error).message}` }] };
      }
      const middle = Math.ceil(rows.length / 2);
      const left = await landRows(rows.slice(0, middle), signal);
      const right = await landRows(rows.slice(middle), signal);
      return { inserted: left.inserted + right.inserted, refused: [...left.refused, ...right.refused] };
    }
  }

  return async (batch: readonly IncomingMessage[], { signal }) => {
    // Each slice's insert starts as soon as the slice is decoded: with COPY on a thread of its own
    // (db/threaded-copy-writer.ts), one slice is stored while the next is decoded.
    let rowCount = 0;
    const letters: DeadLetter[] = [];
    const landing: Promise<Landed>[] = [];
    let decodeFailure: { error: unknown } | undefined;
    try {
      for (const slice of splitForStatements(batch, deps.parallelInserts ?? 1)) {
        const rows: Sourced<Row>[] = [];
        for (const message of slice) {
          const decoded = deps.decode(message);
          if (decoded.ok) rows.push({ row: decoded.row, source: message });
          else letters.push({ message, reason: decoded.reason });
        }
        rowCount += rows.length;
        landing.push(landRows(rows, signal));
      }
    } catch (error) {
      decodeFailure = { error };
    }
    // Every slice settles before the batch does, so nothing still writes once the batch has failed.
    const settled = await Promise.allSettled(landing);
    if (decodeFailure) throw decodeFailure.error;
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const landed: Landed = { inserted: 0, refused: [] };
    for (const s of settled as PromiseFulfilledResult<Landed>[]) {
      landed.inserted += s.value.inserted;
      landed.refused.push(...s.value.refused);
    }
    letters.push(...landed.refused);

    if (letters.length > 0) {
      await untilDone('dead-letter', () => deps.deadLetter(letters), signal);
      logger.warn({ count: letters.length, first: letters[0]!.reason }, 'messages dead-lettered');
    }
    deps.onLanded?.({
      consumed: batch.length,
      inserted: landed.inserted,
      duplicates: rowCount - landed.refused.length - landed.inserted,
      deadLettered: letters.length,
    });
  };
}
