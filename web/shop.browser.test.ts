import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp as createCollectorApp } from '../functions/collector/app.ts';
import { FakeProducer } from '../functions/lib/fake-producer.ts';
import { createApp as createShopApp } from '../functions/shop/app.ts';
import { createNodeAssets } from '../functions/shop/node-assets.ts';
import type { BrokerProducer } from '../shared/broker-port.ts';
import { BrokerUnavailableError } from '../shared/errors.ts';
import { topicsFor } from '../shared/topics.ts';

const SCREENSHOT = new URL('../test-artifacts/shop.png', import.meta.url);
// Long enough that the second click of a double-click lands while the first cart is in flight.
const PRODUCE_DELAY_MS = 300;

const recorded = new FakeProducer();
// The tracker's events (web/tracker.js, POST /api/events) go to a topic of their own; this file checks carts.
const tracked = new FakeProducer();
const slowProducer: BrokerProducer = {
  produce: async (topic, messages) => {
    if (topic === topicsFor('ui-test').tracked) return tracked.produce(topic, messages);
    await new Promise((resolve) => setTimeout(resolve, PRODUCE_DELAY_MS));
    return recorded.produce(topic, messages);
  },
  health: () => recorded.health(),
  close: () => recorded.close(),
};

let server: ServerType;
let baseUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleLines: string[];
let cartBodies: Record<string, unknown>[];

beforeAll(async () => {
  const site = new Hono()
    .route('/', createShopApp({ assets: createNodeAssets() }))
    .route('/', createCollectorApp({ producer: slowProducer, topics: topicsFor('ui-test'), produceTimeoutMs: 5_000 }));
  server = serve({ fetch: site.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(async () => {
  recorded.sent.length = 0;
  recorded.failWith = undefined;
  consoleLines = [];
  cartBodies = [];
  context = await browser.newContext({ viewport: { width: 900, height: 820 }, colorScheme: 'light' });
  // Chromium reports CSP violations on the console; the event catches any it might not.
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`),
    ),
  );
  page = await context.newPage();
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  page.on('request', (request) => {
    if (request.url().endsWith('/api/cart')) cartBodies.push(request.postDataJSON());
  });
  await page.goto(baseUrl);
  await page.getByLabel('Username', { exact: true }).waitFor();
});

afterEach(async () => {
  await context.close();
});

const cspViolations = () => consoleLines.filter((line) => /content security policy/i.test(line));
const label = (name: string) => page.getByLabel(name, { exact: true });
const addToCart = () => page.getByRole('button', { name: 'Add to cart', exact: true });
const status = () => page.getByRole('status');

describe('shop page in Chromium', () => {
  it('shows the options once a username is entered and sends exactly one cart per double-click', async () => {
    for (const name of ['Category', 'Gender', 'Style', 'Size', 'Colour']) {
      expect(await label(name).count(), name).toBe(0);
    }
    await label('Username').fill('alice');
    await label('Category').selectOption('Hoodie');
    await label('Gender').selectOption('Women');
    await label('Style').selectOption('Streetwear');
    await label('Size').selectOption('M');
    await label('Colour').fill('#ff8800');

    await addToCart().dblclick();
    expect(await addToCart().isDisabled()).toBe(true);
    await status().getByText('Added to cart.').waitFor();

    expect(recorded.values()).toEqual([
      expect.objectContaining({
        type: 'add_to_cart',
        username: 'alice',
        category: 'Hoodie',
        gender: 'Women',
        style: 'Streetwear',
        size: 'M',
        hexColor: '#ff8800',
      }),
    ]);
    expect(cartBodies).toHaveLength(1);
    const { eventId } = recorded.values()[0] as { eventId: string };
    expect(await status().textContent()).toContain(eventId);
    expect(await addToCart().isEnabled()).toBe(true);
    expect(cspViolations()).toEqual([]);
    expect(consoleLines.filter((line) => line.startsWith('pageerror'))).toEqual([]);

    await mkdir(new URL('.', SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
  });

  it('sends null for options left unselected, including a cleared colour', async () => {
    await label('Username').fill('bob');
    await label('Size').selectOption('XL');
    await label('Colour').fill('#112233');
    await page.getByRole('button', { name: 'Clear' }).click();
    await addToCart().click();
    await status().getByText('Added to cart.').waitFor();
    expect(recorded.values()).toEqual([
      expect.objectContaining({ username: 'bob', category: null, gender: null, style: null, size: 'XL', hexColor: null }),
    ]);
    expect(cspViolations()).toEqual([]);
  });

  it('explains a broker outage, and a retry of the same cart reuses its event id', async () => {
    recorded.failWith = new BrokerUnavailableError('broker is down for maintenance');
    await label('Username').fill('carol');
    await label('Category').selectOption('Hat');
    await addToCart().click();
    await status().getByText('The shop cannot take carts right now').waitFor();
    expect(await status().textContent()).toContain('broker is down for maintenance');
    expect(recorded.sent).toEqual([]);

    recorded.failWith = undefined;
    await addToCart().click();
    await status().getByText('Added to cart.').waitFor();
    expect(cartBodies).toHaveLength(2);
    expect(cartBodies[1].eventId).toBe(cartBodies[0].eventId);
    expect(recorded.values()).toEqual([expect.objectContaining({ eventId: cartBodies[0].eventId, category: 'Hat' })]);
    expect(cspViolations()).toEqual([]);
  });

  it("shows the server's refusal of a 40-character username, field by field", async () => {
    await label('Username').fill('x'.repeat(40));
    await addToCart().click();
    await status().getByText('The shop refused this cart').waitFor();
    expect(await status().textContent()).toContain('Username: must be at most 32 characters');
    expect(await label('Username').getAttribute('aria-invalid')).toBe('true');
    expect(recorded.sent).toEqual([]);
    expect(cspViolations()).toEqual([]);
  });

  it('says so when the server cannot be reached', async () => {
    await page.route('**/api/cart', (route) => route.abort('connectionrefused'));
    await label('Username').fill('dave');
    await addToCart().click();
    await status().getByText('Your cart did not reach the shop').waitFor();
    expect(await addToCart().isEnabled()).toBe(true);
    expect(cspViolations()).toEqual([]);
  });

  it('runs under an enforced CSP: an injected inline script is refused and reported', async () => {
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.head.append(script);
    });
    await expect.poll(() => cspViolations().length).toBeGreaterThan(0);
    expect(await page.evaluate(() => 'injected' in window)).toBe(false);
  });
});
