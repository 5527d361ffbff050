/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then the random digits of a v4 UUID (the variant
 * digit included). Ids made later sort later, so the primary key index takes them near its right
 * edge instead of at random pages: cheaper inserts for clickstream_data and events alike. The browser
 * tracker makes its own (web/tracker.js) by the same layout.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const time = Math.floor(nowMs).toString(16).padStart(12, '0');
  const random = crypto.randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19, 23)}-${random.slice(24)}`;
}
