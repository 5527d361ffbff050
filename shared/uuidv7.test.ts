import { describe, expect, it } from 'vitest';
import { uuidv7 } from './uuidv7.ts';

describe('uuidv7', () => {
  it('has version 7, the RFC variant, and the milliseconds up front', () => {
    const ms = Date.parse('2026-11-28T04:05:06.789Z');
    const id = uuidv7(ms);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(ms);
  });

  it('sorts by time and differs within one millisecond', () => {
    const ids = [uuidv7(1_000), uuidv7(2_000), uuidv7(2_000), uuidv7(1_700_000_000_000)];
    expect(new Set(ids).size).toBe(4);
    expect(ids[0]! < ids[1]! && ids[1]!.slice(0, 13) === ids[2]!.slice(0, 13) && ids[2]! < ids[3]!).toBe(true);
  });

  it('carries the millisecond it was given, also when calls go back and forth in time', () => {
    const times = [5_000, 6_000, 5_000, 5_000, 1_700_000_000_123];
    const decoded = times.map((ms) => Number.parseInt(uuidv7(ms).replace(/-/g, '').slice(0, 12), 16));
    expect(decoded).toEqual(times);
  });
});
