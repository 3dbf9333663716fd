// Outbound: queue depth per lane, caps, WhatsApp's limits in force, campaigns with their progress.
import { api } from './api.js';
import { h, status, time } from './dom.js';
import { calling, confirmed } from './render.js';

export async function renderOutbound() {
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
