import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { fetchCatalog, postCart } from './api.js';
import { createTracker } from './tracker.js';

// The clickstream tracker (web/tracker.js): page views, option changes and add-to-cart clicks,
// queued in localStorage and batched to POST /api/events. POST /api/cart below is unchanged.
const tracker = createTracker().start();
tracker.track('page_view', { title: document.title });

/** Visible names of the fields, also used to name the fields in the server's refusals. */
const FIELD_LABELS = {
  username: 'Username',
  category: 'Category',
  gender: 'Gender',
  style: 'Style',
  size: 'Size',
  hexColor: 'Colour',
};

const labelOf = (field) => (Object.hasOwn(FIELD_LABELS, field) ? FIELD_LABELS[field] : field);

function useCatalog() {
  const [state, setState] = useState({ catalog: null, error: null });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    fetchCatalog().then(
      (catalog) => current && setState({ catalog, error: null }),
      (error) => current && setState({ catalog: null, error: error.message }),
    );
    return () => {
      current = false;
    };
  }, [attempt]);
  const retry = () => {
    setState({ catalog: null, error: null });
    setAttempt((n) => n + 1);
  };
  return { ...state, retry };
}

function Masthead() {
  return html`
    <header class="masthead">
      <span class="brand-mark" aria-hidden="true"></span>
      <span class="brand">clickstream shop</span>
    </header>
  `;
}

function UsernameField({ value, invalid, onChange }) {
  return html`
    <div class="field">
      <label for="username">Username</label>
      <input
        id="username"
        name="username"
        autocomplete="username"
        spellcheck="false"
        required
        value=${value}
        aria-invalid=${invalid}
        aria-describedby="username-hint"
        onInput=${(event) => onChange(event.currentTarget.value)}
      />
      <p id="username-hint" class="hint">Who is shopping? The product options appear once you enter a name.</p>
    </div>
  `;
}

function OptionSelect({ name, choices, value, invalid, onChange }) {
  return html`
    <div class="field">
      <label for=${name}>${labelOf(name)}</label>
      <select
        id=${name}
        name=${name}
        value=${value}
        aria-invalid=${invalid}
        onChange=${(event) => onChange(event.currentTarget.value)}
      >
        <option value="">Any</option>
        ${choices.map((choice) => html`<option key=${choice} value=${choice}>${choice}</option>`)}
      </select>
    </div>
  `;
}

/** A colour input cannot be empty, so "no colour" is our own state: null until the user picks one. */
function ColourField({ value, invalid, onChange }) {
  // What the swatch shows while no colour is chosen: the last pick, so Clear is easy to undo.
  const [lastPicked, setLastPicked] = useState('#6366f1');
  const input = useRef(null);
  const pick = (colour) => {
    setLastPicked(colour);
    onChange(colour);
  };
  const clear = () => {
    onChange(null);
    // The Clear button disappears with the colour; keep keyboard focus where it was.
    input.current.focus();
  };
  return html`
    <div class="field">
      <label for="colour">Colour</label>
      <div class="colour-row">
        <input
          ref=${input}
          id="colour"
          name="colour"
          type="color"
          class=${value === null ? 'swatch is-unset' : 'swatch'}
          value=${value ?? lastPicked}
          aria-invalid=${invalid}
          aria-describedby="colour-state"
          onInput=${(event) => pick(event.currentTarget.value)}
        />
        <span id="colour-state" class="colour-state">${value ?? 'No colour'}</span>
        ${value !== null && html`<button type="button" class="clear" onClick=${clear}>Clear</button>`}
      </div>
    </div>
  `;
}

function ProductOptions({ catalog, error, retry, selection, fieldErrors, onSelect }) {
  if (error !== null) {
    return html`
      <div class="notice error">
        <p>The catalogue could not be loaded: ${error}.</p>
        <button type="button" class="secondary" onClick=${retry}>Try again</button>
      </div>
    `;
  }
  if (catalog === null) return html`<p class="notice">Loading the catalogue…</p>`;
  return html`
    <fieldset class="options">
      <legend>Product <span class="optional">every option is optional</span></legend>
      <div class="grid">
        ${Object.entries(catalog).map(
          ([name, choices]) => html`
            <${OptionSelect}
              key=${name}
              name=${name}
              choices=${choices}
              value=${selection[name] ?? ''}
              invalid=${name in fieldErrors}
              onChange=${(value) => onSelect(name, value)}
            />
          `,
        )}
        <${ColourField}
          value=${selection.hexColor}
          invalid=${'hexColor' in fieldErrors}
          onChange=${(value) => onSelect('hexColor', value)}
        />
      </div>
    </fieldset>
  `;
}

