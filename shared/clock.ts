/**
 * Wall-clock time in UTC with microsecond digits, as `timestamp(6)` stores it.
 * `performance.timeOrigin + performance.now()` carries sub-millisecond precision that `Date.now()` lacks.
 */
export function utcTimestampMicros(epochMs: number = performance.timeOrigin + performance.now()): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.floor((epochMs - wholeMs) * 1000);
  const iso = new Date(wholeMs).toISOString(); // 2026-11-28T01:02:03.456Z
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}
