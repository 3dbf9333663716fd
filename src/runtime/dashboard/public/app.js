// The dashboard: plain DOM, no framework. Every call goes through the REST API with the key the user typed (kept
// in sessionStorage only); live changes arrive on the event stream (/api/v1/events), read with fetch so the key
// travels in a header, never in a URL.
const KEY_STORAGE = 'whatsapp-runtime.apiKey';
const app = document.getElementById('app');
const live = document.getElementById('live');
const signOutButton = document.getElementById('sign-out');

const state = { key: sessionStorage.getItem(KEY_STORAGE), view: 'sessions', sandbox: false, stream: undefined, linking: undefined, chat: undefined, webhook: undefined, secret: undefined, pairing: undefined, error: undefined };

// ---- helpers ---------------------------------------------------------------------------------------------------

/** Creates an element; `on*` attributes become listeners, everything else attributes; children are text or nodes. */
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false || value === null) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) element.append(child instanceof Node ? child : String(child));
  return element;
}

class ApiFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${state.key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    signOut('The API key was refused: sign in again.');
    throw new ApiFailure(401, 'unauthorized');
  }
  if (response.status === 204) return undefined;
  const type = response.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await response.json() : await response.blob();
  if (!response.ok) throw new ApiFailure(response.status, data?.error?.message ?? `HTTP ${response.status}`);
  return data;
}

/** Runs an action from a button: errors are shown next to it, never swallowed. */
function action(run) {
  return async (event) => {
    event.preventDefault();
    const target = event.currentTarget;
    showError(undefined);
    // a submitted form's input is not carried over into the re-rendered page (see typedInput)
    if (target instanceof HTMLFormElement) target.dataset.sent = '';
    try {
      target.disabled = true;
      await run(event);
    } catch (error) {
      if (error.status !== 401) showError(error.message);
      if (target instanceof HTMLFormElement) delete target.dataset.sent;
    } finally {
      target.disabled = false;
    }
  };
}

/** The last failed action's message, at the top of the view until the next action (it survives re-renders). */
function showError(message) {
  state.error = message;
  document.getElementById('action-error')?.remove();
  if (message) app.querySelector('section.view')?.prepend(errorBanner());
}

