// API keys (create with scopes, shown once with a copy button; revoke after confirming), the audit log with
// filters and older pages, and usage: messages per day per session as a bar chart, totals, and what is kept.
import { api } from './api.js';
import { formValues, h, status, time } from './dom.js';
import { action, confirmed, refresh } from './render.js';
import { state } from './state.js';

const PERMISSIONS = ['read', 'send', 'manage', 'admin', 'metrics'];

export async function renderKeys() {
  const { keys } = await api('GET', '/keys?status=all');
  const create = h(
    'form',
    { class: 'inline', 'data-testid': 'key-form', onsubmit: action(async () => {
      const values = formValues(create);
      const sessions = String(values.sessions ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const permissions = PERMISSIONS.filter((p) => create.elements[`permission-${p}`].checked);
      const body = { name: values.name, permissions, sessions: sessions.length && !sessions.includes('*') ? sessions : '*', ...(values.days && { expiresInDays: Number(values.days) }) };
      const created = await api('POST', '/keys', body);
      state.secret = created.key;
      await refresh();
    }) },
    h('label', {}, 'Name', h('input', { name: 'name', required: true, maxlength: 100, 'data-testid': 'key-name' })),
    h('fieldset', { class: 'permissions' }, h('legend', {}, 'Permissions'), PERMISSIONS.map((p) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `permission-${p}`, checked: p === 'read', 'data-testid': `key-permission-${p}` }), p))),
    h('label', {}, 'Sessions', h('input', { name: 'sessions', placeholder: '* (all) or shop, support', 'data-testid': 'key-sessions' })),
    h('label', {}, 'Expires in days', h('input', { name: 'days', type: 'number', min: 1, max: 3650, placeholder: 'never' })),
    h('button', { class: 'primary', type: 'submit' }, 'Create key'),
  );
  const copy = (text) => action(async (event) => {
    await navigator.clipboard.writeText(text);
    event.currentTarget.textContent = 'Copied';
  });
  const rows = keys.map((k) =>
    h(
      'tr',
      { 'data-key': k.id },
      h('td', {}, k.name, h('div', { class: 'notice' }, h('code', {}, `${k.prefix}…`))),
      h('td', {}, k.permissions.join(', ')),
      h('td', {}, k.sessions === '*' ? 'all' : k.sessions.join(', ')),
      h('td', {}, time(k.createdAt), k.createdBy && h('div', { class: 'notice' }, `by ${k.createdBy.name}`)),
      h('td', { 'data-testid': 'last-used' }, time(k.lastUsedAt), h('div', { class: 'notice' }, `${k.useCount} uses`)),
      h('td', {}, k.expiresAt ? time(k.expiresAt) : 'never'),
      h('td', {}, status(k.status)),
      h('td', {}, k.status === 'active' && h('button', { class: 'danger', 'data-testid': 'revoke', onclick: confirmed(`Revoke the key "${k.name}"? Programs using it stop working at once.`, () => api('DELETE', `/keys/${k.id}`)) }, 'Revoke')),
    ),
  );
  return [
    h('h2', {}, 'API keys'),
    state.secret && h('p', { class: 'card', 'data-testid': 'new-key' }, 'The new key, shown this once: ', h('code', {}, state.secret), ' ', h('button', { onclick: copy(state.secret) }, 'Copy')),
    create,
    h('table', { 'data-testid': 'keys' }, h('thead', {}, h('tr', {}, ['Name', 'Permissions', 'Sessions', 'Created', 'Last used', 'Expires', 'State', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows)),
  ];
}

export async function renderAudit() {
  const filters = state.auditFilters ?? {};
  const query = new URLSearchParams(Object.entries({ limit: '50', ...filters }).filter(([, v]) => v));
  const { entries, nextCursor } = await api('GET', `/audit?${query}`);
  const form = h(
    'form',
    { class: 'inline', 'data-testid': 'audit-filters', onsubmit: action(async () => {
      // a new filter starts again from the newest entries
      state.auditFilters = formValues(form);
      await refresh();
    }) },
    h('label', {}, 'Action', h('input', { name: 'action', value: filters.action ?? '', placeholder: 'session.* or key.created', 'data-testid': 'audit-action' })),
    h('label', {}, 'Actor', h('input', { name: 'actor', value: filters.actor ?? '', placeholder: 'key id, system' })),
    h('label', {}, 'Session', h('input', { name: 'session', value: filters.session ?? '' })),
    h('label', {}, 'Result', h('select', { name: 'result' }, ['', 'success', 'failure', 'denied'].map((r) => h('option', { value: r, selected: filters.result === r }, r || 'any')))),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const actor = (e) => (e.actor.type === 'key' ? `${e.actor.name} (${e.actor.id})` : e.actor.type === 'grant' ? `${e.actor.name} (OAuth grant)` : e.actor.type);
  const rows = entries.map((e) =>
    h('tr', { 'data-audit': e.id }, h('td', {}, time(e.at)), h('td', {}, actor(e)), h('td', { 'data-testid': 'audit-entry-action' }, e.action), h('td', {}, e.target ? `${e.target.type} ${e.target.id}` : '—'), h('td', {}, status(e.result)), h('td', {}, e.ip ?? '—')),
  );
  return [
    h('h2', {}, 'Audit log'),
    form,
    entries.length ? h('table', { 'data-testid': 'audit' }, h('thead', {}, h('tr', {}, ['Time', 'Who', 'Action', 'Object', 'Result', 'From'].map((t) => h('th', {}, t)))), h('tbody', {}, rows)) : h('p', { class: 'notice' }, 'No entries match.'),
    nextCursor && h('button', { onclick: action(async () => { state.auditFilters = { ...filters, before: String(nextCursor) }; await refresh(); }) }, 'Older entries'),
    filters.before && h('button', { onclick: action(async () => { state.auditFilters = { ...filters, before: '' }; await refresh(); }) }, 'Newest entries'),
  ];
}

export async function renderUsage() {
  const [{ rows, totals, from, to }, retention] = await Promise.all([api('GET', '/usage'), api('GET', '/retention')]);
  const perDay = new Map();
  for (const row of rows) {
    const messages = sum(row.received) + sum(row.sent);
    if (!messages) continue;
    const day = perDay.get(row.day) ?? new Map();
    day.set(row.session, (day.get(row.session) ?? 0) + messages);
    perDay.set(row.day, day);
  }
  const kept = [
    ['Messages', `${retention.messagesDays} days`],
    ['Chat previews', 'with the messages'],
    ['Delivered events', `${retention.eventsHours} hours`],
    ['Idempotency keys', `${retention.idempotencyHours} hours`],
    ['Request log', `${retention.requestLogDays} days`],
    ['Daily usage', `${retention.usageDays} days`],
    ['Audit log', `${retention.auditDays} days`],
  ];
  return [
    h('h2', {}, `Usage ${from} – ${to}`),
    h('div', { class: 'card', 'data-testid': 'usage-chart' }, h('h3', {}, 'Messages per day'), chart(perDay)),
    h(
      'table',
      { 'data-testid': 'usage-totals' },
      h('tbody', {}, [
        ['Received', sum(totals.received)],
        ['Sent', sum(totals.sent)],
        ['Media in / out', `${bytes(totals.mediaBytesIn)} / ${bytes(totals.mediaBytesOut)}`],
        ['API calls', totals.apiCalls],
        ['Webhook deliveries / failed attempts', `${totals.webhookDeliveries} / ${totals.webhookFailures}`],
      ].map(([label, value]) => h('tr', {}, h('th', {}, label), h('td', {}, value)))),
    ),
    h('h3', {}, 'What is kept'),
    h('table', { 'data-testid': 'retention' }, h('tbody', {}, kept.map(([label, value]) => h('tr', {}, h('th', {}, label), h('td', {}, value))))),
  ];
}

function sum(counts) {
  return Object.values(counts ?? {}).reduce((total, n) => total + n, 0);
}

function bytes(n) {
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1a7f37', '#0969da', '#9a6700', '#8250df', '#cf222e', '#57606a'];

function svg(tag, attrs, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** Stacked bars: one per day, one colour per session (a legend below). */
function chart(perDay) {
  if (!perDay.size) return h('p', { class: 'notice' }, 'No messages in this period.');
  const days = [...perDay.keys()].sort();
  const sessions = [...new Set(days.flatMap((d) => [...perDay.get(d).keys()]))].sort();
  const max = Math.max(...days.map((d) => [...perDay.get(d).values()].reduce((a, b) => a + b, 0)));
  const width = Math.max(240, days.length * 28);
  const height = 160;
  const bars = days.flatMap((day, i) => {
    let y = height;
    return sessions.map((session, s) => {
      const n = perDay.get(day).get(session) ?? 0;
      const barHeight = (n / max) * (height - 10);
      y -= barHeight;
      return svg('rect', { x: i * 28 + 4, y, width: 20, height: barHeight, fill: COLOURS[s % COLOURS.length], 'data-day': day, 'data-session': session, 'data-count': n }, svg('title', {}, `${day} ${session}: ${n}`));
    });
  });
  return [
    svg('svg', { viewBox: `0 0 ${width} ${height + 16}`, width, height: height + 16, role: 'img', 'aria-label': 'Messages per day per session' }, ...bars, ...days.map((day, i) => svg('text', { x: i * 28 + 4, y: height + 12, 'font-size': 8 }, day.slice(5)))),
    // colours as SVG fills: the content policy allows no inline styles
    h('p', { class: 'legend' }, sessions.map((session, s) => h('span', { 'data-testid': 'legend' }, svg('svg', { width: 10, height: 10 }, svg('rect', { width: 10, height: 10, fill: COLOURS[s % COLOURS.length] })), ` ${session} `))),
  ];
}
