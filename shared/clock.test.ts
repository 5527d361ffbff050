import { describe, expect, it } from 'vitest';
import { utcTimestampMicros } from './clock.ts';

describe('utcTimestampMicros', () => {
  it('writes the UTC time with six fractional digits, zero-padded', () => {
    const ms = Date.parse('2026-11-28T04:05:06.789Z');
    expect(utcTimestampMicros(ms)).toBe('2026-11-28T04:05:06.789000Z');
    // Fractions in 1,024ths of a millisecond: exact in a double of this size.
    expect(utcTimestampMicros(ms + 8 / 1024)).toBe('2026-11-28T04:05:06.789007Z');
    expect(utcTimestampMicros(ms + 44 / 1024)).toBe('2026-11-28T04:05:06.789042Z');
    expect(utcTimestampMicros(ms + 1023 / 1024)).toBe('2026-11-28T04:05:06.789999Z');
  });

  it('follows the clock across milliseconds, back and forth', () => {
    const ms = Date.parse('1999-12-31T23:59:59.999Z');
    const stamps = [ms, ms + 1.5, ms, ms + 1000.25].map((t) => utcTimestampMicros(t));
    expect(stamps).toEqual([
      '1999-12-31T23:59:59.999000Z',
      '2000-01-01T00:00:00.000500Z',
      '1999-12-31T23:59:59.999000Z',
      '2000-01-01T00:00:00.999250Z',
    ]);
  });

  it('reads the clock when given no time', () => {
    const before = Date.now();
    const stamp = Date.parse(utcTimestampMicros());
    expect(stamp).toBeGreaterThanOrEqual(before - 1);
    expect(stamp).toBeLessThanOrEqual(Date.now() + 1);
  });
});
