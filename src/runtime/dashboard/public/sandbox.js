// Sandbox: simulated contacts, and a chat as one of them with a session.
import { api } from './api.js';
import { formValues, h } from './dom.js';
import { action, refresh } from './render.js';
import { state } from './state.js';

export async function renderSandbox() {
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
