/**
 * A load of carts from concurrent clients that behave like the shop's page: each cart has its own
 * eventId, kept across retries; 503, 429 and network errors are retried (after Retry-After when
 * given) until a 202 or until the client gives up.
 */
export interface LoadOptions {
  readonly url: string;
  readonly total: number;
  readonly concurrency: number;
  /** A cart still unacknowledged this long after its first attempt is given up. */
  readonly giveUpAfterMs: number;
  readonly onProgress?: (acknowledged: number, total: number) => void;
}

export interface LoadLedger {
  sent: number;
  readonly acknowledged: Set<string>;
  readonly gaveUp: Set<string>;
  /** 4xx answers other than 429: the load only sends valid carts, so any of these is a bug. */
  readonly refused: Map<number, number>;
  retries: number;
}

const SIZES = ['XS', 'S', 'M', 'L', 'XL', null];

export async function runLoad(options: LoadOptions): Promise<LoadLedger> {
  const ledger: LoadLedger = { sent: 0, acknowledged: new Set(), gaveUp: new Set(), refused: new Map(), retries: 0 };
  let next = 0;
  const progressEvery = Math.max(1, Math.floor(options.total / 10));

  async function deliver(i: number): Promise<void> {
    const eventId = crypto.randomUUID();
    const body = JSON.stringify({ eventId, username: `load-${i % 97}`, size: SIZES[i % SIZES.length], category: 'Hat' });
    const firstAttempt = Date.now();
    ledger.sent++;
    for (let attempt = 0; ; attempt++) {
      let wait = Math.min(2000, 100 * 2 ** attempt);
      try {
        const res = await fetch(`${options.url}/api/cart`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        if (res.status === 202) {
          ledger.acknowledged.add(eventId);
          if (ledger.acknowledged.size % progressEvery === 0) options.onProgress?.(ledger.acknowledged.size, options.total);
          return;
        }
        if (res.status !== 503 && res.status !== 429) {
          ledger.refused.set(res.status, (ledger.refused.get(res.status) ?? 0) + 1);
          return;
        }
        const retryAfter = Number(res.headers.get('retry-after'));
        if (retryAfter > 0) wait = retryAfter * 1000;
      } catch {
        // Connection refused or reset, or our own timeout: the same as a 503 to a client.
      }
      if (Date.now() - firstAttempt > options.giveUpAfterMs) {
        ledger.gaveUp.add(eventId);
        return;
      }
      ledger.retries++;
      await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random() / 2)));
    }
  }

  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.total) await deliver(next++);
    }),
  );
  return ledger;
}
