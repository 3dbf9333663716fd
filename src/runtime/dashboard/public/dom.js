// Plain DOM helpers: building elements, reading forms, formatting statuses and times.
/** Creates an element; `on*` attributes become listeners, everything else attributes; children are text or nodes. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false || value === null) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) element.append(child instanceof Node ? child : String(child));
  return element;
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

export function status(value) {
  return h('span', { class: `status ${value}`, 'data-testid': 'status' }, value);
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}
