/**
 * What the collector's own code costs per cart, without a broker: `npx tsx bench/collector-overhead.ts`.
 * Bare node:http (the bench's ceiling), a bare hono route on @hono/node-server, and the collector
 * app with a producer that acknowledges at once, and the same with one that acknowledges after
 * 7 ms (the broker's acks=all wait, at no CPU), each in its own process under the bench's load
 * (autocannon, 64 connections, valid carts), in alternating rounds; prints requests/s and the
 * server's CPU per request. Bare hono against bare node:http is the framework's cost; the collector
 * against bare hono, its code's; the delayed collector against the prompt one, what waiting costs,
 * and its rate the bound that 64 connections and that wait set.
 */
import { freePort } from '../redpanda/kafka/free-port.ts';
import { spawnNode } from './child.ts';
import { hammer } from './collector.ts';
import { int, say } from './progress.ts';
import { meterCpu } from './rss.ts';

const ROUNDS = 3;
const SECONDS = 5;
const servers = [
  { name: 'bare node:http', entry: 'bench/bare-http-server.ts', variant: '' },
  { name: 'bare hono route', entry: 'bench/collector-overhead-server.ts', variant: 'hono' },
  { name: 'collector, producer acknowledging at once', entry: 'bench/collector-overhead-server.ts', variant: 'collector' },
  { name: 'collector, producer acknowledging after 7 ms', entry: 'bench/collector-overhead-server.ts', variant: 'collector-delayed' },
];

const children = await Promise.all(
  servers.map(async (server) => {
    const port = await freePort();
    const child = spawnNode(server.name, server.entry, { PORT: String(port), VARIANT: server.variant }, port);
    return { ...server, child, accepted: 0, cpuSeconds: 0 };
  }),
);
try {
  await Promise.all(children.map(({ child }) => child.waitFor('/healthz')));
  for (const { name, child } of children) await hammer(child.url, `${name} warm-up`, 64, 2);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const server of children) {
      const cpu = meterCpu({ server: { pid: server.child.pid } });
      const t0 = performance.now();
      const result = await hammer(server.child.url, `${server.name}, round ${round}/${ROUNDS}`, 64, SECONDS);
      server.cpuSeconds += cpu.stop().server! * ((performance.now() - t0) / 1000);
      server.accepted += result.accepted;
    }
  }
  for (const { name, accepted, cpuSeconds } of children) {
    say(`${name}: ${int(accepted / (ROUNDS * SECONDS))} requests/s, ${((cpuSeconds * 1e6) / accepted).toFixed(0)} µs CPU per request`);
  }
} finally {
  await Promise.all(children.map(({ child }) => child.stop()));
}
