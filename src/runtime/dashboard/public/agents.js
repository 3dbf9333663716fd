// AI agents: how to connect an MCP client (the endpoint URLs), the OAuth grants given to MCP clients (which
// sessions, which permissions, who consented, last use) with revoke, and the consent page an OAuth client sends
// the admin to (/oauth/interaction/<uid>): which client asks, the sessions and permissions to grant.
import { api, request } from './api.js';
import { h, status, time } from './dom.js';
import { action, confirmed } from './render.js';

export async function renderAgents() {
  const { grants } = await api('GET', '/oauth/grants').catch((error) => (error.status === 404 ? { grants: undefined } : Promise.reject(error)));
  const base = location.origin;
  const rows = (grants ?? []).map((g) =>
    h(
      'tr',
      { 'data-grant': g.id },
      h('td', {}, g.clientName, h('div', { class: 'notice' }, h('code', {}, g.clientId))),
      h('td', {}, g.sessions === '*' ? 'all' : g.sessions.join(', ')),
      h('td', {}, g.permissions.join(', ')),
      h('td', {}, time(g.createdAt), h('div', { class: 'notice' }, `by ${g.createdBy.name}`)),
      h('td', { 'data-testid': 'grant-last-used' }, time(g.lastUsedAt)),
      h('td', {}, status(g.status)),
      h('td', {}, g.status === 'active' && h('button', { class: 'danger', 'data-testid': 'revoke-grant', onclick: confirmed(`Revoke what "${g.clientName}" was granted? Its tokens stop working at once.`, () => api('DELETE', `/oauth/grants/${g.id}`)) }, 'Revoke')),
    ),
  );
  return [
    h('h2', {}, 'AI agents (MCP)'),
    h(
      'div',
      { class: 'card', 'data-testid': 'mcp-endpoints' },
      h('p', {}, 'MCP endpoint for clients that sign in with OAuth (claude.ai, ChatGPT) or send an API key: ', h('code', {}, `${base}/mcp`)),
      h('p', {}, 'For clients that send an API key header and get confused by OAuth (Cursor): ', h('code', {}, `${base}/mcp/key`)),
      h('p', { class: 'notice' }, 'Give an agent a key with only the permissions it needs (read, send) and only its sessions; see docs/mcp.md.'),
    ),
    grants === undefined
      ? h('p', { class: 'notice' }, 'OAuth is off on this runtime (WA_OAUTH): agents connect with API keys only.')
      : grants.length
        ? h('table', { 'data-testid': 'grants' }, h('thead', {}, h('tr', {}, ['Client', 'Sessions', 'Permissions', 'Granted', 'Last used', 'State', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows))
        : h('p', { class: 'notice' }, 'No OAuth client has been granted access yet.'),
  ];
}

const CONSENT_PATH = /^\/oauth\/interaction\/([\w-]+)$/;

/** The interaction this page was opened for, when it is the OAuth consent URL. */
export function consentUid() {
  return CONSENT_PATH.exec(location.pathname)?.[1];
}

function interaction(uid, method, body) {
  return request(method, `/oauth/interaction/${uid}/${method === 'GET' ? 'details' : 'decision'}`, body);
}

/** The consent view: the signed-in admin grants (or declines) what the client asks. */
export async function renderConsent(uid, root) {
  let request;
  try {
    request = await interaction(uid, 'GET');
  } catch (error) {
    root.replaceChildren(h('section', { class: 'card', 'data-testid': 'consent' }, h('h2', {}, 'Authorization request'), h('p', { class: 'error', role: 'alert' }, error.message)));
    return;
  }
  const failure = h('p', { class: 'error', role: 'alert', hidden: true });
  const decide = (approve) =>
    action(async (event) => {
      event.preventDefault();
      const form = event.currentTarget.form;
      const all = form.elements['session-all'].checked;
      const sessions = all ? '*' : request.sessions.map((s) => s.id).filter((id) => form.elements[`session-${id}`]?.checked);
      const permissions = request.grantable.filter((p) => form.elements[`permission-${p}`].checked);
      try {
        const { redirectTo } = await interaction(uid, 'POST', approve ? { approve, sessions, permissions } : { approve });
        location.assign(redirectTo);
      } catch (error) {
        failure.hidden = false;
        failure.textContent = error.message;
      }
    });
  const redirectHost = request.client.redirectUri ? new URL(request.client.redirectUri).host : undefined;
  const form = h(
    'form',
    { class: 'card consent', 'data-testid': 'consent', onsubmit: (event) => event.preventDefault() },
    h('h2', {}, `${request.client.name} asks to use WhatsApp`),
    h('p', {}, 'It will act through this runtime with what you grant here, until you revoke it under AI agents.', redirectHost && ` After your answer you return to ${redirectHost}.`),
    h('p', { class: 'notice' }, 'Client id: ', h('code', {}, request.client.id)),
    h(
      'fieldset',
      { class: 'permissions' },
      h('legend', {}, 'Permissions'),
      request.grantable.map((p) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `permission-${p}`, checked: request.permissions.includes(p), 'data-testid': `consent-permission-${p}` }), p === 'read' ? 'read chats and contacts' : 'send messages')),
    ),
    h(
      'fieldset',
      { class: 'permissions' },
      h('legend', {}, 'Sessions'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'session-all', 'data-testid': 'consent-session-all' }), 'all, including future ones'),
      request.sessions.map((s) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: `session-${s.id}`, 'data-testid': `consent-session-${s.id}` }), `${s.id} (${s.status})`)),
    ),
    failure,
    h('button', { class: 'primary', type: 'submit', 'data-testid': 'consent-approve', onclick: decide(true) }, 'Allow'),
    ' ',
    h('button', { type: 'button', 'data-testid': 'consent-decline', onclick: decide(false) }, 'Decline'),
  );
  root.replaceChildren(form);
}
