// Cluster: the runtimes sharing the store (heartbeat age, sessions owned) and the runtime each session runs on.
import { api } from './api.js';
import { h } from './dom.js';

export async function renderCluster() {
  const cluster = await api('GET', '/cluster');
  if (!cluster.enabled) return [h('h2', {}, 'Cluster'), h('p', { class: 'notice', 'data-testid': 'cluster-off' }, 'This runtime runs alone: cluster mode is off (WA_CLUSTER with REDIS_URL turns it on).')];
  const { acquired, released, lost, takenOver, adopted } = cluster.counters;
  return [
    h('h2', {}, 'Cluster'),
    h(
      'div',
      { class: 'figures' },
      h('div', { class: 'figure' }, h('strong', { 'data-testid': 'cluster-runtimes' }, cluster.runtimes.length), h('span', {}, 'runtimes live')),
      h('div', { class: 'figure' }, h('strong', {}, cluster.sessions.filter((s) => s.owner).length), h('span', {}, `of ${cluster.sessions.length} sessions owned`)),
      h('div', { class: 'figure' }, h('strong', {}, `${acquired} / ${released} / ${lost}`), h('span', {}, 'leases taken / handed over / lost here')),
      h('div', { class: 'figure' }, h('strong', {}, takenOver), h('span', {}, 'sessions taken over from a runtime that died')),
      h('div', { class: 'figure' }, h('strong', {}, adopted), h('span', {}, 'outboxes of dead runtimes delivered here')),
    ),
    h(
      'table',
      { 'data-testid': 'cluster-runtime-table' },
      h('thead', {}, h('tr', {}, ['Runtime', 'Address', 'Heartbeat', 'Sessions', 'Up since'].map((t) => h('th', {}, t)))),
      h('tbody', {}, cluster.runtimes.map((r) => h(
        'tr',
        { 'data-runtime': r.id },
        h('td', {}, r.id, r.id === cluster.me && h('span', { class: 'notice' }, ' (this one)')),
        h('td', {}, r.address),
        h('td', {}, `${(r.heartbeatAgeMs / 1000).toFixed(1)} s ago`),
        h('td', {}, r.sessions),
        h('td', {}, new Date(r.startedAt).toLocaleString()),
      ))),
    ),
    h(
      'table',
      { 'data-testid': 'cluster-session-table' },
      h('thead', {}, h('tr', {}, ['Session', 'Runs on', 'Fencing token'].map((t) => h('th', {}, t)))),
      h('tbody', {}, cluster.sessions.map((s) => h('tr', { 'data-session': s.id }, h('td', {}, s.id), h('td', {}, s.owner ?? h('span', { class: 'notice' }, 'nobody (stopped, or being taken over)')), h('td', {}, s.token ?? '—')))),
    ),
  ];
}
