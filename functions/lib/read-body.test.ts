import { describe, expect, it } from 'vitest';
import { hasReplacementCharacter, readCappedText } from './read-body.ts';

const bytes = (n: number) => new Uint8Array(n).fill(0x61);

/** A request whose `body` getter throws, as a stand-in for a runtime where touching it is costly. */
function withoutBodyAccess(request: Request): Request {
  return new Proxy(request, {
    get(target, key) {
      if (key === 'body' || key === 'signal') throw new Error(`readCappedText touched request.${String(key)}`);
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

describe('readCappedText', () => {
  it('reads a body of declared length whole, without touching request.body', async () => {
    const request = new Request('http://x/', { method: 'POST', body: bytes(100), headers: { 'content-length': '100' } });
    expect(await readCappedText(withoutBodyAccess(request), 100)).toBe('a'.repeat(100));
  });

  it('refuses a declared length over the limit before reading anything', async () => {
    const request = new Request('http://x/', { method: 'POST', body: bytes(101), headers: { 'content-length': '101' } });
    expect(await readCappedText(withoutBodyAccess(request), 100)).toBeNull();
    expect(request.bodyUsed).toBe(false);
  });

  it('streams a body without a declared length and cuts it off at the limit', async () => {
    expect(await readCappedText(streamed([bytes(60), bytes(40)]), 100)).toBe('a'.repeat(100));
    expect(await readCappedText(streamed([bytes(60), bytes(41)]), 100)).toBeNull();
  });

  it('gives an empty body for a request without one', async () => {
    expect(await readCappedText(new Request('http://x/', { method: 'POST' }), 100)).toBe('');
  });

  it('turns bytes that are not UTF-8 into U+FFFD, declared or streamed, and tells them apart from text that has none', async () => {
    const invalid = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    const declared = new Request('http://x/', { method: 'POST', body: invalid, headers: { 'content-length': '4' } });
    for (const text of [await readCappedText(declared, 100), await readCappedText(streamed([invalid]), 100)]) {
      expect(hasReplacementCharacter(text!)).toBe(true);
    }
    expect(hasReplacementCharacter(JSON.stringify({ username: 'ana 🛒 \u00e9' }))).toBe(false);
  });
});
