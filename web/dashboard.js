import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

// The pipeline's live dashboard. Data from the stats function (functions/stats/app.ts):
// GET /api/stats/summary and /api/stats/pipeline every 2 s, and GET /api/stats/feed (server-sent
// events) for each new row. Charts by Chart.js, which draws on canvas and needs no inline styles.

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Filler);

const REFRESH_MS = 2000;
const FEED_SIZE = 40;

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#4f46e5';

async function getJson(url) {
  const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

/** Polls `url` every REFRESH_MS (and whenever `nudge` changes); `{ data, error }`. */
function usePolled(url, nudge) {
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    let current = true;
    const load = () =>
      getJson(url).then(
        (data) => current && setState({ data, error: null }),
        (error) => current && setState((s) => ({ data: s.data, error: error.message })),
      );
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      current = false;
      clearInterval(timer);
    };
  }, [url, nudge]);
  return state;
}

/** The live feed: newest first, at most FEED_SIZE entries. */
function useFeed() {
  const [entries, setEntries] = useState([]);
  const [status, setStatus] = useState('connecting');
  const [ticks, setTicks] = useState(0);
  useEffect(() => {
    const source = new EventSource('/api/stats/feed');
    const add = (kind) => (message) => {
      const item = { kind, ...JSON.parse(message.data) };
      const at = (e) => Date.parse(e.occurredAt ?? e.createdAt) || 0;
      // Newest first by event time: a batch from the tracker arrives after the cart it preceded.
      setEntries((list) =>
        [item, ...list.filter((e) => !(e.kind === kind && e.eventId === item.eventId))]
          .sort((a, b) => at(b) - at(a))
          .slice(0, FEED_SIZE),
      );
      setTicks((n) => n + 1);
    };
    source.addEventListener('hello', () => setStatus('live'));
    source.addEventListener('tracked', add('tracked'));
    source.addEventListener('cart', add('cart'));
    source.addEventListener('trouble', () => setStatus('database unavailable'));
    source.onerror = () => setStatus('reconnecting');
    source.onopen = () => setStatus('live');
    return () => source.close();
  }, []);
  return { entries, status, ticks };
}

/** A Chart.js chart on a canvas, created once and updated in place when `data` changes. */
function ChartBox({ type, labels, values, label, horizontal = false, fill = false, testId }) {
  const canvas = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    const accent = css('--accent');
    chart.current = new Chart(canvas.current, {
      type,
      data: {
        labels,
        datasets: [
          {
            label,
            data: values,
            backgroundColor: type === 'line' ? `${accent}33` : accent,
            borderColor: accent,
            borderWidth: type === 'line' ? 2 : 0,
            borderRadius: type === 'bar' ? 6 : 0,
            fill,
            pointRadius: 0,
            tension: 0.25,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: horizontal ? 'y' : 'x',
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, grid: { display: horizontal }, ticks: { color: css('--muted'), maxRotation: 0, autoSkip: true, maxTicksLimit: 10, precision: 0 } },
          y: { beginAtZero: true, ticks: { color: css('--muted'), precision: 0 } },
        },
      },
    });
    return () => chart.current.destroy();
  }, []);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.labels = labels;
    c.data.datasets[0].data = values;
    c.update('none');
  }, [JSON.stringify(labels), JSON.stringify(values)]);
  return html`<div class="chart-box"><canvas ref=${canvas} data-testid=${testId} role="img" aria-label=${label}></canvas></div>`;
}

const clock = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { ...clock, second: '2-digit' }) : '');
const minuteLabel = (ms) => new Date(ms).toLocaleTimeString([], clock);
/** UUIDv7s share their leading (time) digits, so the tail is what tells them apart. */
const shortId = (id) => `…${id.slice(-12)}`;
const number = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString());

function describe(entry) {
  if (entry.kind === 'cart') {
    const chosen = [entry.category, entry.gender, entry.style, entry.size, entry.hexColor].filter(Boolean);
    return chosen.length > 0 ? chosen.join(' · ') : 'no options chosen';
  }
  const p = entry.properties ?? {};
  switch (entry.type) {
    case 'page_view':
      return p.title ?? 'page';
    case 'option_selected':
      return `${p.option} = ${p.value ?? 'Any'}`;
    case 'add_to_cart':
      return [p.category, p.gender, p.style, p.size, p.hexColor].filter(Boolean).join(' · ') || 'no options chosen';
    default:
      return '';
  }
}

