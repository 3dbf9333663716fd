// Rendering the current view: the latest render wins, what the user is typing survives a pushed re-render, and
// actions (buttons, forms) show their errors at the top of the view until the next action.
import { api } from './api.js';
import { h } from './dom.js';
import { state } from './state.js';

const app = document.getElementById('app');
let views = {};

/** The views by name (app.js registers them). */
export function setViews(renderers) {
  views = renderers;
}

let renders = 0;

/** Re-renders the current view (after an action or a pushed event); of overlapping renders the latest one wins. */
export async function refresh() {
  const section = app.querySelector('section.view');
  if (!section || !views[state.view]) return;
  const render = ++renders;
  // busy until the latest render is in: a click on what is about to be replaced would be lost
  section.setAttribute('aria-busy', 'true');
  let content;
  try {
    content = await views[state.view]();
  } catch (error) {
    if (error.status === 401) return section.removeAttribute('aria-busy');
    content = [h('p', { class: 'error', role: 'alert' }, error.message)];
  }
  if (render !== renders || !section.isConnected) return;
  section.removeAttribute('aria-busy');
  const typed = typedInput(section);
  // views build their content with `condition && element`: what is not an element or text is left out
  section.replaceChildren(...(state.error ? [errorBanner()] : []), ...[content].flat(2).filter((c) => c !== undefined && c !== null && c !== false && c !== ''));
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

/** Drops a pending re-render (a new view renders itself). */
export function cancelRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = undefined;
}

/** A re-render within 150 ms; more calls meanwhile join it (a throttle: under steady traffic it still happens). */
export function refreshSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = undefined;
    void refresh();
  }, 150);
}

/** Runs an action from a button: errors are shown next to it, never swallowed. */
export function action(run) {
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
export function showError(message) {
  state.error = message;
  document.getElementById('action-error')?.remove();
  if (message) app.querySelector('section.view')?.prepend(errorBanner());
}

function errorBanner() {
  return h('p', { class: 'error', role: 'alert', id: 'action-error' }, state.error);
}

/** A button's action: one API call, then the view again. */
export function calling(method, path, body) {
  return action(async () => {
    await api(method, path, body);
    await refresh();
  });
}

export function confirmed(question, run) {
  return action(async () => {
    if (!window.confirm(question)) return;
    await run();
    await refresh();
  });
}
