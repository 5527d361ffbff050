import { describe, expect, it } from 'vitest';
import { readCapped } from './read-body.ts';

const bytes = (n: number) => new Uint8Array(n).fill(0x61);

/** A request whose `body` getter throws, as a stand-in for a runtime where touching it is costly. */
function withoutBodyAccess(request: Request): Request {
  return new Proxy(request, {
    get(target, key) {
      if (key === 'body' || key === 'signal') throw new Error(`readCapped touched request.${String(key)}`);
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function streamed(chunks: Uint8Array[]): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return new Request('http://x/', { method: 'POST', body, duplex: 'half' } as RequestInit);
}

describe('readCapped', () => {
  it('reads a body of declared length whole, without touching request.body', async () => {
    const request = new Request('http://x/', { method: 'POST', body: bytes(100), headers: { 'content-length': '100' } });
    expect((await readCapped(withoutBodyAccess(request), 100))?.byteLength).toBe(100);
  });

  it('refuses a declared length over the limit before reading anything', async () => {
    const request = new Request('http://x/', { method: 'POST', body: bytes(101), headers: { 'content-length': '101' } });
    expect(await readCapped(withoutBodyAccess(request), 100)).toBeNull();
    expect(request.bodyUsed).toBe(false);
  });

  it('streams a body without a declared length and cuts it off at the limit', async () => {
    expect((await readCapped(streamed([bytes(60), bytes(40)]), 100))?.byteLength).toBe(100);
    expect(await readCapped(streamed([bytes(60), bytes(41)]), 100)).toBeNull();
  });

  it('gives an empty body for a request without one', async () => {
    expect((await readCapped(new Request('http://x/', { method: 'POST' }), 100))?.byteLength).toBe(0);
  });
});
