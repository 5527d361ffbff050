import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicsFor } from '../../shared/topics.ts';
import { FakeProducer } from '../lib/fake-producer.ts';
import { hardenServer } from '../lib/node-process.ts';
import { createApp } from './app.ts';

// Short bounds, so the test sees the server close the slow sockets in seconds (production: 10 s and 30 s).
const HEADERS_TIMEOUT_MS = 2000;
const CHECK_INTERVAL_MS = 100;
const SLOW_SOCKETS = 200;
const SLOW_BYTE_EVERY_MS = 200;
const NORMAL_POSTS = 100;
const NORMAL_CONCURRENCY = 10;
/** No slow client writes past this, whatever the server does: the attack's own bound. */
const SLOW_CLIENTS_GIVE_UP_MS = 15_000;
/**
 * How late past the headers timeout a socket may close: the checking interval plus scheduling on a
 * busy two-core machine. Unhardened, Node would hold these sockets for 60 s (its headersTimeout).
 */
const CLOSE_SLACK_MS = 3000;

/**
 * The slowloris clients, in a process of their own as an attacker would be: each opens a
 * connection and sends request headers one byte at a time, never finishing them. Prints one JSON
 * line once all are connected, then one per socket the server closes.
 */
const SLOW_CLIENTS = `
import net from 'node:net';
const [port, count, everyMs, giveUpMs] = process.argv.slice(1).map(Number);
const head = 'POST /api/cart HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/json\\r\\nX-Slow: ' + 'a'.repeat(500);
const sockets = [];
let open = 0;
const done = () => { for (const s of sockets) s.destroy(); process.exit(0); };
setTimeout(done, giveUpMs);
for (let i = 0; i < count; i++) {
  const socket = net.connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  let openedAt, sent = 0, answer = '', timer;
  socket.setEncoding('latin1');
  socket.on('data', (chunk) => (answer += chunk));
  socket.on('error', () => {});
  socket.once('connect', () => {
    openedAt = performance.now();
    if (++open === count) console.log(JSON.stringify({ ready: true }));
    timer = setInterval(() => {
      if (socket.destroyed || sent >= head.length) return clearInterval(timer);
      socket.write(head[sent++]);
    }, everyMs);
  });
  socket.on('close', () => {
    clearInterval(timer);
    console.log(JSON.stringify({ closed: i, openMs: performance.now() - openedAt, answer: answer.slice(0, 12), sent }));
    if (--open === 0) process.exit(0);
  });
}
`;

interface Closed {
  readonly closed: number;
  readonly openMs: number;
  readonly answer: string;
  readonly sent: number;
}

const producer = new FakeProducer();
let server: ServerType;
let port: number;

beforeAll(async () => {
  const app = createApp({ producer, topics: topicsFor('slow-clients'), produceTimeoutMs: 1000 });
  server = hardenServer(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }), {
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: 4000,
    checkIntervalMs: CHECK_INTERVAL_MS,
  });
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

async function timedPost(i: number): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/api/cart`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: `normal-${i}` }),
    signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

async function normalTraffic(count: number): Promise<{ statuses: number[]; p99: number; max: number }> {
  const results: { status: number; ms: number }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: NORMAL_CONCURRENCY }, async () => {
      while (next < count) results.push(await timedPost(next++));
    }),
  );
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b);
  return { statuses: results.map((r) => r.status), p99: sorted[Math.ceil(0.99 * sorted.length) - 1]!, max: sorted.at(-1)! };
}

describe('slow clients on the hardened Node server', () => {
  it('serves normal clients promptly while 200 slowloris sockets trickle headers, then closes those sockets', async () => {
    // The same traffic with no attack: warms the client's pool, and says what this machine manages right now
    // (CI shares two cores with a broker and a database), so a busy machine is not mistaken for a blocked server.
    const baseline = await normalTraffic(NORMAL_POSTS);
    expect(baseline.statuses).toEqual(Array(NORMAL_POSTS).fill(202));
    const p99Bound = Math.max(1000, 4 * baseline.p99);
    producer.sent.length = 0;

    const attacker = spawn(
      process.execPath,
      ['--input-type=module', '-e', SLOW_CLIENTS, String(port), String(SLOW_SOCKETS), String(SLOW_BYTE_EVERY_MS), String(SLOW_CLIENTS_GIVE_UP_MS)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(attacker, 'exit');
    try {
      const closed: Closed[] = [];
      let ready!: () => void;
      const allConnected = new Promise<void>((resolve) => (ready = resolve));
      createInterface({ input: attacker.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as { ready?: true } & Closed;
        if (event.ready) ready();
        else closed.push(event);
      });
      await allConnected;
      // Let every slow socket get some bytes in, so each holds a half-parsed request.
      await new Promise((r) => setTimeout(r, 500));
      expect(closed).toEqual([]);

      const started = performance.now();
      const normal = await normalTraffic(NORMAL_POSTS);
      const trafficMs = performance.now() - started;
      expect(normal.statuses).toEqual(Array(NORMAL_POSTS).fill(202));
      const report = `under attack p99 ${normal.p99.toFixed(0)} ms, max ${normal.max.toFixed(0)} ms; baseline p99 ${baseline.p99.toFixed(0)} ms`;
      expect(normal.p99, report).toBeLessThan(p99Bound);
      expect(normal.max, report).toBeLessThan(Math.max(2000, 4 * baseline.max));
      expect(producer.sent).toHaveLength(NORMAL_POSTS);
      // The normal traffic was served while the slow sockets were still open, not after they were gone.
      if (trafficMs < HEADERS_TIMEOUT_MS) expect(closed).toEqual([]);

      await exited;
      expect(closed, 'every slow socket was closed by the server, before the clients gave up').toHaveLength(SLOW_SOCKETS);
      const openFor = closed.map((c) => c.openMs);
      expect(Math.max(...openFor), 'longest a slow socket stayed open (ms)').toBeLessThan(
        HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + CLOSE_SLACK_MS,
      );
      expect(Math.min(...openFor), 'no socket is closed before its headers timeout').toBeGreaterThanOrEqual(
        HEADERS_TIMEOUT_MS - 100,
      );
      // Each was answered 408 (a client still writing may lose that answer to the TCP reset, so not all read it),
      // none had finished its headers, and none got near a cart.
      const answers = closed.map((c) => c.answer).filter(Boolean);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.every((a) => a.startsWith('HTTP/1.1 408'))).toBe(true);
      expect(closed.every((c) => c.sent < 200)).toBe(true);
      expect(producer.sent).toHaveLength(NORMAL_POSTS);

      // And the server is still up for the next client.
      expect((await timedPost(NORMAL_POSTS)).status).toBe(202);
    } finally {
      attacker.kill();
    }
  });
});
