/** The ISO text up to the milliseconds of the last whole millisecond formatted: most calls fall in the same one. */
let formattedMs = Number.NaN;
let formattedPrefix = '';

/**
 * Wall-clock time in UTC with microsecond digits, as `timestamp(6)` stores it.
 * `performance.timeOrigin + performance.now()` carries sub-millisecond precision that `Date.now()` lacks.
 * Formatting a Date is most of the cost (2.3 µs against 0.2 µs for the clock), so each millisecond is
 * formatted once.
 */
export function utcTimestampMicros(epochMs: number = performance.timeOrigin + performance.now()): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.floor((epochMs - wholeMs) * 1000);
  if (wholeMs !== formattedMs) {
    formattedPrefix = new Date(wholeMs).toISOString().slice(0, 23); // 2026-11-28T01:02:03.456
    formattedMs = wholeMs;
  }
  return `${formattedPrefix}${micros < 10 ? '00' : micros < 100 ? '0' : ''}${micros}Z`;
}
