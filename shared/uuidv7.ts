/** The id's first 15 characters (time and version) for the last millisecond used: most calls fall in the same one. */
let prefixMs = Number.NaN;
let prefix = '';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then the random digits of a v4 UUID (the variant
 * digit included). Ids made later sort later, so the primary key index takes them near its right
 * edge instead of at random pages: cheaper inserts for clickstream_data and events alike. The browser
 * tracker makes its own (web/tracker.js) by the same layout.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  const ms = Math.floor(nowMs);
  if (ms !== prefixMs) {
    const time = ms.toString(16).padStart(12, '0');
    prefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
    prefixMs = ms;
  }
  const random = crypto.randomUUID(); // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx
  return prefix + random.slice(15);
}
