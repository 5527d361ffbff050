import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onStopSignals } from './stop-signals.ts';

describe('onStopSignals', () => {
  const setUp = () => {
    const emitter = new EventEmitter();
    let clock = 0;
    const calls: string[] = [];
    onStopSignals({
      signals: emitter,
      now: () => clock,
      echoMs: 1000,
      stop: (signal) => calls.push(`stop ${signal}`),
      leaveNow: (signal) => calls.push(`leave ${signal}`),
    });
    return { emitter, calls, at: (ms: number) => (clock = ms) };
  };

  it('stops once for one Ctrl-C that arrives three times (terminal, npm, tsx)', () => {
    const { emitter, calls, at } = setUp();
    emitter.emit('SIGINT', 'SIGINT');
    at(2);
    emitter.emit('SIGINT', 'SIGINT');
    at(35);
    emitter.emit('SIGINT', 'SIGINT');
    expect(calls).toEqual(['stop SIGINT']);
  });

  it('leaves at once on a signal after the echo window', () => {
    const { emitter, calls, at } = setUp();
    emitter.emit('SIGTERM', 'SIGTERM');
    at(1001);
    emitter.emit('SIGINT', 'SIGINT');
    expect(calls).toEqual(['stop SIGTERM', 'leave SIGINT']);
  });
});
