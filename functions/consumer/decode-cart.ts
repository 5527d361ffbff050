import { cartEventSchema, describeIssues, type CartEvent } from '../../shared/cart-event.ts';
import type { IncomingMessage } from '../../shared/broker-port.ts';
import { fastCartEvent } from '../../shared/cart-fast-path.ts';
import { fastCartEventFromText } from '../../shared/cart-text-fast-path.ts';

export type Decoded = { ok: true; event: CartEvent } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Turns a topic message into a cart event, or says why it can never become one. */
export function decodeCart(message: IncomingMessage): Decoded {
  if (message.value === null) return { ok: false, reason: 'empty message (tombstone)' };
  let text: string;
  try {
    text = utf8.decode(message.value);
  } catch {
    return { ok: false, reason: 'value is not valid UTF-8' };
  }
  const asWritten = fastCartEventFromText(text);
  if (asWritten) return { ok: true, event: asWritten };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  const canonical = fastCartEvent(json);
  if (canonical) return { ok: true, event: canonical };
  const parsed = cartEventSchema.safeParse(json);
  if (!parsed.success) {
    const fields = describeIssues(parsed.error);
    return { ok: false, reason: `invalid cart event: ${JSON.stringify(fields)}` };
  }
  return { ok: true, event: parsed.data };
}
