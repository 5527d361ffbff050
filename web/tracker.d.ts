// Types of web/tracker.js for the TypeScript tests; the browser loads the .js as it is.

export type TrackedType = 'page_view' | 'option_selected' | 'add_to_cart';

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem?(key: string): void;
}

export interface TrackerOptions {
  endpoint?: string;
  maxBatch?: number;
  maxChunkBytes?: number;
  flushIntervalMs?: number;
  maxQueue?: number;
  sessionTimeoutMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  maxRetryAfterMs?: number;
  requestTimeoutMs?: number;
  storagePrefix?: string;
  /** null: keep everything in memory. */
  storage?: StorageLike | null;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  now?: () => number;
  random?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (id: unknown) => void;
  newId?: () => string;
  window?: unknown;
  navigator?: unknown;
}

export interface TrackerState {
  sent: number;
  accepted: number;
  rejected: number;
  failures: number;
  lastStatus: number | null;
  queued: number;
  dropped: number;
  unreportedDropped: number;
  backoff: { attempt: number; until: number };
  anonymousId: string | null;
  session: { id: string; seq: number; last: number } | null;
}

export interface Tracker {
  start(): Tracker;
  stop(): void;
  track(type: TrackedType, properties: Record<string, unknown> | null, options?: { eventId?: string; flush?: boolean }): string;
  identify(username: string): string | null;
  flush(): Promise<void>;
  flushOnExit(): void;
  newEventId(): string;
  state(): TrackerState;
}

export function createTracker(options?: TrackerOptions): Tracker;
export function uuidv7(nowMs?: number, randomBytes?: Uint8Array): string;
export function backoffDelay(attempt: number, policy?: { initialMs: number; maxMs: number }, random?: () => number): number;
export function retryAfterMs(header: string | null | undefined, nowMs?: number): number | null;
