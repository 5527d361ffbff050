import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FixedDeadlines } from './fixed-deadlines.ts';

const hang = () => new Promise<never>(() => {});
const late = (what: string) => () => new Error(`${what} late`);

describe('FixedDeadlines', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('settles as the work does before its time, on one timer that lapses once its time has passed', async () => {
    const deadlines = new FixedDeadlines(100);
    await expect(deadlines.race(Promise.resolve('done'), late('a'))).resolves.toBe('done');
    await expect(deadlines.race(Promise.reject(new Error('refused')), late('b'))).rejects.toThrow('refused');
    // Works that come one at a time share the timer the first armed, instead of arming one each.
    for (let i = 0; i < 5; i++) await deadlines.race(Promise.resolve(i), late(`c${i}`));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('gives a work that starts under the timer of an earlier, settled one its full time', async () => {
    const deadlines = new FixedDeadlines(100);
    await deadlines.race(Promise.resolve('early'), late('early'));
    await vi.advanceTimersByTimeAsync(60);
    let outcome = 'pending';
    void deadlines.race(hang(), late('b')).catch((error: Error) => (outcome = `${error.message} at ${performance.now()}`));
    await vi.advanceTimersByTimeAsync(50); // t = 110: the first timer fired at 100 and found b not due
    expect(outcome).toBe('pending');
    await vi.advanceTimersByTimeAsync(50);
    expect(outcome).toBe('b late at 160');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects each hanging work when its own time is up, in the order they came', async () => {
    const deadlines = new FixedDeadlines(100);
    const expired: string[] = [];
    const track = (name: string, work: Promise<unknown>) =>
      deadlines.race(work, late(name)).catch((error: Error) => expired.push(`${error.message} at ${performance.now()}`));
    let finish!: () => void;
    track('a', hang());
    await vi.advanceTimersByTimeAsync(10);
    const b = track('b', new Promise<void>((resolve) => (finish = resolve)));
    await vi.advanceTimersByTimeAsync(10);
    track('c', hang());
    await vi.advanceTimersByTimeAsync(85); // t = 105: a is late; b and c are not
    expect(expired).toEqual(['a late at 100']);
    finish();
    await b;
    await vi.advanceTimersByTimeAsync(100);
    expect(expired).toEqual(['a late at 100', 'c late at 120']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores work that settles after its deadline', async () => {
    const deadlines = new FixedDeadlines(50);
    let finish!: (value: string) => void;
    const raced = deadlines.race(new Promise<string>((resolve) => (finish = resolve)), late('slow'));
    const outcome = raced.catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(50);
    finish('too late');
    await expect(outcome).resolves.toBe('slow late');
    await expect(deadlines.race(Promise.resolve(1), late('next'))).resolves.toBe(1);
  });

  it('keeps up with many works settling out of order', async () => {
    const deadlines = new FixedDeadlines(1000);
    const finishers: (() => void)[] = [];
    const races = Array.from({ length: 5000 }, (_, i) =>
      deadlines.race(new Promise<number>((resolve) => finishers.push(() => resolve(i))), late(String(i))),
    );
    // Every other one first, then the rest backwards: the queue compacts and still expires nothing early.
    finishers.filter((_, i) => i % 2 === 1).forEach((finish) => finish());
    await vi.advanceTimersByTimeAsync(999);
    finishers.filter((_, i) => i % 2 === 0).reverse().forEach((finish) => finish());
    await expect(Promise.all(races)).resolves.toEqual(Array.from({ length: 5000 }, (_, i) => i));
    await vi.advanceTimersByTimeAsync(1); // the timer's time: it fires, finds nothing and lapses
    expect(vi.getTimerCount()).toBe(0);
  });
});
