// The dashboard: plain DOM, no framework, ES modules under a strict Content-Security-Policy. This entry: sign-in,
// navigation between the views, and routing pushed events to the view shown.
import { api, onUnauthorized } from './api.js';
import { h } from './dom.js';
import { action, cancelRefresh, refresh, refreshSoon, setViews } from './render.js';
import { renderOutbound } from './outbound.js';
import { renderSandbox } from './sandbox.js';
import { renderSessions, showQr } from './sessions.js';
import { KEY_STORAGE, can, state } from './state.js';
import { startStream } from './stream.js';
import { renderWebhooks } from './webhooks.js';
import { renderAudit, renderKeys, renderUsage } from './access.js';
import { consentUid, renderAgents, renderConsent } from './agents.js';
import { renderAudiences } from './audiences.js';
import { renderCluster } from './cluster.js';

const app = document.getElementById('app');

const live = document.getElementById('live');

const signOutButton = document.getElementById('sign-out');

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
  ['audiences', 'Contacts'],
  ['sandbox', 'Sandbox'],
  ['keys', 'API keys'],
  ['agents', 'AI agents'],
  ['audit', 'Audit log'],
  ['usage', 'Usage'],
  ['cluster', 'Cluster'],
];

const RENDER = { sessions: renderSessions, webhooks: renderWebhooks, outbound: renderOutbound, audiences: renderAudiences, sandbox: renderSandbox, keys: renderKeys, agents: renderAgents, audit: renderAudit, usage: renderUsage, cluster: renderCluster };

/** The permission each view needs: a key sees only the views it may use. */
const NEEDS = { sessions: 'read', webhooks: 'manage', outbound: 'read', audiences: 'read', sandbox: 'admin', keys: 'admin', agents: 'admin', audit: 'admin', usage: 'admin', cluster: 'admin' };

function may(view) {
  return can(NEEDS[view]);
}

async function start() {
  signOutButton.hidden = false;
  state.me = await api('GET', '/me');
  // an OAuth client sent the admin here to consent: that view only
  const uid = consentUid();
  if (uid) return renderConsent(uid, app);
  state.sandbox = state.me.sandbox && may('sandbox');
  if (!may(state.view)) state.view = 'sessions';
  startStream(onEvent);
  await show(state.view);
}

async function show(view) {
  cancelRefresh();
  state.error = undefined;
  state.view = view;
  state.secret = undefined;
  const nav = h(
    'nav',
    {},
    VIEWS.filter(([id]) => may(id) && (id !== 'sandbox' || state.sandbox)).map(([id, label]) =>
      h('button', { 'aria-current': id === view ? 'page' : undefined, 'data-testid': `nav-${id}`, onclick: () => show(id) }, label),
    ),
  );
  const section = h('section', { class: 'view', 'data-testid': `view-${view}` });
  app.replaceChildren(nav, section);
  await refresh();
}

function onEvent(event) {
  const type = event.type;
  // the home page's figures follow the traffic (re-rendered at most every 150 ms)
  if (state.view === 'sessions' && (type === 'message.received' || type === 'message.sent')) return refreshSoon();
  if (state.view === 'sessions' && (type === 'session.status' || type === 'session.qr')) {
    if (type === 'session.qr' && state.linking === event.session) return void showQr(event.session);
    return refreshSoon();
  }
  if (state.view === 'outbound' && (type.startsWith('campaign.') || type === 'session.limited' || type === 'message.sent')) return refreshSoon();
  if (state.view === 'cluster' && type === 'session.status') return refreshSoon();
  if (state.view === 'audiences' && (type === 'contact_list.import' || type.startsWith('contact.opted'))) return refreshSoon();
  if (state.view === 'sandbox' && state.chat && event.session === state.chat.session && type.startsWith('message.')) return refreshSoon();
}

setViews(RENDER);
onUnauthorized(signOut);
signOutButton.addEventListener('click', () => signOut());
if (state.key) start().catch(() => signOut('Could not reach the runtime with the stored key: sign in again.'));
else renderSignIn();
