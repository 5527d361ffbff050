import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp as createCollectorApp } from '../functions/collector/app.ts';
import { FakeProducer } from '../functions/lib/fake-producer.ts';
import { createApp as createShopApp } from '../functions/shop/app.ts';
import { createNodeAssets } from '../functions/shop/node-assets.ts';
import { topicsFor } from '../shared/topics.ts';

/** Rendered escaped: what a shopper types comes back on the page as text, never as markup. */
const MARKUP = '<img src=x onerror=alert(1)>';

const producer = new FakeProducer();
let server: ServerType;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  const site = new Hono()
    .route('/', createShopApp({ assets: createNodeAssets() }))
    .route('/', createCollectorApp({ producer, topics: topicsFor('escaping-test'), produceTimeoutMs: 5_000 }));
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

async function openShop() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // A request for /x would mean the markup became an element (its src=x resolves there).
  const imageRequests: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/x') imageRequests.push(request.url());
  });
  await page.goto(baseUrl);
  await page.getByLabel('Username', { exact: true }).waitFor();
  return { context, page, dialogs, imageRequests };
}

describe('the shop renders what users type as text', () => {
  it('shows <img src=x onerror=alert(1)> in the confirmation as text, and no img element is created', async () => {
    const { context, page, dialogs, imageRequests } = await openShop();
    try {
      await page.getByLabel('Username', { exact: true }).fill(MARKUP);
      await page.getByRole('button', { name: 'Add to cart', exact: true }).click();
      const status = page.getByRole('status');
      await status.getByText('Added to cart.').waitFor();

      expect(await status.textContent()).toContain(MARKUP);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.evaluate(() => document.querySelectorAll('[onerror]').length)).toBe(0);
      expect(producer.values().at(-1)).toMatchObject({ username: MARKUP });
      await page.waitForTimeout(200); // room for a would-be onerror to fire
      expect(dialogs).toEqual([]);
      expect(imageRequests).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('keeps markup inert on the refusal path too', async () => {
    const { context, page, dialogs } = await openShop();
    try {
      await page.getByLabel('Username', { exact: true }).fill(`${MARKUP}${'<b>x</b>'.repeat(4)}`); // over 32: refused
      await page.getByRole('button', { name: 'Add to cart', exact: true }).click();
      await page.getByRole('status').getByText('The shop refused this cart').waitFor();
      expect(await page.locator('img, b:not(strong)').count()).toBe(0);
      expect(await page.getByLabel('Username', { exact: true }).inputValue()).toBe(`${MARKUP}${'<b>x</b>'.repeat(4)}`);
      expect(dialogs).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('the page script never writes HTML from strings', async () => {
    const res = await fetch(`${baseUrl}/static/shop.js`);
    expect(res.status).toBe(200);
    const source = await res.text();
    expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|dangerouslySetInnerHTML/);
  });
});
