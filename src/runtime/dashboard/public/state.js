// What the dashboard knows: the API key (kept in this tab's sessionStorage only) and the view's shown-once state.
// The dashboard: plain DOM, no framework. Every call goes through the REST API with the key the user typed (kept
// in sessionStorage only); live changes arrive on the event stream (/api/v1/events), read with fetch so the key
// travels in a header, never in a URL.
export const KEY_STORAGE = 'whatsapp-runtime.apiKey';

/** Whether the signed-in key holds a permission (admin holds them all). */
export function can(permission) {
  const held = state.me?.permissions ?? [];
  return held.includes('admin') || held.includes(permission);
}

export const state = { key: sessionStorage.getItem(KEY_STORAGE), me: undefined, auditFilters: undefined, view: 'sessions', sandbox: false, stream: undefined, linking: undefined, chat: undefined, webhook: undefined, secret: undefined, pairing: undefined, error: undefined, audienceSession: undefined, audienceList: undefined, importJob: undefined, memberSearch: undefined };
