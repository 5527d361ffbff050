import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { describe, expect, it } from 'vitest';
import { type CrossOriginResourcePolicy, secureJson, securityHeaders } from './secure-json.ts';

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => name !== 'content-type' && (headers[name] = value));
  return headers;
}

describe('secureJson', () => {
  it.each<CrossOriginResourcePolicy>(['same-origin', 'cross-origin'])('has the headers hono secureHeaders() sets (%s)', async (policy) => {
    const app = new Hono().use(secureHeaders({ crossOriginResourcePolicy: policy })).get('/', (c) => c.json({}));
    expect(securityHeaders(policy)).toEqual(headersOf(await app.request('/')));
  });

  it('puts them on its own answers and, through the middleware, on every other answer', async () => {
    const secure = secureJson('same-origin');
    const app = new Hono()
      .use(secure.middleware)
      .post('/fast', () => secure.json({ ok: true }, 202))
      .get('/other', (c) => c.text('plain', 200, { 'x-own': 'kept' }));
    const fast = await app.request('/fast', { method: 'POST' });
    expect(fast.status).toBe(202);
    expect(await fast.json()).toEqual({ ok: true });
    expect(fast.headers.get('content-type')).toBe('application/json');
    expect(headersOf(fast)).toEqual(securityHeaders('same-origin'));
    const other = await app.request('/other');
    expect(other.headers.get('x-own')).toBe('kept');
    expect(headersOf(other)).toEqual({ ...securityHeaders('same-origin'), 'x-own': 'kept' });
    expect((await app.request('/missing')).headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('secures an answer built elsewhere, and leaves its own as they are', () => {
    const secure = secureJson('cross-origin');
    const error = secure.secure(new Response('{}', { status: 503, headers: { 'retry-after': '1' } }));
    expect(headersOf(error)).toEqual({ ...securityHeaders('cross-origin'), 'retry-after': '1' });
    const own = secure.json({ ok: true }, 202);
    expect(secure.secure(own)).toBe(own);
    expect(headersOf(own)).toEqual(securityHeaders('cross-origin'));
  });
});
