// Contacts: a session's contact lists with their sizes, a list's members (search, opted-out badge), a CSV import
// (upload, the detected shape and first rows, the column mapping, live progress, the report of skipped rows) and
// the session's opt-outs.
import { api } from './api.js';
import { formValues, h, status, time } from './dom.js';
import { action, confirmed, refresh } from './render.js';
import { can, state } from './state.js';

export async function renderAudiences() {
  const { sessions } = await api('GET', '/sessions');
  if (!sessions.length) return [h('h2', {}, 'Contacts'), h('p', { class: 'notice' }, 'Create a session first: contact lists belong to a session.')];
  const session = sessions.some((s) => s.id === state.audienceSession) ? state.audienceSession : sessions[0].id;
  state.audienceSession = session;
  const [{ lists }, { optOuts }] = await Promise.all([api('GET', `/sessions/${encodeURIComponent(session)}/lists`), api('GET', `/sessions/${encodeURIComponent(session)}/opt-outs`)]);
  const picker = h(
    'label',
    {},
    'Session',
    h('select', { 'data-testid': 'audience-session', onchange: (event) => { state.audienceSession = event.currentTarget.value; state.audienceList = undefined; state.importJob = undefined; refresh(); } }, sessions.map((s) => h('option', { value: s.id, selected: s.id === session }, s.id))),
  );
  const create = h(
    'form',
    { class: 'inline', 'data-testid': 'list-form', onsubmit: action(async () => {
      const values = formValues(create);
      const list = await api('POST', `/sessions/${encodeURIComponent(session)}/lists`, { name: values.name, ...(values.country && { defaultCountry: values.country }) });
      state.audienceList = list.id;
      await refresh();
    }) },
    h('label', {}, 'New list', h('input', { name: 'name', required: true, maxlength: 200, 'data-testid': 'list-name' })),
    h('label', {}, 'Default country', h('input', { name: 'country', size: 4, maxlength: 2, placeholder: 'DE' })),
    h('button', { class: 'primary', type: 'submit' }, 'Create list'),
  );
  const rows = lists.map((l) =>
    h(
      'tr',
      { 'data-list': l.id },
      h('td', {}, h('button', { class: 'link', 'data-testid': 'open-list', onclick: () => { state.audienceList = l.id; state.importJob = undefined; refresh(); } }, l.name)),
      h('td', { 'data-testid': 'list-size' }, String(l.size)),
      h('td', {}, l.defaultCountry ?? '—'),
      h('td', {}, time(l.createdAt)),
      h('td', {}, can('manage') && h('button', { class: 'danger', onclick: confirmed(`Delete the list "${l.name}" and its ${l.size} contacts? Opt-outs stay.`, () => api('DELETE', `/sessions/${encodeURIComponent(session)}/lists/${l.id}`)) }, 'Delete')),
    ),
  );
  const selected = lists.find((l) => l.id === state.audienceList);
  return [
    h('h2', {}, 'Contacts'),
    h('form', { class: 'inline' }, picker),
    can('manage') && create,
    lists.length ? h('table', { 'data-testid': 'lists' }, h('thead', {}, h('tr', {}, ['List', 'Contacts', 'Country', 'Created', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows)) : h('p', { class: 'notice' }, 'No contact lists yet.'),
    selected && (await listDetail(session, selected)),
    h('h3', {}, `Opted out (${optOuts.length})`),
    optOuts.length
      ? h('table', { 'data-testid': 'opt-outs' }, h('thead', {}, h('tr', {}, ['Number', 'How', 'Since'].map((t) => h('th', {}, t)))), h('tbody', {}, optOuts.map((o) => h('tr', {}, h('td', {}, o.phone), h('td', {}, o.keyword ? `wrote "${o.keyword}"` : o.how), h('td', {}, time(o.at))))))
      : h('p', { class: 'notice' }, 'Nobody opted out. Contacts who write STOP (or another opt-out keyword) appear here and get no more campaigns.'),
  ];
}

async function listDetail(session, list) {
  const base = `/sessions/${encodeURIComponent(session)}/lists/${list.id}`;
  const query = new URLSearchParams({ limit: '100', ...(state.memberSearch && { search: state.memberSearch }) });
  const { contacts, nextCursor } = await api('GET', `${base}/contacts?${query}`);
  const search = h(
    'form',
    { class: 'inline', onsubmit: action(async () => { state.memberSearch = formValues(search).search; await refresh(); }) },
    h('label', {}, 'Search', h('input', { name: 'search', value: state.memberSearch ?? '', placeholder: 'name or number', 'data-testid': 'member-search' })),
    h('button', { type: 'submit' }, 'Search'),
  );
  // declared fields first, then the free-form ones these members have
  const fields = [...new Set([...list.fields.map((f) => f.name), ...contacts.flatMap((c) => Object.keys(c.fields))])];
  const members = contacts.map((c) =>
    h('tr', { 'data-contact': c.phone }, h('td', {}, c.phone), h('td', {}, c.name ?? '—'), h('td', {}, c.tags.join(', ')), h('td', {}, status(c.optedOut ? 'opted out' : c.whatsapp)), ...fields.map((f) => h('td', {}, c.fields[f] === undefined ? '' : String(c.fields[f])))),
  );
  return h(
    'div',
    { class: 'card', 'data-testid': 'list-detail' },
    h('h3', {}, `${list.name}: ${contacts.length}${nextCursor ? '+' : ''} shown`),
    can('manage') && (await importPanel(base)),
    search,
    contacts.length
      ? h('table', { 'data-testid': 'members' }, h('thead', {}, h('tr', {}, ['Number', 'Name', 'Tags', 'State', ...fields].map((t) => h('th', {}, t)))), h('tbody', {}, members))
      : h('p', { class: 'notice' }, state.memberSearch ? 'No member matches.' : 'The list is empty: import a CSV file.'),
  );
}

/** Upload, then the shape and a mapping, then progress and the report. */
async function importPanel(base) {
  const job = state.importJob && (await api('GET', `${base}/imports/${state.importJob}`).catch(() => undefined));
  if (!job) {
    const upload = h(
      'form',
      { class: 'inline', 'data-testid': 'import-upload', onsubmit: action(async () => {
        const file = upload.elements.file.files[0];
        if (!file) throw new Error('Choose a CSV file');
        const form = new FormData();
        form.append('file', file, file.name);
        state.importJob = (await api('POST', `${base}/imports`, form)).id;
        await refresh();
      }) },
      h('label', {}, 'Import a CSV file', h('input', { name: 'file', type: 'file', accept: '.csv,text/csv', 'data-testid': 'import-file' })),
      h('button', { type: 'submit' }, 'Upload'),
    );
    return upload;
  }
  if (job.status === 'uploaded') {
    const { headers, sample, delimiter, encoding } = job.shape;
    const guess = (pattern) => headers.find((name) => pattern.test(name)) ?? '';
    const columnSelect = (name, chosen, optional) => h('select', { name, 'data-testid': `map-${name}` }, optional && h('option', { value: '' }, '—'), headers.map((c) => h('option', { value: c, selected: c === chosen }, c)));
    const mapping = h(
      'form',
      { class: 'card', 'data-testid': 'import-mapping', onsubmit: action(async () => {
        const values = formValues(mapping);
        const fieldsMap = Object.fromEntries(headers.filter((c) => values[`field:${c}`]).map((c) => [c, values[`field:${c}`]]));
        await api('POST', `${base}/imports/${job.id}/start`, { mapping: { phone: values.phone, ...(values.name && { name: values.name }), ...(values.tags && { tags: values.tags }), ...(Object.keys(fieldsMap).length && { fields: fieldsMap }) } });
        await refresh();
      }) },
      h('p', {}, `${job.fileName ?? 'The file'}: ${encoding === 'latin1' ? 'Latin-1' : 'UTF-8'}, separated by ${delimiter === '\t' ? 'tabs' : `"${delimiter}"`}, ${headers.length} columns.`),
      h('table', { 'data-testid': 'import-sample' }, h('thead', {}, h('tr', {}, headers.map((c) => h('th', {}, c)))), h('tbody', {}, sample.slice(0, 5).map((row) => h('tr', {}, headers.map((_, i) => h('td', {}, row[i] ?? '')))))),
      h('div', { class: 'inline' }, h('label', {}, 'Phone number column', columnSelect('phone', guess(/phone|tel|mobile|whats|number|nummer|número/i), false)), h('label', {}, 'Name column', columnSelect('name', guess(/name|nome|nombre/i), true)), h('label', {}, 'Tags column', columnSelect('tags', guess(/tag/i), true))),
      h('p', { class: 'notice' }, 'Other columns become fields when you name them (used as {{fields.name}} in campaigns):'),
      h('div', { class: 'inline' }, headers.map((c) => h('label', {}, c, h('input', { name: `field:${c}`, size: 12, placeholder: 'skip', 'data-testid': `field-${c}` })))),
      h('button', { class: 'primary', type: 'submit', 'data-testid': 'import-start' }, 'Import'),
      ' ',
      h('button', { type: 'button', onclick: () => { state.importJob = undefined; refresh(); } }, 'Cancel'),
    );
    return mapping;
  }
  const { processed, created, updated, skipped, checked } = job.counts;
  const done = job.status === 'completed' || job.status === 'failed';
  const report = action(async () => {
    const blob = await api('GET', `${base}/imports/${job.id}/report?format=csv`);
    const link = h('a', { href: URL.createObjectURL(blob), download: `${job.id}-report.csv` });
    link.click();
  });
  return h(
    'div',
    { class: 'card', 'data-testid': 'import-progress' },
    h('p', {}, status(job.status), ` ${processed} rows read: ${created} new, ${updated} updated, ${skipped} skipped${checked ? `, ${checked} checked on WhatsApp` : ''}.`),
    job.error && h('p', { class: 'error' }, job.error),
    !done && h('progress', { 'data-testid': 'import-bar' }),
    done && skipped > 0 && h('button', { onclick: report, 'data-testid': 'import-report' }, 'Download the report of skipped rows'),
    done && h('button', { onclick: () => { state.importJob = undefined; refresh(); } }, 'Import another file'),
  );
}
