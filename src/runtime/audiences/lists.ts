/**
 * audiences/lists: a session's contact lists and their members. A contact is an E.164 number with a name, typed
 * custom fields (declared per list, or free-form strings), tags, and what WhatsApp said about the number. Each list
 * keeps its members in a namespace of their own under the number's digits; the member numbers are indexed in
 * memory (sorted once per change) so that pages and campaigns walk a list in a stable order, reading members in
 * batches instead of loading the whole list.
 */
import { randomBytes } from 'node:crypto';
import type Keyv from 'keyv';
import type { CountryCode } from 'libphonenumber-js';
import { ApiError } from '../errors';
import { countryOf, digitsOf, toE164 } from './phones';

export type FieldType = 'string' | 'number' | 'date' | 'boolean';
export type FieldValue = string | number | boolean;

export interface FieldSpec {
  name: string;
  type: FieldType;
  required?: boolean;
}

export interface ContactList {
  id: string;
  session: string;
  name: string;
  defaultCountry?: CountryCode;
  /** Declared fields; others are kept as strings unless `strictFields`. */
  fields: FieldSpec[];
  strictFields: boolean;
  createdAt: string;
  updatedAt: string;
}

export type WhatsAppStatus = 'unknown' | 'on_whatsapp' | 'not_on_whatsapp';

export interface Contact {
  phone: string;
  name?: string;
  fields: Record<string, FieldValue>;
  tags: string[];
  whatsapp: WhatsAppStatus;
  whatsappCheckedAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface ContactInput {
  phone: string;
  name?: string;
  fields?: Record<string, unknown>;
  tags?: string[];
}

/** Why a contact was not taken, as reports and answers name it. */
export type SkipReason = 'invalid_number' | 'duplicate' | 'missing_required_field' | 'invalid_field' | 'unknown_field';

export class ContactRefused extends Error {
  constructor(
    readonly reason: SkipReason,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface MemberFilter {
  tag?: string;
  field?: { name: string; value: string };
  whatsapp?: WhatsAppStatus;
  /** Only members whose number is (true) or is not (false) in the session's opt-outs. */
  optedOut?: boolean;
  search?: string;
}

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const BATCH = 500;

export class ContactLists {
  private readonly lists = new Map<string, ContactList>();
  private readonly members = new Map<string, { set: Set<string>; sorted?: string[] }>();
  private loaded?: Promise<void>;

  constructor(
    private readonly listKv: Keyv<ContactList>,
    private readonly contactsOf: (listId: string) => Keyv<Contact>,
  ) {}

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      for await (const [, value] of this.listKv.iterator!(this.listKv.namespace)) {
        const list = value as ContactList;
        this.lists.set(list.id, list);
      }
    })();
    return this.loaded;
  }

  async create(session: string, input: { name: string; defaultCountry?: string; fields?: FieldSpec[]; strictFields?: boolean }): Promise<ContactList> {
    await this.load();
    const now = new Date().toISOString();
    const list: ContactList = {
      id: `lst_${randomBytes(8).toString('hex')}`,
      session,
      name: input.name,
      ...(input.defaultCountry && { defaultCountry: countryOf(input.defaultCountry, 'defaultCountry') }),
      fields: checkedFields(input.fields ?? []),
      strictFields: input.strictFields ?? false,
      createdAt: now,
      updatedAt: now,
    };
    await this.save(list);
    this.members.set(list.id, { set: new Set() });
    return list;
  }