function describeCart({ username, ...options }) {
  const chosen = Object.values(options).filter((value) => value != null);
  return `${username.trim()}: ${chosen.length > 0 ? chosen.join(' · ') : 'no options chosen'}`;
}

function Outcome({ outcome }) {
  switch (outcome.kind) {
    case 'sending':
      return html`<p class="message">Sending your cart…</p>`;
    case 'accepted':
      return html`
        <div class="message success">
          <p><strong>Added to cart.</strong> ${describeCart(outcome.cart)}</p>
          <p class="event-id">Event id <code>${outcome.eventId}</code></p>
        </div>
      `;
    case 'refused':
      return html`
        <div class="message error">
          <p><strong>The shop refused this cart:</strong> ${outcome.error}</p>
          <ul class="reasons">
            ${Object.entries(outcome.fields).map(
              ([field, reason]) => html`<li key=${field}><strong>${labelOf(field)}:</strong> ${reason}</li>`,
            )}
          </ul>
        </div>
      `;
    case 'unavailable':
      return html`
        <div class="message error">
          <p><strong>The shop cannot take carts right now:</strong> ${outcome.reason ?? outcome.error}</p>
          <p>Please try again ${outcome.retryAfter ? `in ${outcome.retryAfter} s` : 'shortly'}; sending the same cart again will not add it twice.</p>
        </div>
      `;
    default:
      return html`
        <div class="message error">
          <p><strong>Your cart did not reach the shop:</strong> ${outcome.error}</p>
          <p>Check your connection and try again.</p>
        </div>
      `;
  }
}

const EMPTY_SELECTION = { hexColor: null };

function Shop() {
  const { catalog, error, retry } = useCatalog();
  const [username, setUsername] = useState('');
  const [selection, setSelection] = useState(EMPTY_SELECTION);
  const [outcome, setOutcome] = useState(null);
  const [sending, setSending] = useState(false);
  // A ref, not state: the second click of a double-click arrives before a re-render could disable the button.
  const inFlight = useRef(false);
  // The last cart whose fate is unknown (503, network), so that sending it again reuses its eventId.
  const unsettled = useRef(null);

  const onSelect = (name, value) => {
    setSelection((current) => ({ ...current, [name]: value }));
    tracker.identify(username);
    // "Any" is the empty string: no value chosen.
    tracker.track('option_selected', { option: name, value: value || null });
  };

  async function addToCart(event) {
    event.preventDefault();
    if (inFlight.current) return;
    inFlight.current = true;
    setSending(true);
    setOutcome({ kind: 'sending' });

    const cart = { username };
    for (const name of Object.keys(catalog ?? {})) cart[name] = selection[name] || null;
    cart.hexColor = selection.hexColor;
    const key = JSON.stringify(cart);
    const retry = unsettled.current?.key === key;
    // One id for the click and its cart: the tracker's add_to_cart (table events) and the cart row
    // (table clickstream_data) share it. A retry of the same cart is the same click, so it is not tracked again.
    const eventId = retry ? unsettled.current.eventId : tracker.newEventId();
    if (!retry) {
      tracker.identify(username);
      const { username: _, ...chosen } = cart;
      tracker.track('add_to_cart', chosen, { eventId, flush: true });
    }
    const result = await postCart(eventId ? { eventId, ...cart } : cart);
    unsettled.current = result.kind === 'unavailable' || result.kind === 'unreachable' ? { key, eventId } : null;

    setOutcome({ ...result, cart });
    setSending(false);
    inFlight.current = false;
  }

  const fieldErrors = outcome?.kind === 'refused' ? outcome.fields : {};
  return html`
    <${Masthead} />
    <main class="card">
      <h1>Build your cart</h1>
      <p class="lede">Tell us who you are, pick what you fancy, and add it to your cart.</p>
      <form onSubmit=${addToCart}>
        <${UsernameField} value=${username} invalid=${'username' in fieldErrors} onChange=${setUsername} />
        ${username.trim() !== '' &&
        html`<${ProductOptions}
          catalog=${catalog}
          error=${error}
          retry=${retry}
          selection=${selection}
          fieldErrors=${fieldErrors}
          onSelect=${onSelect}
        />`}
        <div class="actions">
          <button type="submit" class=${sending ? 'primary is-busy' : 'primary'} disabled=${sending}>Add to cart</button>
        </div>
      </form>
      <div class="status" role="status" aria-live="polite">${outcome && html`<${Outcome} outcome=${outcome} />`}</div>
    </main>
  `;
}

render(html`<${Shop} />`, document.getElementById('shop'));
