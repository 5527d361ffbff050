import { describe, expect, it } from 'vitest';
import { createApp } from '../functions/collector/app.ts';
import { FakeProducer } from '../functions/lib/fake-producer.ts';
import { topicsFor } from '../shared/topics.ts';
import { cartRequestFor } from './events.ts';
import { ceilingAnswer, FIXED_EVENT_ID, parseCeilingAnswer } from './ceiling-answer.ts';

describe("the bare node:http ceiling's answer", () => {
  it("is the collector's 202: the same headers and a body of the same length", async () => {
    const app = createApp({ producer: new FakeProducer(), topics: topicsFor('bench'), produceTimeoutMs: 1000 });
    const response = await app.request('/api/cart', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(cartRequestFor(1)),
    });
    expect(response.status).toBe(202);
    const body = await response.text();
    const answer = ceilingAnswer('collector');
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    expect(headers).toEqual(answer.headers);
    expect(answer.body('ana')).toHaveLength(body.length);
    expect(JSON.parse(answer.body('ana'))).toEqual({ eventId: FIXED_EVENT_ID });
    expect(Object.keys(JSON.parse(body) as object)).toEqual(['eventId']);
  });

  it('is minimal on request, and nothing else is taken', () => {
    expect(ceilingAnswer('minimal').headers).toEqual({ 'content-type': 'application/json' });
    expect(ceilingAnswer('minimal').body('ana')).toBe('{"accepted":true,"user":"string"}');
    expect(parseCeilingAnswer(undefined)).toBe('collector');
    expect(() => parseCeilingAnswer('tiny')).toThrow(/ANSWER must be collector or minimal, not tiny/);
  });
});
