/**
 * delivery/subscriptions: webhook subscriptions (URL, event-type patterns with `*` wildcards, session filter,
 * signing secret, custom headers, enabled flag, description), persisted. Creating the same URL and filter twice
 * returns the existing subscription, so a trigger that re-activates never gets two.
 */
import { randomUUID } from 'node:crypto';
import type Keyv from 'keyv';
import { ApiError } from '../errors';
import { resolveUrl, UrlRefusedError, type UrlPolicy } from '../net/guard';
import { eventTypeMatches, type RuntimeEvent } from '../events/schema';
import { generateSecret } from './signature';

export interface Subscription {
  id: string;
  url: string;
  events: string[];
  /** Empty: every session. */
  sessions: string[];
  secret: string;
  headers: Record<string, string>;
  enabled: boolean;
  description?: string;
  createdAt: string;
}

export type SubscriptionInput = Partial<Pick<Subscription, 'events' | 'sessions' | 'secret' | 'headers' | 'enabled' | 'description'>> & { url: string };

// what the runtime sets itself, and hop-by-hop headers (RFC 9110 §7.6.1), which belong to the connection, not the event
const RESERVED_HEADERS = /^(content-type|content-length|host|connection|keep-alive|transfer-encoding|upgrade|expect|te|trailer|proxy-connection|x-webhook-.*)$/i;

export class SubscriptionRegistry {
  private readonly cache = new Map<string, Subscription>();

  constructor(
    private readonly kv: Keyv<Subscription>,
    /** Where webhooks may point (net/guard): public addresses, plus what the configuration allows. */
    readonly targets: UrlPolicy,
  ) {}

  /** Reads the subscriptions (again: in cluster mode other runtimes change them); answers the ids that went. */
  async load(): Promise<string[]> {
    const seen = new Set<string>();
    for await (const [, value] of this.kv.iterator!(this.kv.namespace)) {
      const subscription = value as Subscription;
      seen.add(subscription.id);
      this.cache.set(subscription.id, subscription);
    }
    const gone = [...this.cache.keys()].filter((id) => !seen.has(id));
    for (const id of gone) this.cache.delete(id);
    return gone;
  }

  list(): Subscription[] {
    return [...this.cache.values()].sort(byCreation);
  }

  /** The subscription, or undefined once deleted (no error: the dispatcher asks on every delivery). */
  find(id: string): Subscription | undefined {
    return this.cache.get(id);
  }

  get(id: string): Subscription {
    const subscription = this.cache.get(id);
    if (!subscription) throw new ApiError(404, 'webhook_not_found', `Webhook subscription "${id}" does not exist`);
    return subscription;
  }

  /** Returns the existing subscription for the same URL and filter instead of creating a second one. */
  async create(input: SubscriptionInput): Promise<{ subscription: Subscription; created: boolean }> {
    const normalised = normalise(input);
    await this.checkTarget(normalised.url);
    const existing = this.list().find((s) => s.url === normalised.url && sameSet(s.events, normalised.events) && sameSet(s.sessions, normalised.sessions));
    if (existing) return { subscription: existing, created: false };
    const subscription: Subscription = {
      id: `wh_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      url: normalised.url,
      events: normalised.events,
      sessions: normalised.sessions,
      secret: input.secret ?? generateSecret(),
      headers: input.headers ?? {},
      enabled: input.enabled ?? true,
      ...(input.description && { description: input.description }),
      createdAt: new Date().toISOString(),
    };
    await this.kv.set(subscription.id, subscription);
    this.cache.set(subscription.id, subscription);
    return { subscription, created: true };
  }

  async update(id: string, changes: Partial<SubscriptionInput>): Promise<Subscription> {
    const current = this.get(id);
    const next: Subscription = { ...current, ...stripUndefined(changes) };
    if (changes.url !== undefined || changes.events !== undefined || changes.sessions !== undefined || changes.headers !== undefined) Object.assign(next, normalise(next));
    if (changes.url !== undefined) await this.checkTarget(next.url);
    await this.kv.set(id, next);
    this.cache.set(id, next);
    return next;
  }

  /** A webhook may not point at loopback, private or reserved addresses unless the configuration allows it. */
  private async checkTarget(url: string): Promise<void> {
    try {
      await resolveUrl(url, this.targets);
    } catch (error) {
      if (!(error instanceof UrlRefusedError)) throw error;
      throw new ApiError(400, 'webhook_url_not_allowed', `This webhook URL is not allowed: ${error.message} (set WA_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true for n8n on a private network)`, { field: 'url' });
    }
  }

  async delete(id: string): Promise<void> {
    this.get(id);
    await this.kv.delete(id);
    this.cache.delete(id);
  }

  /**
   * Takes a deleted session out of every filter; a subscription that named only it is deleted (an empty filter
   * would mean every session). Returns the ids of the deleted subscriptions.
   */
  async dropSession(session: string): Promise<string[]> {
    const deleted: string[] = [];
    for (const subscription of this.list()) {
      if (!subscription.sessions.includes(session)) continue;
      const sessions = subscription.sessions.filter((s) => s !== session);
      if (sessions.length) {
        await this.kv.set(subscription.id, { ...subscription, sessions });
        this.cache.set(subscription.id, { ...subscription, sessions });
      } else {
        await this.delete(subscription.id);
        deleted.push(subscription.id);
      }
    }
    return deleted;
  }

  matching(event: RuntimeEvent): Subscription[] {
    const matched: Subscription[] = [];
    // in creation order, as list() has them; one match (the common case) is not copied and sorted
    for (const subscription of this.cache.values()) if (subscription.enabled && matches(subscription, event)) matched.push(subscription);
    return matched.length > 1 ? matched.sort(byCreation) : matched;
  }
}

const byCreation = (a: Subscription, b: Subscription) => a.createdAt.localeCompare(b.createdAt);

export function matches(subscription: Pick<Subscription, 'events' | 'sessions'>, event: Pick<RuntimeEvent, 'type' | 'session'>): boolean {
  if (subscription.sessions.length && !subscription.sessions.includes(event.session)) return false;
  return subscription.events.some((pattern) => eventTypeMatches(pattern, event.type));
}

function normalise(input: SubscriptionInput): { url: string; events: string[]; sessions: string[] } {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new ApiError(400, 'invalid_webhook_url', `"${input.url}" is not a URL`, { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ApiError(400, 'invalid_webhook_url', 'Webhook URLs must be http or https', { field: 'url' });
  for (const name of Object.keys(input.headers ?? {})) {
    if (RESERVED_HEADERS.test(name)) throw new ApiError(400, 'reserved_header', `The header "${name}" is set by the runtime`, { field: 'headers' });
  }
  const events = [...new Set(input.events?.length ? input.events : ['*'])].sort();
  return { url: url.toString(), events, sessions: [...new Set(input.sessions ?? [])].sort() };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
