// Webhooks: subscriptions, their delivery log and dead letters (replayed one by one or all).
import { api } from './api.js';
import { formValues, h, status, time } from './dom.js';
import { action, calling, confirmed, refresh } from './render.js';
import { state } from './state.js';

export async function renderWebhooks() {
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
