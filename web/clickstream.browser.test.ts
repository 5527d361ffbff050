import { mkdir } from 'node:fs/promises';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { trackedEventSchema } from '../shared/tracked-event.ts';
import { type Site, startSite } from '../test/site-harness.ts';

// The tracker, the pipeline and the dashboard together: headless Chromium against a real broker and
// a real Postgres (test/site-harness.ts), the consumer in-process.

const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);

let site: Site;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  site = await startSite('browser');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  await mkdir(ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

afterEach(async () => {
  site.gate = { mode: 'open' };
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

interface Watched {
  page: Page;
  /** Console errors, page errors and CSP violations. */
  problems: string[];
  /** Every event id the page sent to /api/events, with how many times it was sent. */
  sentIds: Map<string, number>;
  /** Every event as sent, for the schema check. */
  sentEvents: Record<string, unknown>[];
}

async function openPage(path: string, context?: BrowserContext): Promise<Watched> {
  if (!context) {
    context = await browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme: 'light' });
    contexts.push(context);
  }
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`),
    ),
  );
  const page = await context.newPage();
  const watched: Watched = { page, problems: [], sentIds: new Map(), sentEvents: [] };
  watch(watched);
  await page.goto(`${site.url}${path}`);
  return watched;
}

function watch(watched: Watched) {
  const { page } = watched;
  page.on('pageerror', (error) => watched.problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) watched.problems.push(message.text());
  });
  page.on('request', (request) => {
    if (!request.url().endsWith('/api/events')) return;
    const body = request.postDataJSON() as { events: Record<string, unknown>[] };
    for (const event of body.events) {
      watched.sentEvents.push(event);
      const id = String(event.eventId);
      watched.sentIds.set(id, (watched.sentIds.get(id) ?? 0) + 1);
    }
  });
}

const label = (page: Page, name: string) => page.getByLabel(name, { exact: true });

/** The tracker's queue as stored in the page's localStorage. */
async function queuedIds(page: Page): Promise<string[]> {
  return page.evaluate(() => (JSON.parse(localStorage.getItem('cs.queue') ?? '[]') as { eventId: string }[]).map((e) => e.eventId));
}

async function anonymousId(page: Page): Promise<string> {
  return page.evaluate(() => JSON.parse(localStorage.getItem('cs.anon') ?? 'null') as string);
}

/** Waits until every id is in `events`, then checks that the visitor has exactly those rows, once each. */
async function expectLandedOnce(visitor: string, ids: Iterable<string>) {
  const expected = new Set(ids);
  const rows = await site.waitFor(`${expected.size} events of ${visitor}`, async () => {
    const found = await site.eventRows({ anonymousId: visitor });
    const stored = new Set(found.map((r) => String(r.event_id)));
    return [...expected].every((id) => stored.has(id)) ? found : null;
  });
  // Give a late duplicate (a keepalive request, a re-send after reload) time to arrive and be skipped.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const final = await site.eventRows({ anonymousId: visitor });
  const counts = new Map<string, number>();
  for (const row of final) counts.set(String(row.event_id), (counts.get(String(row.event_id)) ?? 0) + 1);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  expect(new Set(counts.keys())).toEqual(expected);
  expect(final.length).toBe(rows.length);
  return final;
}

/** Sequence numbers within each session run 0, 1, 2, … without a gap. */
function expectNoGaps(rows: Record<string, unknown>[]) {
  const bySession = new Map<string, number[]>();
  for (const row of rows) bySession.set(String(row.session_id), [...(bySession.get(String(row.session_id)) ?? []), Number(row.seq)]);
  for (const seqs of bySession.values()) expect(seqs.sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i));
}

describe('the clickstream in a real browser (real broker, real Postgres)', () => {
  it('lands a cart in clickstream_data, its clicks in events, and the dashboard shows it within 2 s', async () => {
    const dashboard = await openPage('/dashboard');
    await dashboard.page.getByTestId('feed-status').getByText('live').waitFor();
    const shop = await openPage('/');
    const { page } = shop;

    await label(page, 'Username').fill('dana');
    await label(page, 'Category').selectOption('Jacket');
    await label(page, 'Gender').selectOption('Women');
    await label(page, 'Style').selectOption('Outdoor');
    await label(page, 'Size').selectOption('S');
    await label(page, 'Colour').fill('#0f766e');
    await page.getByRole('button', { name: 'Add to cart', exact: true }).click();
    await page.getByRole('status').getByText('Added to cart.').waitFor();
    const eventId = (await page.locator('.event-id code').textContent())!.trim();

    // The cart row, exactly as POST /api/cart makes it (seed parity).
    const [cart] = await site.waitFor('the cart row', async () => {
      const rows = await site.cartRows(eventId);
      return rows.length > 0 ? rows : null;
    });
    const stored = Date.now();
    expect(cart).toMatchObject({ username: 'dana', category: 'Jacket', gender: 'Women', style: 'Outdoor', size: 'S', hex_color: '#0f766e' });
    expect(await site.cartRows(eventId)).toHaveLength(1);

    // The dashboard's live feed shows the stored cart within 2 s of its commit.
    await dashboard.page.locator(`.feed-item[data-kind="cart"][data-event-id="${eventId}"]`).waitFor({ timeout: 2_000 });
    expect(Date.now() - stored).toBeLessThanOrEqual(2_000);

    // The tracker's events: page view, five option changes and the add-to-cart click, whose id is the cart's.
    const visitor = await anonymousId(page);
    const rows = await expectLandedOnce(visitor, await site.waitFor('the tracker to send everything', async () => {
      const queued = await queuedIds(page);
      return queued.length === 0 && shop.sentIds.size >= 7 ? [...shop.sentIds.keys()] : null;
    }));
    expect(rows.map((r) => r.type)).toEqual(['page_view', ...Array(5).fill('option_selected'), 'add_to_cart']);
    expectNoGaps(rows);
    const click = rows.find((r) => r.type === 'add_to_cart')!;
    expect(click).toMatchObject({ event_id: eventId, username: 'dana' });
    expect(click.properties).toEqual({ category: 'Jacket', gender: 'Women', style: 'Outdoor', size: 'S', hexColor: '#0f766e' });
    // What the browser really sent passes the server's schema, field for field.
    for (const event of shop.sentEvents) expect(trackedEventSchema.safeParse(event).success, JSON.stringify(event)).toBe(true);

    // The dashboard's charts and counters catch up.
    await dashboard.page.getByTestId('funnel').getByText('1 → 1 → 1 sessions').waitFor({ timeout: 5_000 });
    await dashboard.page.locator(`[data-testid="latest-carts"] tr[data-event-id="${eventId}"]`).waitFor({ timeout: 5_000 });
    await dashboard.page.getByTestId('tile-Carts stored').getByText('1', { exact: true }).waitFor({ timeout: 5_000 });

    expect(shop.problems).toEqual([]);
    expect(dashboard.problems).toEqual([]);

    // A few more shoppers, so that the screenshots show something.
    for (const [name, category, size] of [
      ['eli', 'Hoodie', 'M'],
      ['fay', 'Hoodie', 'L'],
      ['gus', 'Shoes', null],
    ] as const) {
      const other = await openPage('/');
      await label(other.page, 'Username').fill(name);
      await label(other.page, 'Category').selectOption(category);
      if (size) await label(other.page, 'Size').selectOption(size);
      await other.page.getByRole('button', { name: 'Add to cart', exact: true }).click();
      await other.page.getByRole('status').getByText('Added to cart.').waitFor();
    }
    await dashboard.page.getByTestId('tile-Carts stored').getByText('4', { exact: true }).waitFor({ timeout: 10_000 });
    await dashboard.page.getByTestId('funnel').getByText('4 → 4 → 4 sessions').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: new URL('clickstream-shop.png', ARTIFACTS).pathname, fullPage: true });
    await dashboard.page.screenshot({ path: new URL('dashboard.png', ARTIFACTS).pathname, fullPage: true });
    expect(dashboard.problems).toEqual([]);
  });

  it('keeps queued events across reloads while the endpoint is down, then lands each exactly once', async () => {
    site.gate = { mode: 'down' };
    const passedBefore = site.eventsRequests.passed;
    const shop = await openPage('/');
    const { page } = shop;
    await label(page, 'Username').fill('hana');
    await label(page, 'Category').selectOption('Dress');
    await label(page, 'Size').selectOption('XS');
    await page.getByRole('button', { name: 'Add to cart', exact: true }).click();
    await page.getByRole('status').getByText('Added to cart.').waitFor();
    await expect.poll(() => site.eventsRequests.arrived).toBeGreaterThan(0);
    const beforeReload = await queuedIds(page);
    expect(beforeReload).toHaveLength(4); // page view, two options, the click

    await page.reload();
    await label(page, 'Username').waitFor();
    await page.reload();
    await label(page, 'Username').waitFor();
    const afterReloads = await queuedIds(page);
    // Nothing was lost, nothing was re-made: the same ids, plus one page view per reload.
    expect(afterReloads.slice(0, 4)).toEqual(beforeReload);
    expect(afterReloads).toHaveLength(6);
    expect(site.eventsRequests.passed).toBe(passedBefore);

    site.gate = { mode: 'open' };
    const rows = await expectLandedOnce(await anonymousId(page), afterReloads);
    expectNoGaps(rows);
    await expect.poll(() => queuedIds(page)).toEqual([]);
    expect(shop.problems).toEqual([]);
  });

  it('lands events sent and re-sent around a reload (keepalive on pagehide, then again from the queue) once each', async () => {
    // Each request is held 1.5 s before the collector sees it, so the reload comes before any answer.
    site.gate = { mode: 'slow', delayMs: 1_500 };
    const shop = await openPage('/');
    const { page } = shop;
    await label(page, 'Username').fill('ivo');
    await label(page, 'Style').selectOption('Vintage');
    await page.getByRole('button', { name: 'Add to cart', exact: true }).click();
    await page.getByRole('status').getByText('Added to cart.').waitFor();
    const queued = await queuedIds(page);
    expect(queued.length).toBeGreaterThanOrEqual(3);
    await page.reload();
    await label(page, 'Username').waitFor();
    site.gate = { mode: 'open' };

    const ids = await site.waitFor('everything sent', async () => ((await queuedIds(page)).length === 0 ? [...shop.sentIds.keys()] : null));
    for (const id of queued) expect(ids).toContain(id);
    const rows = await expectLandedOnce(await anonymousId(page), ids);
    expectNoGaps(rows);
    // Some events went out more than once; the table still has each once.
    expect([...shop.sentIds.values()].some((n) => n > 1)).toBe(true);
    expect(shop.problems).toEqual([]);
  });

  it('queues events while offline and lands them exactly once when the browser is back online', async () => {
    const shop = await openPage('/');
    const { page } = shop;
    const context = page.context();
    await label(page, 'Username').fill('juno');
    await expect.poll(() => queuedIds(page)).toEqual([]); // the page view went out
    await context.setOffline(true);
    const requestsWhileOnline = site.eventsRequests.arrived;

    await label(page, 'Category').selectOption('Hat');
    await label(page, 'Colour').fill('#b91c1c');
    await page.getByRole('button', { name: 'Add to cart', exact: true }).click();
    await page.getByRole('status').getByText('Your cart did not reach the shop').waitFor();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const offlineQueue = await queuedIds(page);
    expect(offlineQueue).toHaveLength(3);
    expect(site.eventsRequests.arrived).toBe(requestsWhileOnline);

    await context.setOffline(false);
    await expect.poll(() => queuedIds(page), { timeout: 10_000 }).toEqual([]);
    const rows = await expectLandedOnce(await anonymousId(page), shop.sentIds.keys());
    for (const id of offlineQueue) expect(rows.map((r) => r.event_id)).toContain(id);
    expectNoGaps(rows);
    expect(shop.problems).toEqual([]);
  });
});
