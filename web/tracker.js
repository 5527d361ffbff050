// The clickstream tracker: a plain ES module, no build step, no dependencies.
//
// What it promises:
// - Nothing is lost on unload: every event is written to localStorage the moment it is tracked and
//   stays there until the server acknowledged it (202 with its eventId in `accepted`). pagehide and
//   visibilitychange send what is queued with fetch(keepalive) in chunks under 64 KiB, and whatever
//   that could not deliver is sent again on the next page load.
// - Nothing is doubled: each event has a UUIDv7 `eventId` made once, kept across retries and
//   reloads, and the events table's primary key; the server stores a re-sent event once.
// - The queue is bounded (oldest dropped first); drops are counted and reported to the server.
// - 429/503 Retry-After is honoured; other failures back off exponentially, capped, with jitter.
// - Offline, it waits for the `online` event instead of burning retries.
// - Tabs share one queue; with Web Locks only one tab sends at a time.
//
// Field names match shared/tracked-event.ts (web/tracker.test.ts checks a tracker-made batch against it).

const DEFAULTS = {
  endpoint: '/api/events',
  /** Most events in one request. */
  maxBatch: 50,
  /** Most bytes in one request body: keepalive requests may carry 64 KiB in all, so stay under it. */
  maxChunkBytes: 60 * 1024,
  /** Events wait at most this long before a batch goes out. */
  flushIntervalMs: 1000,
  /** Most events kept in storage; past it the oldest are dropped and counted. */
  maxQueue: 1000,
  sessionTimeoutMs: 30 * 60 * 1000,
  backoff: { initialMs: 1000, maxMs: 60_000 },
  /** Longest Retry-After honoured, so a misconfigured server cannot silence the tracker for days. */
  maxRetryAfterMs: 10 * 60 * 1000,
  requestTimeoutMs: 10_000,
  storagePrefix: 'cs.',
};