  async all(session: string): Promise<ContactList[]> {
    await this.load();
    return [...this.lists.values()].filter((l) => l.session === session).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async get(session: string, id: string): Promise<ContactList> {
    await this.load();
    const list = this.lists.get(id);
    if (!list || list.session !== session) throw new ApiError(404, 'list_not_found', `No contact list "${id}" in session "${session}"`);
    return list;
  }

  async update(list: ContactList, change: { name?: string; defaultCountry?: string | null; fields?: FieldSpec[]; strictFields?: boolean }): Promise<ContactList> {
    const { defaultCountry: _country, ...rest } = list;
    // unset: kept; null: removed
    const defaultCountry = change.defaultCountry === undefined ? list.defaultCountry : change.defaultCountry === null ? undefined : countryOf(change.defaultCountry, 'defaultCountry');
    const updated: ContactList = {
      ...rest,
      ...(change.name !== undefined && { name: change.name }),
      ...(defaultCountry && { defaultCountry }),
      ...(change.fields !== undefined && { fields: checkedFields(change.fields) }),
      ...(change.strictFields !== undefined && { strictFields: change.strictFields }),
      updatedAt: new Date().toISOString(),
    };
    await this.save(updated);
    return updated;
  }

  async delete(list: ContactList): Promise<void> {
    await this.contactsOf(list.id).clear();
    this.members.delete(list.id);
    this.lists.delete(list.id);
    await this.listKv.delete(list.id);
  }

  async dropSession(session: string): Promise<void> {
    for (const list of await this.all(session)) await this.delete(list);
  }

  async size(list: ContactList): Promise<number> {
    return (await this.index(list)).set.size;
  }

  /** Checks and normalises one contact for the list: the E.164 number and typed fields, or why not. */
  prepare(list: ContactList, input: ContactInput, options: { defaultCountry?: CountryCode; fromText?: boolean } = {}): Omit<Contact, 'whatsapp' | 'createdAt' | 'updatedAt'> {
    const phone = toE164(String(input.phone ?? ''), options.defaultCountry ?? list.defaultCountry);
    if (!phone) throw new ContactRefused('invalid_number', `"${input.phone}" is not a valid phone number${list.defaultCountry || options.defaultCountry ? '' : ' (give it with its country code, or set the list\'s defaultCountry)'}`, 'phone');
    const fields: Record<string, FieldValue> = {};
    for (const [name, raw] of Object.entries(input.fields ?? {})) {
      if (raw === undefined || raw === null || raw === '') continue;
      const spec = list.fields.find((f) => f.name === name);
      if (!spec && list.strictFields) throw new ContactRefused('unknown_field', `The list declares no field "${name}"`, `fields.${name}`);
      if (!FIELD_NAME.test(name)) throw new ContactRefused('invalid_field', `"${name}" is not a field name (letters, digits and _, starting with a letter)`, `fields.${name}`);
      fields[name] = typed(spec?.type ?? 'string', raw, name, options.fromText ?? false);
    }
    for (const spec of list.fields) if (spec.required && fields[spec.name] === undefined) throw new ContactRefused('missing_required_field', `The field "${spec.name}" is required`, `fields.${spec.name}`);
    const tags = [...new Set((input.tags ?? []).map((t) => String(t).trim()).filter(Boolean))];
    return { phone, ...(input.name?.trim() && { name: input.name.trim() }), fields, tags };
  }

  /** Adds or updates (by number) a prepared contact; answers whether it was new. */
  /** `replaceFields`: the prepared fields are all the contact has (an edit that removes some); merged otherwise. */
  async put(list: ContactList, prepared: Omit<Contact, 'whatsapp' | 'createdAt' | 'updatedAt'>, options: { mergeTags?: boolean; replaceFields?: boolean } = {}): Promise<{ contact: Contact; created: boolean }> {
    const kv = this.contactsOf(list.id);
    const key = digitsOf(prepared.phone);
    const existing = await kv.get(key);
    const now = new Date().toISOString();
    const contact: Contact = existing
      ? { ...existing, ...prepared, name: prepared.name ?? existing.name, fields: options.replaceFields ? prepared.fields : { ...existing.fields, ...prepared.fields }, tags: options.mergeTags ? [...new Set([...existing.tags, ...prepared.tags])] : prepared.tags, updatedAt: now }
      : { ...prepared, whatsapp: 'unknown', createdAt: now, updatedAt: now };
    if (contact.name === undefined) delete contact.name;
    await kv.set(key, contact);
    const index = await this.index(list);
    if (!index.set.has(key)) {
      index.set.add(key);
      index.sorted = undefined;
    }
    return { contact, created: !existing };
  }

  async contact(list: ContactList, phone: string): Promise<Contact> {
    const e164 = toE164(phone, list.defaultCountry);
    const found = e164 && (await this.contactsOf(list.id).get(digitsOf(e164)));
    if (!found) throw new ApiError(404, 'contact_not_found', `No contact ${e164 ?? phone} in the list "${list.name}"`);
    return found;
  }

  async remove(list: ContactList, phone: string): Promise<boolean> {
    const e164 = toE164(phone, list.defaultCountry);
    if (!e164) return false;
    const key = digitsOf(e164);
    const removed = await this.contactsOf(list.id).delete(key);
    const index = await this.index(list);
    if (index.set.delete(key)) index.sorted = undefined;
    return removed;
  }

  async setWhatsApp(list: ContactList, digits: string, status: WhatsAppStatus): Promise<void> {
    const kv = this.contactsOf(list.id);
    const contact = await kv.get(digits);
    if (contact) await kv.set(digits, { ...contact, whatsapp: status, whatsappCheckedAt: new Date().toISOString() });
  }

  /**
   * Members in number order from after `cursor`, matching the filter, reading the list in batches: at most
   * `limit` of them and the cursor to continue from.
   */
  async page(list: ContactList, filter: MemberFilter & { limit: number; cursor?: string; optedOutOf?: (digits: string) => boolean }): Promise<{ contacts: Contact[]; nextCursor?: string }> {
    const contacts: Contact[] = [];
    for await (const contact of this.matching(list, filter, filter.cursor)) {
      contacts.push(contact);
      if (contacts.length === filter.limit) return { contacts, nextCursor: digitsOf(contact.phone) };
    }
    return { contacts };
  }

  /** The members matching the filter, in number order from after `cursor`, read in batches. */
  async *matching(list: ContactList, filter: MemberFilter & { optedOutOf?: (digits: string) => boolean }, cursor?: string): AsyncGenerator<Contact> {
    for await (const batch of this.walk(list, cursor)) {
      for (const contact of batch) if (matches(contact, filter)) yield contact;
    }
  }

  /** The list's members in number order, in batches, after `cursor` (digits). */
  async *walk(list: ContactList, cursor?: string): AsyncGenerator<Contact[]> {
    const sorted = await this.sorted(list);
    let start = cursor ? upperBound(sorted, cursor) : 0;
    const kv = this.contactsOf(list.id);
    while (start < sorted.length) {
      const keys = sorted.slice(start, start + BATCH);
      start += keys.length;
      const found = (await kv.getMany(keys)).filter((c): c is Contact => !!c);
      if (found.length) yield found;
    }
  }

  private async sorted(list: ContactList): Promise<string[]> {
    const index = await this.index(list);
    index.sorted ??= [...index.set].sort();
    return index.sorted;
  }

  private async index(list: ContactList): Promise<{ set: Set<string>; sorted?: string[] }> {
    let index = this.members.get(list.id);
    if (!index) {
      const set = new Set<string>();
      const kv = this.contactsOf(list.id);
      for await (const [key] of kv.iterator!(kv.namespace)) set.add(String(key).replace(/^.*:/, ''));
      index = { set };
      this.members.set(list.id, index);
    }
    return index;
  }

  private async save(list: ContactList): Promise<void> {
    this.lists.set(list.id, list);
    await this.listKv.set(list.id, list);
  }
}

function matches(contact: Contact, filter: MemberFilter & { optedOutOf?: (digits: string) => boolean }): boolean {
  if (filter.tag && !contact.tags.includes(filter.tag)) return false;
  if (filter.whatsapp && contact.whatsapp !== filter.whatsapp) return false;
  if (filter.field && String(contact.fields[filter.field.name] ?? '') !== filter.field.value) return false;
  if (filter.optedOut !== undefined && filter.optedOutOf && filter.optedOutOf(digitsOf(contact.phone)) !== filter.optedOut) return false;
  if (filter.search) {
    const text = filter.search.toLowerCase();
    if (!contact.phone.includes(text.replace(/[^\d+]/g, '') || '\u0000') && !contact.name?.toLowerCase().includes(text)) return false;
  }
  return true;
}

function upperBound(sorted: string[], value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

function checkedFields(fields: FieldSpec[]): FieldSpec[] {
  const names = new Set<string>();
  return fields.map((field, index) => {
    if (!FIELD_NAME.test(field.name)) throw new ApiError(400, 'validation_failed', `"${field.name}" is not a field name (letters, digits and _, starting with a letter)`, { field: `fields[${index}].name` });
    if (names.has(field.name)) throw new ApiError(400, 'validation_failed', `The field "${field.name}" is declared twice`, { field: `fields[${index}].name` });
    names.add(field.name);
    return { name: field.name, type: field.type, ...(field.required && { required: true }) };
  });
}

const TRUE = new Set(['true', 'yes', 'y', '1', 'ja', 'sí', 'si', 'sim', 'oui']);
const FALSE = new Set(['false', 'no', 'n', '0', 'nein', 'não', 'nao', 'non']);

/**
 * A field's value in its declared type. JSON input must already have the type (no string becomes a number); text
 * from a CSV file is read as the type says: `1.5`, `2026-12-01`, `yes`.
 */
function typed(type: FieldType, raw: unknown, name: string, fromText: boolean): FieldValue {
  const field = `fields.${name}`;
  const refuse = (what: string) => new ContactRefused('invalid_field', `The field "${name}" must be ${what}`, field);
  if (type === 'string') {
    if (typeof raw !== 'string' && !(fromText && raw !== null)) throw refuse('text');
    const text = String(raw);
    if (text.length > 1000) throw refuse('at most 1000 characters');
    return text;
  }
  if (type === 'number') {
    if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
    if (fromText && typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim())) return Number(raw.trim());
    throw refuse('a number');
  }
  if (type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    const text = fromText && typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
    if (text !== undefined && TRUE.has(text)) return true;
    if (text !== undefined && FALSE.has(text)) return false;
    throw refuse('true or false');
  }
  if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw.trim()) || Number.isNaN(Date.parse(raw.trim()))) throw refuse('a date (YYYY-MM-DD)');
  return raw.trim();
}
