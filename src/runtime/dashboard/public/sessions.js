// Sessions: live status, lifecycle buttons, and linking by QR (re-rendered when it rotates), pairing code, or in
// sandbox mode a simulated phone.
import { api, ApiFailure } from './api.js';
import { formValues, h, status } from './dom.js';
import { action, confirmed, refresh } from './render.js';
import { can, state } from './state.js';

export async function renderSessions() {
  const [{ sessions }, overview] = await Promise.all([api('GET', '/sessions'), api('GET', '/overview')]);
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
  const manage = can('manage');
  const rows = sessions.map((s) =>
    h(
      'tr',
      { 'data-session': s.id },
      h('td', {}, h('strong', {}, s.id)),
      h('td', {}, status(s.status), s.reason?.message && s.status !== 'connected' ? h('div', { class: 'notice' }, s.reason.message) : undefined),
      h('td', { 'data-testid': 'number' }, s.me ? `+${s.me.phoneNumber}` : '—'),
      h('td', { 'data-testid': 'name' }, s.me?.name ?? '—'),
      manage && h(
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
    figures(overview),
    manage && create,
    sessions.length
      ? h('table', { 'data-testid': 'sessions' }, h('thead', {}, h('tr', {}, ['Session', 'Status', 'Number', 'Profile name', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows))
      : h('p', { class: 'notice' }, 'No sessions yet: create one to link a WhatsApp number.'),
    linking ? linkPanel(linking) : undefined,
  ];
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

export async function showQr(id) {
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

/** The home page's figures: what an operator checks first. */
function figures(overview) {
  const figure = (label, value, testid, bad) => h('div', { class: `figure${bad ? ' bad' : ''}`, 'data-testid': testid }, h('strong', {}, String(value)), h('span', {}, label));
  const { sessions, outbox } = overview;
  return h(
    'div',
    { class: 'figures' },
    figure('sessions connected', `${sessions.connected} / ${sessions.total}`, 'figure-sessions', sessions.connected < sessions.total),
    overview.perMinute && figure('messages this minute', overview.messagesThisMinute, 'figure-messages'),
    overview.perMinute && figure('failed deliveries (1 h)', overview.deliveryFailuresLastHour, 'figure-failures', overview.deliveryFailuresLastHour > 0),
    outbox && figure('oldest pending event', outbox.pending ? `${outbox.oldestPendingAgeSeconds} s` : 'none', 'figure-pending', outbox.oldestPendingAgeSeconds > 60),
  );
}