const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'];
const CONTROL_CHARACTERS = /\p{Cc}/gu;
const TEXT_DIRECTION_MARK = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/** A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by creation time. */
export function uuidv7(nowMs = Date.now(), randomBytes = globalThis.crypto.getRandomValues(new Uint8Array(10))) {
  const bytes = new Uint8Array(16);
  let ms = Math.floor(nowMs);
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes.set(randomBytes.subarray(0, 10), 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f); // variant 10
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Capped exponential backoff with full jitter: between half and all of min(max, initial * 2^attempt). */
export function backoffDelay(attempt, policy = DEFAULTS.backoff, random = Math.random) {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Milliseconds to wait from a Retry-After header (seconds or an HTTP date); null when absent or unreadable. */
export function retryAfterMs(header, nowMs = Date.now()) {
  if (header == null || header === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** The server's username rules (shared/cart-event.ts): 1..32 characters after trimming, no control characters or text-direction marks. */
function validUsername(name) {
  if (typeof name !== 'string') return null;
  const trimmed = name.trim();
  const length = [...trimmed].length;
  const malformed = typeof trimmed.isWellFormed === 'function' && !trimmed.isWellFormed();
  if (length === 0 || length > 32 || /\p{Cc}/u.test(trimmed) || TEXT_DIRECTION_MARK.test(trimmed) || malformed) return null;
  return trimmed;
}

const clean = (value, max) => (typeof value === 'string' && value !== '' ? value.replace(CONTROL_CHARACTERS, '').slice(0, max) : null);

/**
 * Creates a tracker. Everything it touches comes from `options` when given (tests pass fakes):
 * storage, fetch, now, random, setTimeout/clearTimeout, window, navigator.
 */
export function createTracker(options = {}) {
  const o = { ...DEFAULTS, ...options, backoff: { ...DEFAULTS.backoff, ...options.backoff } };
  const win = o.window ?? globalThis.window;
  const nav = o.navigator ?? globalThis.navigator;
  const doFetch = o.fetch ?? ((...args) => globalThis.fetch(...args));
  const now = o.now ?? (() => Date.now());
  const random = o.random ?? Math.random;
  const setTimer = o.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = o.clearTimeout ?? ((id) => clearTimeout(id));
  const newId = o.newId ?? (() => uuidv7(now()));
  const key = (name) => `${o.storagePrefix}${name}`;

  // Storage, with an in-memory stand-in when localStorage is missing or refuses (private modes, quota).
  const memory = new Map();
  const storage = o.storage === undefined ? safeLocalStorage() : o.storage;
  const read = (name, fallback) => {
    try {
      const text = storage ? storage.getItem(key(name)) : memory.get(name);
      return text == null ? fallback : JSON.parse(text);
    } catch {
      return fallback;
    }
  };
  const write = (name, value) => {
    const text = JSON.stringify(value);
    if (storage) storage.setItem(key(name), text);
    else memory.set(name, text);
  };

  const stats = { sent: 0, accepted: 0, rejected: 0, failures: 0, lastStatus: null };
  const inFlight = new Set(); // eventIds in an ordinary request of this page
  const leaving = new Set(); // eventIds in a keepalive request sent on pagehide/visibilitychange
  let sending = false;
  let timer = null;
  let timerAt = Infinity;
  let started = false;
  const listeners = [];

  // ---- persistent state ----------------------------------------------------------------------

  function anonymousId() {
    let id = read('anon', null);
    if (typeof id !== 'string') {
      id = newId();
      write('anon', id);
    }
    return id;
  }

  function queue() {
    const q = read('queue', []);
    return Array.isArray(q) ? q : [];
  }

  /** Saves the queue; past maxQueue, or when storage is full, drops the oldest events and counts them. */
  function saveQueue(q) {
    let dropped = Math.max(0, q.length - o.maxQueue);
    let kept = dropped > 0 ? q.slice(dropped) : q;
    for (;;) {
      try {
        write('queue', kept);
        break;
      } catch {
        // Storage full: give up the oldest tenth (at least one) and try again.
        if (kept.length === 0) break;
        const cut = Math.max(1, Math.floor(kept.length / 10));
        kept = kept.slice(cut);
        dropped += cut;
      }
    }
    if (dropped > 0) {
      try {
        write('dropped', read('dropped', 0) + dropped);
        write('droppedTotal', read('droppedTotal', 0) + dropped);
      } catch {
        /* counted nowhere if storage refuses even a number */
      }
    }
    return kept;
  }

  function removeFromQueue(ids) {
    if (ids.size === 0) return;
    saveQueue(queue().filter((event) => !ids.has(event.eventId)));
  }

  function urlUtm() {
    const utm = {};
    let any = false;
    try {
      const params = new URL(win.location.href).searchParams;
      for (const name of UTM_KEYS) {
        utm[name] = clean(params.get(`utm_${name}`), 200);
        if (utm[name] !== null) any = true;
      }
    } catch {
      return null;
    }
    return any ? utm : null;
  }

  /** The current session, renewed after sessionTimeoutMs without an event; takes the next sequence number. */
  function nextInSession(at) {
    let session = read('session', null);
    const fresh = urlUtm();
    if (!session || typeof session.id !== 'string' || at - session.last > o.sessionTimeoutMs) {
      session = { id: newId(), seq: 0, last: at, utm: fresh };
    } else if (fresh) {
      session.utm = fresh; // a new campaign link within the session wins
    }
    const seq = session.seq;
    session.seq += 1;
    session.last = at;
    write('session', session);
    return { sessionId: session.id, seq, utm: session.utm };
  }

  // ---- tracking ------------------------------------------------------------------------------

  /** Remembers who is shopping; names the server would refuse are ignored. */
  function identify(username) {
    const name = validUsername(username);
    if (name !== null) write('user', name);
    return name;
  }

  /**
   * Records one event: `page_view` {title}, `option_selected` {option, value}, `add_to_cart`
   * {category, gender, style, size, hexColor}. It is in storage when this returns. `eventId` may be
   * given (the shop shares it with its cart); `flush: true` sends now instead of within a second.
   */
  function track(type, properties, { eventId = newId(), flush: now_ = false } = {}) {
    const at = now();
    const { sessionId, seq, utm } = nextInSession(at);
    const event = {
      eventId,
      type,
      anonymousId: anonymousId(),
      sessionId,
      seq,
      username: read('user', null),
      createdAt: new Date(at).toISOString(),
      url: clean(win?.location?.href, 2048) ?? 'about:blank',
      referrer: clean(win?.document?.referrer, 2048),
      utm: utm ?? { source: null, medium: null, campaign: null, term: null, content: null },
      viewport: win ? { width: Math.round(win.innerWidth || 0), height: Math.round(win.innerHeight || 0) } : null,
      properties: properties ?? null,
    };
    const q = queue();
    q.push(event);
    saveQueue(q);
    if (now_ || q.length >= o.maxBatch) schedule(0);
    else schedule(o.flushIntervalMs);
    return eventId;
  }

  // ---- delivery ------------------------------------------------------------------------------

  function backoffUntil() {
    const state = read('backoff', null);
    return state && typeof state.until === 'number' ? state : { attempt: 0, until: 0 };
  }

  function schedule(delayMs) {
    const at = Math.max(now() + delayMs, backoffUntil().until);
    if (timer !== null && timerAt <= at) return;
    if (timer !== null) clearTimer(timer);
    timerAt = at;
    timer = setTimer(() => {
      timer = null;
      timerAt = Infinity;
      void flush();
    }, Math.max(0, at - now()));
  }

  /** The oldest events not already on their way, up to maxBatch and maxChunkBytes of JSON. */
  function nextChunk(q, skip, budgetBytes) {
    const chunk = [];
    let bytes = 64; // the envelope: {"events":[...],"dropped":n}
    for (const event of q) {
      if (skip.has(event.eventId)) continue;
      const size = utf8Length(JSON.stringify(event)) + 48; // + sentAt and a comma
      if (chunk.length > 0 && (bytes + size > budgetBytes || chunk.length >= o.maxBatch)) break;
      if (chunk.length === 0 && bytes + size > budgetBytes) break;
      chunk.push(event);
      bytes += size;
    }
    return { chunk, bytes };
  }

  function bodyOf(chunk) {
    const sentAt = new Date(now()).toISOString();
    const dropped = read('dropped', 0);
    const events = chunk.map((event) => ({ ...event, sentAt }));
    return { text: JSON.stringify(dropped > 0 ? { events, dropped } : { events }), dropped };
  }

  /** Settles a batch from the server's answer; true when it is done with (acknowledged or refused for good). */
  async function settle(chunk, reportedDropped, response) {
    stats.lastStatus = response.status;
    const ids = new Set(chunk.map((event) => event.eventId));
    if (response.status === 202 || response.status === 200 || response.status === 400) {
      const answer = await response.json().catch(() => null);
      const accepted = new Set(Array.isArray(answer?.accepted) ? answer.accepted : []);
      const rejected = Array.isArray(answer?.rejected) ? answer.rejected : null;
      let done;
      if (rejected === null && response.status === 400) {
        done = ids; // refused as a whole (malformed): sending it again cannot help
      } else {
        done = new Set([...ids].filter((id) => accepted.has(id)));
        for (const r of rejected ?? []) if (chunk[r?.index]) done.add(chunk[r.index].eventId);
      }
      if (done.size === 0) {
        // A 2xx that names none of the batch (a proxy's page, a truncated answer): not an acknowledgement.
        fail(null);
        return false;
      }
      stats.accepted += [...done].filter((id) => accepted.has(id)).length;
      stats.rejected += [...done].filter((id) => !accepted.has(id)).length;
      removeFromQueue(done);
      if (reportedDropped > 0 && response.status !== 400) write('dropped', Math.max(0, read('dropped', 0) - reportedDropped));
      write('backoff', { attempt: 0, until: 0 });
      return true;
    }
    if (response.status === 413 && chunk.length === 1) {
      stats.rejected += 1;
      removeFromQueue(ids);
      return true;
    }
    fail(response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get('retry-after'), now()) : null);
    return false;
  }

  function fail(serverDelayMs) {
    stats.failures += 1;
    const { attempt } = backoffUntil();
    const ownDelay = backoffDelay(attempt, o.backoff, random);
    const delay = serverDelayMs === null ? ownDelay : Math.min(o.maxRetryAfterMs, Math.max(serverDelayMs, 0));
    write('backoff', { attempt: attempt + 1, until: now() + delay });
  }

  const offline = () => nav?.onLine === false;

  /**
   * Sends queued events. Tabs share the queue, so where the browser has Web Locks only one tab sends
   * at a time (the others try again later); without them two tabs may send the same event, which
   * the server stores once.
   */
  async function flush() {
    if (sending) return;
    const locks = nav?.locks;
    if (typeof locks?.request !== 'function') return flushNow();
    let held = false;
    await locks.request(`${o.storagePrefix}flush`, { ifAvailable: true }, async (lock) => {
      if (lock === null) return;
      held = true;
      await flushNow();
    });
    if (!held && queue().length > 0) schedule(o.flushIntervalMs);
  }

  /** Sends queued events, one request at a time, until the queue is empty or a request fails. */
  async function flushNow() {
    if (sending) return;
    sending = true;
    let failed = false;
    try {
      for (;;) {
        if (offline()) return; // the online event sends again
        if (backoffUntil().until > now()) {
          failed = true;
          break;
        }
        const { chunk } = nextChunk(queue(), leaving, o.maxChunkBytes);
        if (chunk.length === 0) break;
        const { text, dropped } = bodyOf(chunk);
        for (const event of chunk) inFlight.add(event.eventId);
        stats.sent += chunk.length;
        let ok = false;
        try {
          const response = await doFetch(o.endpoint, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: text,
            credentials: 'same-origin',
            signal: typeof AbortSignal?.timeout === 'function' ? AbortSignal.timeout(o.requestTimeoutMs) : undefined,
          });
          ok = await settle(chunk, dropped, response);
        } catch {
          fail(null);
        } finally {
          for (const event of chunk) inFlight.delete(event.eventId);
        }
        if (!ok) {
          failed = true;
          break;
        }
      }
    } finally {
      sending = false;
    }
    // After a failure, the next try is when the backoff (or Retry-After) ends; schedule() waits for it.
    if (queue().some((event) => !leaving.has(event.eventId))) schedule(failed ? 0 : o.flushIntervalMs);
  }

  /**
   * The page is going away (or hidden, which on mobile may be the last chance): send what is queued
   * with fetch(keepalive), which outlives the page, in chunks within the 64 KiB keepalive budget;
   * navigator.sendBeacon where keepalive is refused. Events stay queued until acknowledged, so what
   * this cannot deliver goes out on the next page load; the server stores a repeat once.
   */
  function flushOnExit() {
    // Offline, or asked to wait (Retry-After, backoff): the events stay queued for the next page.
    if (offline() || backoffUntil().until > now()) return;
    let budget = o.maxChunkBytes;
    const q = queue();
    const skip = new Set(leaving);
    for (;;) {
      const { chunk, bytes } = nextChunk(q, skip, budget);
      if (chunk.length === 0) break;
      const { text, dropped } = bodyOf(chunk);
      budget -= bytes;
      const ids = chunk.map((event) => event.eventId);
      for (const id of ids) {
        skip.add(id);
        leaving.add(id);
      }
      let request;
      try {
        request = doFetch(o.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
          credentials: 'same-origin',
          keepalive: true,
        });
      } catch {
        request = null;
      }
      if (request) {
        stats.sent += chunk.length;
        // If the page lives on (it was only hidden), the answer settles the batch as usual.
        request
          .then((response) => settle(chunk, dropped, response))
          .catch(() => fail(null))
          .finally(() => ids.forEach((id) => leaving.delete(id)));
      } else {
        ids.forEach((id) => leaving.delete(id));
        const beaconed = nav?.sendBeacon?.(o.endpoint, new Blob([text], { type: 'application/json' }));
        if (!beaconed) break;
        stats.sent += chunk.length;
      }
    }
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  function on(target, type, handler) {
    if (!target?.addEventListener) return;
    target.addEventListener(type, handler);
    listeners.push(() => target.removeEventListener(type, handler));
  }

  /** Listens for pagehide, hidden and online, and sends what an earlier page left queued. */
  function start() {
    if (started) return api;
    started = true;
    on(win, 'pagehide', () => flushOnExit());
    on(win?.document, 'visibilitychange', () => {
      if (win.document.visibilityState === 'hidden') flushOnExit();
    });
    on(win, 'online', () => {
      write('backoff', { attempt: 0, until: 0 });
      void flush();
    });
    if (queue().length > 0) schedule(0);
    return api;
  }

  function stop() {
    listeners.splice(0).forEach((remove) => remove());
    if (timer !== null) clearTimer(timer);
    timer = null;
    timerAt = Infinity;
    started = false;
  }

  const api = {
    start,
    stop,
    track,
    identify,
    flush,
    flushOnExit,
    newEventId: newId,
    /** What the tracker did so far, and what it holds. */
    state: () => ({
      ...stats,
      queued: queue().length,
      dropped: read('droppedTotal', 0),
      unreportedDropped: read('dropped', 0),
      backoff: backoffUntil(),
      anonymousId: read('anon', null),
      session: read('session', null),
    }),
  };
  return api;
}

function safeLocalStorage() {
  try {
    const storage = globalThis.localStorage;
    const probe = '__cs_probe__';
    storage.setItem(probe, probe);
    storage.removeItem(probe);
    return storage;
  } catch {
    return null;
  }
}

function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