function Feed({ feed }) {
  return html`
    <section class="panel wide feed-panel" aria-labelledby="feed-title">
      <header class="panel-head">
        <h2 id="feed-title">Live feed</h2>
        <span class=${`pill ${feed.status === 'live' ? 'ok' : 'warn'}`} data-testid="feed-status">${feed.status}</span>
      </header>
      ${feed.entries.length === 0
        ? html`<p class="empty">Waiting for events… open the <a href="/">shop</a> in another tab.</p>`
        : html`<ol class="feed" data-testid="feed">
            ${feed.entries.map(
              (e) => html`
                <li key=${`${e.kind}-${e.eventId}`} class="feed-item" data-event-id=${e.eventId} data-kind=${e.kind} data-type=${e.type ?? 'cart'}>
                  <span class="feed-time">${time(e.occurredAt ?? e.createdAt)}</span>
                  <span class=${`badge ${e.kind === 'cart' ? 'cart' : e.type}`}>${e.kind === 'cart' ? 'cart stored' : e.type.replaceAll('_', ' ')}</span>
                  <span class="feed-user">${e.username ?? 'anonymous'}</span>
                  <span class="feed-detail">${describe(e)}</span>
                  <span class="feed-seq" title=${e.kind === 'tracked' ? 'sequence number in the session' : 'event id'}>${e.kind === 'tracked' ? `#${e.seq}` : ''}</span>
                  <code class="feed-id" title=${e.eventId}>${shortId(e.eventId)}</code>
                </li>
              `,
            )}
          </ol>`}
    </section>
  `;
}

function Tiles({ totals }) {
  const tiles = [
    ['Events', totals?.events],
    ['Sessions', totals?.sessions],
    ['Visitors', totals?.visitors],
    ['Carts stored', totals?.carts],
  ];
  return html`
    <div class="tiles">
      ${tiles.map(
        ([name, value]) => html`<div class="tile" key=${name}><span class="tile-value" data-testid=${`tile-${name}`}>${number(value)}</span><span class="tile-name">${name} · 24 h</span></div>`,
      )}
    </div>
  `;
}

function Counters({ pipeline }) {
  if (!pipeline) return html`<p class="empty">Loading counters…</p>`;
  const rows = [
    ['Received by the collector', 'received', 'received'],
    ['Acknowledged to the browser', 'acknowledged', 'accepted'],
    ['Refused by the collector', 'rejected', 'rejected'],
    ['Dropped by full browser queues', null, 'droppedInBrowsers'],
    ['Consumed from the topic', 'consumed', 'consumed'],
    ['Inserted into Postgres', 'inserted', 'inserted'],
    ['Duplicates skipped', 'duplicates', 'duplicates'],
    ['Dead-lettered', 'deadLettered', 'deadLettered'],
    ['Consumer lag (messages)', 'lag', 'lag'],
    ['Rows in Postgres', 'rows', 'rows'],
  ];
  const down = pipeline.sources.filter((s) => !s.ok);
  return html`
    <table class="counters" data-testid="counters">
      <thead><tr><th scope="col">Counter</th><th scope="col">Carts <small>(/api/cart)</small></th><th scope="col">Tracked events <small>(/api/events)</small></th></tr></thead>
      <tbody>
        ${rows.map(
          ([name, cart, tracked]) => html`
            <tr key=${name}>
              <th scope="row">${name}</th>
              <td>${cart ? number(pipeline.carts[cart]) : ''}</td>
              <td>${number(pipeline.tracked[tracked])}</td>
            </tr>
          `,
        )}
      </tbody>
    </table>
    ${pipeline.sources.length === 0 && html`<p class="hint">No /metrics sources configured (STATS_METRICS_URLS): only Postgres counts shown.</p>`}
    ${down.map((s) => html`<p class="hint warn-text" key=${s.name}>${s.name}: ${s.error}</p>`)}
  `;
}

function LatestCarts({ carts }) {
  if (!carts || carts.length === 0) return html`<p class="empty">No carts yet.</p>`;
  return html`
    <table class="carts" data-testid="latest-carts">
      <thead><tr><th scope="col">Time</th><th scope="col">User</th><th scope="col">Cart</th><th scope="col">Event id</th></tr></thead>
      <tbody>
        ${carts.map(
          (c) => html`
            <tr key=${c.eventId} data-event-id=${c.eventId}>
              <td>${time(c.createdAt)}</td>
              <td>${c.username}</td>
              <td>${describe({ kind: 'cart', ...c })}</td>
              <td><code title=${c.eventId}>${shortId(c.eventId)}</code></td>
            </tr>
          `,
        )}
      </tbody>
    </table>
  `;
}

function Dashboard() {
  const feed = useFeed();
  // A new row in the feed refreshes the numbers at once instead of at the next tick.
  const [nudge, setNudge] = useState(0);
  useEffect(() => {
    const timer = setTimeout(() => setNudge(feed.ticks), 150);
    return () => clearTimeout(timer);
  }, [feed.ticks]);
  const summary = usePolled('/api/stats/summary', nudge);
  const pipeline = usePolled('/api/stats/pipeline', nudge);
  const s = summary.data;
  const funnel = s?.funnel ?? { viewed: 0, selected: 0, carted: 0 };

  return html`
    <header class="masthead dash-masthead">
      <span class="brand-mark" aria-hidden="true"></span>
      <span class="brand">clickstream dashboard</span>
      <a class="nav-link" href="/">Shop →</a>
    </header>
    <main class="dash">
      ${summary.error && html`<p class="notice error">Stats unavailable: ${summary.error}</p>`}
      <${Tiles} totals=${s?.totals} />
      <div class="dash-grid">
        <section class="panel wide" aria-labelledby="epm-title">
          <h2 id="epm-title">Events per minute <small>last 30 minutes</small></h2>
          <${ChartBox}
            type="line"
            fill=${true}
            label="Events per minute"
            testId="chart-per-minute"
            labels=${(s?.perMinute ?? []).map((m) => minuteLabel(m.minute))}
            values=${(s?.perMinute ?? []).map((m) => m.events)}
          />
        </section>
        <section class="panel" aria-labelledby="funnel-title">
          <h2 id="funnel-title">Funnel by session <small>24 h</small></h2>
          <${ChartBox}
            type="bar"
            label="Sessions"
            testId="chart-funnel"
            labels=${['Viewed', 'Chose an option', 'Added to cart']}
            values=${[funnel.viewed, funnel.selected, funnel.carted]}
          />
          <p class="funnel-numbers" data-testid="funnel">${number(funnel.viewed)} → ${number(funnel.selected)} → ${number(funnel.carted)} sessions</p>
        </section>
        <section class="panel" aria-labelledby="products-title">
          <h2 id="products-title">Top products <small>carts by category, 24 h</small></h2>
          <${ChartBox}
            type="bar"
            horizontal=${true}
            label="Carts"
            testId="chart-products"
            labels=${(s?.topProducts ?? []).map((p) => p.product)}
            values=${(s?.topProducts ?? []).map((p) => p.count)}
          />
        </section>
        <section class="panel" aria-labelledby="options-title">
          <h2 id="options-title">Top options <small>option changes, 24 h</small></h2>
          <${ChartBox}
            type="bar"
            horizontal=${true}
            label="Selections"
            testId="chart-options"
            labels=${(s?.topOptions ?? []).map((o) => `${o.option}: ${o.value}`)}
            values=${(s?.topOptions ?? []).map((o) => o.count)}
          />
        </section>
        <section class="panel" aria-labelledby="pipeline-title">
          <h2 id="pipeline-title">Pipeline <small>carts and tracked events, counted at each step</small></h2>
          <${Counters} pipeline=${pipeline.data} />
        </section>
        <${Feed} feed=${feed} />
        <section class="panel wide" aria-labelledby="carts-title">
          <h2 id="carts-title">Latest carts <small>clickstream_data</small></h2>
          <${LatestCarts} carts=${s?.latestCarts} />
        </section>
      </div>
    </main>
  `;
}

render(html`<${Dashboard} />`, document.getElementById('dashboard'));