function errorBanner() {
  return h('p', { class: 'error', role: 'alert', id: 'action-error' }, state.error);
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function status(value) {
  return h('span', { class: `status ${value}`, 'data-testid': 'status' }, value);
}

function time(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

// ---- sign-in and layout --------------------------------------------------------------------------------------

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.key = undefined;
  state.stream?.abort();
  renderSignIn(message);
}

function renderSignIn(message) {
  signOutButton.hidden = true;
  live.className = 'live off';
  live.textContent = 'offline';
  const form = h(
    'form',
    { class: 'card signin', onsubmit: action(async () => {
      state.key = form.elements.key.value.trim();
      await api('GET', '/me');
      sessionStorage.setItem(KEY_STORAGE, state.key);
      await start();
    }) },
    h('h2', {}, 'Sign in'),
    h('label', {}, 'API key', h('input', { name: 'key', type: 'password', autocomplete: 'off', required: true, 'data-testid': 'api-key' })),
    h('p', { class: 'notice' }, 'The key stays in this browser tab only.'),
    message && h('p', { class: 'error', role: 'alert' }, message),
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'),
  );
  app.replaceChildren(form);
}

const VIEWS = [
  ['sessions', 'Sessions'],
  ['webhooks', 'Webhooks'],
  ['outbound', 'Outbound'],
  ['sandbox', 'Sandbox'],
  ['keys', 'API keys'],
  ['audit', 'Audit log'],
];
const RENDER = { sessions: renderSessions, webhooks: renderWebhooks, outbound: renderOutbound, sandbox: renderSandbox };

async function start() {
  signOutButton.hidden = false;
  state.sandbox = await api('GET', '/sandbox').then(() => true, () => false);
  startStream();
  await show(state.view);
}

async function show(view) {
  clearTimeout(refreshTimer);
  state.error = undefined;
  state.view = view;
  state.secret = undefined;
  const nav = h(
    'nav',
    {},
    VIEWS.filter(([id]) => id !== 'sandbox' || state.sandbox).map(([id, label]) =>
      h('button', { 'aria-current': id === view ? 'page' : undefined, disabled: !RENDER[id], title: RENDER[id] ? undefined : 'Coming later', 'data-testid': `nav-${id}`, onclick: () => show(id) }, label),
    ),
  );
  const section = h('section', { class: 'view', 'data-testid': `view-${view}` });
  app.replaceChildren(nav, section);
  await refresh();
}

let renders = 0;
/** Re-renders the current view (after an action or a pushed event); of overlapping renders the latest one wins. */
async function refresh() {
  const section = app.querySelector('section.view');
  if (!section || !RENDER[state.view]) return;
  const render = ++renders;
  let content;
  try {
    content = await RENDER[state.view]();
  } catch (error) {
    if (error.status === 401) return;
    content = [h('p', { class: 'error', role: 'alert' }, error.message)];
  }
  if (render !== renders || !section.isConnected) return;
  const typed = typedInput(section);
  section.replaceChildren(...(state.error ? [errorBanner()] : []), ...content);
  restoreInput(section, typed);
}

/** What the user is typing, so a pushed re-render does not wipe it: values of text fields, and the focus. */
function typedInput(root) {
  const fields = [...root.querySelectorAll('input[name]:not([type=password]), textarea[name]')];
  return {
    values: fields.map((field, index) => [fieldKey(field, index), field.value, field]).filter(([, value, field]) => value && !field.form?.hasAttribute('data-sent')),
    focused: fields.includes(document.activeElement) ? fieldKey(document.activeElement, fields.indexOf(document.activeElement)) : undefined,
  };
}

function restoreInput(root, typed) {
  const fields = [...root.querySelectorAll('input[name]:not([type=password]), textarea[name]')];
  const byKey = new Map(fields.map((field, index) => [fieldKey(field, index), field]));
  for (const [key, value] of typed.values) if (byKey.has(key)) byKey.get(key).value = value;
  if (typed.focused) byKey.get(typed.focused)?.focus();
}

function fieldKey(field, index) {
  return field.dataset.testid ?? `${field.name}#${index}`;
}

let refreshTimer;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}

// ---- live events -------------------------------------------------------------------------------------------------

async function startStream(attempt = 0) {
  state.stream?.abort();
  const controller = new AbortController();
  state.stream = controller;
  try {
    const response = await fetch('/api/v1/events', { headers: { authorization: `Bearer ${state.key}` }, signal: controller.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    live.className = 'live on';
    live.textContent = 'live';
    attempt = 0;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
        if (data) onEvent(JSON.parse(data));
      }
    }
  } catch {
    if (controller.signal.aborted) return;
  }
  if (controller.signal.aborted || !state.key) return;
  live.className = 'live off';
  live.textContent = 'reconnecting';
  setTimeout(() => startStream(attempt + 1), Math.min(1000 * 2 ** attempt, 15_000));
}

function onEvent(event) {
  const type = event.type;
  if (state.view === 'sessions' && (type === 'session.status' || type === 'session.qr')) {
    if (type === 'session.qr' && state.linking === event.session) return void showQr(event.session);
    return refreshSoon();
  }
  if (state.view === 'outbound' && (type.startsWith('campaign.') || type === 'session.limited' || type === 'message.sent')) return refreshSoon();
  if (state.view === 'sandbox' && state.chat && event.session === state.chat.session && type.startsWith('message.')) return refreshSoon();
}

// ---- sessions ----------------------------------------------------------------------------------------------------

