import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { topicsFor } from '../../shared/topics.ts';
import { createApp } from '../collector/app.ts';
import { FakeProducer } from './fake-producer.ts';
import { nodeClientKey, SERVER_TIMEOUTS, serveHardened } from './node-process.ts';

const servers: ServerType[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function collectorOnSocket(trustProxy: boolean, limit: number) {
  const app = createApp({
    producer: new FakeProducer(),
    topics: topicsFor('node-entry'),
    produceTimeoutMs: 1000,
    rateLimitPerMinute: limit,
    clientKey: nodeClientKey(trustProxy),
  });
  const server = serveHardened({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  servers.push(server);
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/cart`;
  const post = (headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"username":"n"}' }).then(
      (res) => res.status,
    );
  return { server, post };
}

describe('Node entry helpers', () => {
  it('serveHardened sets the timeouts on the server', async () => {
    const { server } = await collectorOnSocket(false, 0);
    const http = server as Server & { connectionsCheckingInterval: number };
    expect(http.headersTimeout).toBe(SERVER_TIMEOUTS.headersTimeoutMs);
    expect(http.requestTimeout).toBe(SERVER_TIMEOUTS.requestTimeoutMs);
    expect(http.keepAliveTimeout).toBe(SERVER_TIMEOUTS.keepAliveTimeoutMs);
    expect(http.connectionsCheckingInterval).toBe(SERVER_TIMEOUTS.checkIntervalMs);
  });

  it('rate limits by socket address, ignoring X-Forwarded-For when the proxy is not trusted', async () => {
    const { post } = await collectorOnSocket(false, 2);
    expect(await post({ 'x-forwarded-for': '198.51.100.1' })).toBe(202);
    expect(await post({ 'x-forwarded-for': '198.51.100.2' })).toBe(202);
    expect(await post({ 'x-forwarded-for': '198.51.100.3' })).toBe(429);
  });

  it('rate limits by the last X-Forwarded-For entry behind a trusted proxy', async () => {
    const { post } = await collectorOnSocket(true, 1);
    expect(await post({ 'x-forwarded-for': '198.51.100.1' })).toBe(202);
    expect(await post({ 'x-forwarded-for': '198.51.100.1' })).toBe(429);
    expect(await post({ 'x-forwarded-for': '198.51.100.1, 198.51.100.2' })).toBe(202);
    // A forged first entry does not buy a fresh bucket.
    expect(await post({ 'x-forwarded-for': '6.6.6.6, 198.51.100.2' })).toBe(429);
  });
});
