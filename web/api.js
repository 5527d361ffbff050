// The page's only contact with the server: HTTP JSON to /api/catalog and /api/cart.

const REQUEST_TIMEOUT_MS = 10_000;

/** The catalogue `{ option: [choices…] }`; throws with a readable message when it cannot be had. */
export async function fetchCatalog() {
  const response = await fetch('/api/catalog', {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`the server answered ${response.status}`);
  const catalog = await response.json();
  const wellFormed =
    typeof catalog === 'object' &&
    catalog !== null &&
    Object.values(catalog).every((choices) => Array.isArray(choices) && choices.every((c) => typeof c === 'string'));
  if (!wellFormed) throw new Error('the server sent a malformed catalogue');
  return catalog;
}

/**
 * Posts one cart and says how it went, never throwing:
 * - `{ kind: 'accepted', eventId }`
 * - `{ kind: 'refused', error, fields }` – the server will not take this cart as it is (4xx)
 * - `{ kind: 'unavailable', error, reason, retryAfter }` – try again shortly (503, or any 5xx)
 * - `{ kind: 'unreachable', error }` – no usable answer at all
 */
export async function postCart(cart) {
  let response;
  try {
    response = await fetch('/api/cart', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(cart),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    return { kind: 'unreachable', error: timedOut ? 'the server did not answer in time' : 'the server cannot be reached' };
  }
  // Object(): a body of null or a bare value reads as having no fields.
  const body = Object(await response.json().catch(() => null));
  if (response.status === 202 && typeof body.eventId === 'string') {
    return { kind: 'accepted', eventId: body.eventId };
  }
  const error = typeof body.error === 'string' ? body.error : `the server answered ${response.status}`;
  if (response.status >= 500) {
    const reason = typeof body.reason === 'string' ? body.reason : null;
    return { kind: 'unavailable', error, reason, retryAfter: response.headers.get('retry-after') };
  }
  if (response.status >= 400 && response.status < 500) {
    const fields = Object.fromEntries(Object.entries(Object(body.fields)).map(([field, reason]) => [field, String(reason)]));
    return { kind: 'refused', error, fields };
  }
  return { kind: 'unreachable', error: `the server gave an unexpected answer (${response.status})` };
}

/** A fresh id for a new cart, so that resending the same cart after a failure cannot count it twice. */
export function newEventId() {
  // randomUUID exists only in secure contexts (https, localhost); without it the server picks the id.
  return globalThis.crypto?.randomUUID?.();
}
