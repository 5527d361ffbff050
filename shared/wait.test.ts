import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pause, sleep } from './wait.ts';

describe('sleep and pause', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sleep resolves after its time, not before', async () => {
    let done = false;
    const slept = sleep(100).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(done).toBe(true);
  });

  it('sleep rejects with the reason as soon as the signal aborts, and leaves no timer behind', async () => {
    const controller = new AbortController();
    const slept = sleep(10_000, controller.signal);
    controller.abort(new Error('closing'));
    await expect(slept).rejects.toThrow('closing');
    expect(vi.getTimerCount()).toBe(0);
    await expect(sleep(10, controller.signal)).rejects.toThrow('closing');
  });

  it('pause resolves at once when the signal aborts, and after its time otherwise', async () => {
    const controller = new AbortController();
    const paused = pause(10_000, controller.signal);
    controller.abort();
    await expect(paused).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);

    let done = false;
    const later = pause(50).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(49);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await later;
    expect(done).toBe(true);
  });
});
