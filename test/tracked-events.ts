import type { TrackedEventMessage } from '../shared/tracked-event.ts';

/** A valid tracked event as it travels on the topic, for tests; `overrides` win. */
export function trackedMessage(overrides: Partial<TrackedEventMessage> & Record<string, unknown> = {}): TrackedEventMessage {
  return {
    eventId: crypto.randomUUID(),
    type: 'page_view',
    anonymousId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a01',
    sessionId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a02',
    seq: 0,
    username: null,
    createdAt: '2026-11-28T09:59:58.123Z',
    sentAt: '2026-11-28T09:59:59.123Z',
    url: 'https://shop.example/?utm_source=news',
    referrer: null,
    utm: { source: 'news', medium: null, campaign: null, term: null, content: null },
    viewport: { width: 1280, height: 720 },
    properties: { title: 'shop' },
    receivedAt: '2026-11-28T10:00:00.000001Z',
    occurredAt: '2026-11-28T09:59:59.000001Z',
    ipTruncated: '203.0.113.0',
    userAgent: 'Test/1.0',
    ...overrides,
  } as TrackedEventMessage;
}