async function renderSessions() {
  const { sessions } = await api('GET', '/sessions');
  const create = h(
    'form',
    { class: 'inline', onsubmit: action(async () => {
      const { id } = formValues(create);
      await api('POST', '/sessions', { id });
      state.linking = id;
      await refresh();
    }) },
    h('label', {}, 'New session ID', h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9_\\-]{1,64}', placeholder: 'sales', 'data-testid': 'new-session' })),
    h('button', { class: 'primary', type: 'submit' }, 'Create and link'),
  );
  const rows = sessions.map((s) =>
    h(
      'tr',
      { 'data-session': s.id },
      h('td', {}, h('strong', {}, s.id)),
      h('td', {}, status(s.status), s.reason?.message && s.status !== 'connected' ? h('div', { class: 'notice' }, s.reason.message) : undefined),
      h('td', { 'data-testid': 'number' }, s.me ? `+${s.me.phoneNumber}` : '—'),
      h('td', { 'data-testid': 'name' }, s.me?.name ?? '—'),
      h(
        'td',
        {},
        ['qr', 'pairing_code'].includes(s.status) && h('button', { onclick: () => { state.linking = s.id; refresh(); } }, 'Link'),
        ' ',
        ['stopped', 'logged_out', 'failed', 'conflict'].includes(s.status)
          ? h('button', { onclick: action(async () => { await api('POST', `/sessions/${s.id}/start`); state.linking = s.id; await refresh(); }) }, 'Start')
          : h('button', { onclick: confirmed(`Stop "${s.id}"? It stays linked and can be started again.`, () => api('POST', `/sessions/${s.id}/stop`)) }, 'Stop'),
        ' ',
        s.me && h('button', { class: 'danger', onclick: confirmed(`Log "${s.id}" out? The number must be linked again with a new QR code.`, () => api('POST', `/sessions/${s.id}/logout`)) }, 'Log out'),
        ' ',
        h('button', { class: 'danger', onclick: confirmed(`Delete "${s.id}" and everything stored for it?`, () => api('DELETE', `/sessions/${s.id}`)) }, 'Delete'),
      ),
    ),
  );
  const linking = sessions.find((s) => s.id === state.linking && ['qr', 'pairing_code', 'starting'].includes(s.status));
  if (state.linking && !linking) {
    state.linking = undefined;
    state.pairing = undefined;
  }
  return [
    h('h2', {}, 'Sessions'),
    create,
    sessions.length
      ? h('table', { 'data-testid': 'sessions' }, h('thead', {}, h('tr', {}, ['Session', 'Status', 'Number', 'Profile name', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows))
      : h('p', { class: 'notice' }, 'No sessions yet: create one to link a WhatsApp number.'),
    linking ? linkPanel(linking) : undefined,
  ];
}

/** A button's action: one API call, then the view again. */
function calling(method, path, body) {
  return action(async () => {
    await api(method, path, body);
    await refresh();
  });
}

function confirmed(question, run) {
  return action(async () => {
    if (!window.confirm(question)) return;
    await run();
    await refresh();
  });
}

function linkPanel(session) {
  const shownQr = document.querySelector(`#qr img[data-session="${CSS.escape(session.id)}"]`) ?? undefined;
  const pairing = h(
    'form',
    { class: 'inline', onsubmit: action(async () => {
      const { phoneNumber } = formValues(pairing);
      const { code } = await api('POST', `/sessions/${session.id}/pairing-code`, { phoneNumber });
      state.pairing = { session: session.id, code };
      await refresh();
    }) },
    h('label', {}, 'Or link with a code: phone number with country code', h('input', { name: 'phoneNumber', required: true, placeholder: '+49 151 2345678', 'data-testid': 'pairing-phone' })),
    h('button', { type: 'submit' }, 'Get pairing code'),
  );
  const simulated = state.sandbox && h(
    'form',
    { class: 'inline', onsubmit: action(async () => {
      const { phone } = formValues(simulated);
      await scanWithSimulatedPhone(session.id, phone);
      await refresh();
    }) },
    h('label', {}, 'Sandbox: the simulated phone of', h('input', { name: 'phone', required: true, value: '+1 555 000 0000', 'data-testid': 'simulated-phone' })),
    h('button', { type: 'submit' }, 'Scan with a simulated phone'),
  );
  const panel = h(
    'div',
    { class: 'card', 'data-testid': 'link-panel' },
    h('h3', {}, `Link a number to "${session.id}"`),
    h('p', {}, 'On the phone: WhatsApp → Settings → Linked devices → Link a device, and scan this code. It renews itself.'),
    // the QR already shown moves into the re-rendered panel (no flicker); a new one arrives as session.qr
    h('div', { class: 'qr', id: 'qr' }, shownQr ?? h('p', { class: 'notice' }, 'Waiting for a QR code…')),
    simulated,
    pairing,
    state.pairing?.session === session.id && h('p', { 'data-testid': 'pairing-code' }, 'On the phone: Linked devices → Link with phone number, then type ', h('strong', {}, state.pairing.code)),
  );
  if (!shownQr && session.status !== 'pairing_code') queueMicrotask(() => showQr(session.id));
  return panel;
}

/**
 * Scans the session's QR code as a simulated phone would. Like real WhatsApp, the simulator retires the first QR's
 * secret and the session shows the QR again with a new one: that one is scanned too.
 */
async function scanWithSimulatedPhone(id, phone) {
  const rawQr = async () => (await api('GET', `/sessions/${id}/qr?format=raw&wait=10`)).text();
  let qr = await rawQr();
  for (let attempt = 0; attempt < 3; attempt++) {
    const { result } = await api('POST', '/sandbox/qr/scan', { qr, phone });
    if (result === 'linked') return;
    const refreshed = qr;
    const deadline = Date.now() + 10_000;
    while ((qr = await rawQr()) === refreshed) {
      if (Date.now() > deadline) throw new ApiFailure(504, 'The session did not show a new QR code after the refresh');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function showQr(id) {
  if (!document.getElementById('qr')) return;
  let content;
  try {
    const svg = await api('GET', `/sessions/${id}/qr?format=svg&wait=10`);
    content = h('img', { src: URL.createObjectURL(svg), alt: 'QR code to scan with WhatsApp', 'data-testid': 'qr', 'data-session': id });
  } catch (error) {
    if (error.status === 401) return;
    content = h('p', { class: 'notice' }, error.message);
  }
  // looked up after the wait: the panel may have been re-rendered meanwhile
  const holder = document.getElementById('qr');
  const previous = holder?.querySelector('img')?.src;
  holder?.replaceChildren(content);
  if (previous) URL.revokeObjectURL(previous);
}

// ---- webhooks ----------------------------------------------------------------------------------------------------

async function renderWebhooks() {
  const { webhooks } = await api('GET', '/webhooks');
  const create = h(
    'form',
    { class: 'inline', 'data-testid': 'webhook-form', onsubmit: action(async () => {
      const values = formValues(create);
      const body = { url: values.url, events: list(values.events, ['*']), sessions: list(values.sessions, []), ...(values.description && { description: values.description }) };
      const created = await api('POST', '/webhooks', body);
      state.webhook = created.id;
      state.secret = created.secret;
      await refresh();
    }) },
    h('label', {}, 'URL', h('input', { name: 'url', type: 'url', required: true, size: 40, placeholder: 'https://n8n.example.com/webhook/…', 'data-testid': 'webhook-url' })),
    h('label', {}, 'Events', h('input', { name: 'events', placeholder: '* or message.received, session.*' })),
    h('label', {}, 'Sessions', h('input', { name: 'sessions', placeholder: 'all' })),
    h('label', {}, 'Description', h('input', { name: 'description' })),
    h('button', { class: 'primary', type: 'submit' }, 'Add webhook'),
  );
  const rows = webhooks.map((w) =>
    h(
      'tr',
      { 'data-webhook': w.id },
      h('td', {}, h('button', { class: 'link', onclick: () => { state.webhook = w.id; refresh(); } }, w.url), w.description && h('div', { class: 'notice' }, w.description)),
      h('td', {}, w.events.join(', ')),
      h('td', {}, w.sessions.length ? w.sessions.join(', ') : 'all'),
      h('td', {}, status(w.enabled ? 'enabled' : 'disabled')),
      h(
        'td',
        {},
        h('button', { onclick: calling('PATCH', `/webhooks/${w.id}`, { enabled: !w.enabled }) }, w.enabled ? 'Disable' : 'Enable'),
        ' ',
        h('button', { 'data-testid': 'send-test', onclick: action(async () => { await api('POST', `/webhooks/${w.id}/test`); state.webhook = w.id; await refresh(); }) }, 'Send test event'),
        ' ',
        h('button', { class: 'danger', onclick: confirmed(`Delete the webhook to ${w.url}?`, () => api('DELETE', `/webhooks/${w.id}`)) }, 'Delete'),
      ),
    ),
  );
  const selected = webhooks.find((w) => w.id === state.webhook);
  return [
    h('h2', {}, 'Webhooks'),
    state.secret && h('p', { class: 'card', 'data-testid': 'secret' }, 'Signing secret (shown until you leave this page): ', h('code', {}, state.secret)),
    create,
    webhooks.length
      ? h('table', { 'data-testid': 'webhooks' }, h('thead', {}, h('tr', {}, ['URL', 'Events', 'Sessions', 'State', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows))
      : h('p', { class: 'notice' }, 'No webhooks: n8n triggers register their own; add one for other receivers.'),
    selected ? await webhookDetail(selected) : undefined,
  ];
}

function list(value, fallback) {
  const items = String(value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : fallback;
}

async function webhookDetail(webhook) {
  const [{ deliveries }, { deadLetters }] = await Promise.all([api('GET', `/webhooks/${webhook.id}/deliveries?limit=50`), api('GET', `/webhooks/${webhook.id}/dead-letters`)]);
  const edit = h(
    'form',
    { class: 'inline', onsubmit: action(async () => {
      const values = formValues(edit);
      await api('PATCH', `/webhooks/${webhook.id}`, { url: values.url, events: list(values.events, ['*']), sessions: list(values.sessions, []) });
      await refresh();
    }) },
    h('label', {}, 'URL', h('input', { name: 'url', type: 'url', required: true, size: 40, value: webhook.url })),
    h('label', {}, 'Events', h('input', { name: 'events', value: webhook.events.join(', ') })),
    h('label', {}, 'Sessions', h('input', { name: 'sessions', value: webhook.sessions.join(', ') })),
    h('button', { type: 'submit' }, 'Save'),
  );
  const deliveryRow = (d) => {
    const last = d.attempts.at(-1);
    return h(
      'tr',
      { 'data-event': d.eventId },
      h('td', {}, time(d.timestamp)),
      h('td', {}, d.type),
      h('td', {}, status(d.status)),
      h('td', { 'data-testid': 'attempts' }, d.attempts.length),
      h('td', {}, last ? (last.statusCode ? `HTTP ${last.statusCode}` : last.error ?? '—') : '—'),
      h('td', {}, last ? `${last.latencyMs} ms` : '—'),
      d.status === 'dead' ? h('td', {}, h('button', { onclick: calling('POST', `/webhooks/${webhook.id}/dead-letters/${d.eventId}/replay`) }, 'Replay')) : h('td'),
    );
  };
  const head = h('thead', {}, h('tr', {}, ['Time', 'Event', 'Status', 'Attempts', 'Last answer', 'Latency', ''].map((t) => h('th', {}, t))));
  return h(
    'div',
    { class: 'card', 'data-testid': 'webhook-detail' },
    h('h3', {}, `Webhook ${webhook.url}`),
    edit,
    h('h3', {}, 'Deliveries ', h('button', { class: 'link', onclick: () => refresh() }, 'refresh')),
    deliveries.length ? h('table', { 'data-testid': 'deliveries' }, head, h('tbody', {}, deliveries.map(deliveryRow))) : h('p', { class: 'notice' }, 'Nothing delivered yet.'),
    h('h3', {}, `Dead letters (${deadLetters.length})`),
    deadLetters.length
      ? [
          h('button', { 'data-testid': 'replay-all', onclick: calling('POST', `/webhooks/${webhook.id}/dead-letters/replay`) }, 'Replay all'),
          h('table', { 'data-testid': 'dead-letters' }, head.cloneNode(true), h('tbody', {}, deadLetters.map(deliveryRow))),
        ]
      : h('p', { class: 'notice' }, 'None: every event was delivered or is still being retried.'),
  );
}

// ---- outbound ----------------------------------------------------------------------------------------------------

async function renderOutbound() {
  const { sessions } = await api('GET', '/sessions');
  if (!sessions.length) return [h('h2', {}, 'Outbound'), h('p', { class: 'notice' }, 'No sessions yet.')];
  const cards = await Promise.all(sessions.map(async (s) => {
    const [outbound, { campaigns }] = await Promise.all([api('GET', `/sessions/${s.id}/outbound`), api('GET', `/sessions/${s.id}/campaigns`)]);
    const usage = Object.entries(outbound.usage).map(([name, u]) => `${name}: ${u.used}${u.limit === null ? '' : ` / ${u.limit}`}`).join(' · ');
    return h(
      'div',
      { class: 'card', 'data-outbound': s.id },
      h('h3', {}, `${s.id} `, status(s.status)),
      h(
        'p',
        {},
        'Queued: ',
        h('strong', { 'data-testid': 'depth-interactive' }, outbound.lanes.interactive.queued),
        ' interactive, ',
        h('strong', { 'data-testid': 'depth-bulk' }, outbound.lanes.bulk.queued),
        ` bulk · next send ${time(outbound.nextSendAt)}`,
      ),
      h('p', { class: 'notice' }, usage),
      outbound.limits.length
        ? h(
            'div',
            { 'data-testid': 'limits' },
            outbound.limits.map((l) => h('p', { class: 'error' }, `Limited by WhatsApp: ${l.reason}${l.code ? ` (${l.code})` : ''}, ${l.scope === 'bulk' ? 'bulk sends paused' : 'new chats paused'} until ${l.until ? time(l.until) : 'resumed'}`)),
            h('button', { onclick: calling('POST', `/sessions/${s.id}/outbound/resume`) }, 'Resume now'),
          )
        : h('p', { class: 'notice' }, 'No limits in force.'),
      campaigns.length ? campaignTable(s.id, campaigns) : h('p', { class: 'notice' }, 'No campaigns.'),
    );
  }));
  return [h('h2', {}, 'Outbound'), ...cards];
}

function campaignTable(session, campaigns) {
  const row = (c) => {
    const done = c.total - c.counts.queued;
    return h(
      'tr',
      { 'data-campaign': c.id },
      h('td', {}, c.name ?? c.id),
      h('td', {}, status(c.status)),
      h('td', {}, h('progress', { max: c.total, value: done }), ` ${done} / ${c.total}`),
      h('td', { 'data-testid': 'counts' }, ['sent', 'delivered', 'read', 'failed', 'skipped', 'cancelled'].filter((k) => c.counts[k]).map((k) => `${k} ${c.counts[k]}`).join(' · ')),
      h(
        'td',
        {},
        c.status === 'running' && h('button', { onclick: calling('POST', `/sessions/${session}/campaigns/${c.id}/pause`) }, 'Pause'),
        c.status === 'paused' && h('button', { onclick: calling('POST', `/sessions/${session}/campaigns/${c.id}/resume`) }, 'Resume'),
        ' ',
        ['running', 'paused'].includes(c.status) && h('button', { class: 'danger', onclick: confirmed(`Cancel the campaign "${c.name ?? c.id}"? Messages not sent yet are dropped.`, () => api('POST', `/sessions/${session}/campaigns/${c.id}/cancel`)) }, 'Cancel'),
      ),
    );
  };
  return h('table', { 'data-testid': 'campaigns' }, h('thead', {}, h('tr', {}, ['Campaign', 'Status', 'Progress', 'Recipients', ''].map((t) => h('th', {}, t)))), h('tbody', {}, campaigns.map(row)));
}

// ---- sandbox -----------------------------------------------------------------------------------------------------

async function renderSandbox() {
  const [{ users }, { sessions }] = await Promise.all([api('GET', '/sandbox/users'), api('GET', '/sessions')]);
  const linked = sessions.filter((s) => s.me);
  const accounts = new Set(linked.map((s) => s.me.phoneNumber));
  const contacts = users.filter((u) => !accounts.has(u.phone));
  const add = h(
    'form',
    { class: 'inline', onsubmit: action(async () => {
      const { phone, name } = formValues(add);
      await api('POST', '/sandbox/users', { phone, ...(name && { name }) });
      await refresh();
    }) },
    h('label', {}, 'Phone number', h('input', { name: 'phone', required: true, placeholder: '+1 555 0100', 'data-testid': 'contact-phone' })),
    h('label', {}, 'Name', h('input', { name: 'name', placeholder: 'Alice', 'data-testid': 'contact-name' })),
    h('button', { type: 'submit' }, 'Add simulated contact'),
  );
  if (!linked.length) return [h('h2', {}, 'Sandbox'), h('p', { class: 'notice' }, 'Link a session first (Sessions: create, then scan with the simulator).'), add];
  const chat = state.chat && linked.some((s) => s.id === state.chat.session) && contacts.some((c) => c.phone === state.chat.contact) ? state.chat : undefined;
  const picker = h(
    'form',
    { class: 'inline', onchange: () => { state.chat = formValues(picker); refresh(); } },
    h('label', {}, 'Session', h('select', { name: 'session', 'data-testid': 'chat-session' }, linked.map((s) => h('option', { value: s.id, selected: chat?.session === s.id }, `${s.id} (+${s.me.phoneNumber})`)))),
    h('label', {}, 'Write as', h('select', { name: 'contact', 'data-testid': 'chat-contact' }, h('option', { value: '' }, 'choose a contact'), contacts.map((c) => h('option', { value: c.phone, selected: chat?.contact === c.phone }, `${c.name ?? ''} +${c.phone}`)))),
  );
  return [h('h2', {}, 'Sandbox'), h('p', { class: 'notice' }, 'Write as a simulated contact and watch your workflows answer, without a phone.'), add, picker, chat ? await chatPanel(linked.find((s) => s.id === chat.session), chat.contact) : undefined];
}

async function chatPanel(session, contact) {
  const chatId = `${contact}@s.whatsapp.net`;
  const { messages } = await api('GET', `/sessions/${session.id}/chats/${encodeURIComponent(chatId)}/messages?limit=50`).catch((error) => {
    if (error.status === 404) return { messages: [] };
    throw error;
  });
  const transcript = h(
    'div',
    { class: 'chat', 'data-testid': 'chat' },
    // the runtime's view: fromMe is the account; the contact is the other side, shown on the right (we write as it)
    [...messages].reverse().map((m) => h('div', { class: `bubble ${m.fromMe ? '' : 'mine'}`, 'data-from': m.fromMe ? 'account' : 'contact' }, m.text ?? `[${m.kind}]`, h('small', {}, new Date(m.messageTimestamp * 1000).toLocaleTimeString()))),
  );
  queueMicrotask(() => (transcript.scrollTop = transcript.scrollHeight));
  const compose = h(
    'form',
    { class: 'inline', onsubmit: action(async () => {
      const { text } = formValues(compose);
      await api('POST', `/sandbox/users/${contact}/messages`, { to: session.me.phoneNumber, type: 'text', text });
      compose.reset();
    }) },
    h('input', { name: 'text', required: true, size: 50, placeholder: `Message from +${contact}`, autocomplete: 'off', 'data-testid': 'chat-text' }),
    h('button', { class: 'primary', type: 'submit' }, 'Send'),
  );
  return h('div', { class: 'card' }, h('h3', {}, `+${contact} ↔ ${session.id}`), transcript, compose);
}

// ---- boot --------------------------------------------------------------------------------------------------------

signOutButton.addEventListener('click', () => signOut());
if (state.key) start().catch(() => signOut('Could not reach the runtime with the stored key: sign in again.'));
else renderSignIn();
