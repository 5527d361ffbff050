import type { IncomingMessage } from '../../shared/broker-port.ts';
import { describeIssues } from '../../shared/cart-event.ts';
import { trackedEventMessageSchema } from '../../shared/tracked-event.ts';
import type { TrackedRow } from '../../db/insert-events.ts';
import type { DecodedRow } from './batch-handler.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Turns a tracked-events topic message into a row of `events`, or says why it can never become one. */
export function decodeTracked(message: IncomingMessage): DecodedRow<TrackedRow> {
  if (message.value === null) return { ok: false, reason: 'empty message (tombstone)' };
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(message.value));
  } catch {
    return { ok: false, reason: 'value is not UTF-8 JSON' };
  }
  const parsed = trackedEventMessageSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: `invalid tracked event: ${JSON.stringify(describeIssues(parsed.error))}` };
  }
  return { ok: true, row: { event: parsed.data, partition: message.partition, offset: message.offset } };
}
