/**
 * delivery/dispatcher: sends outbox records to webhook subscriptions. Per subscription, events of one chat go in
 * order (a lane waits while its head is retried); different chats go in parallel up to a concurrency bound. Failed
 * attempts back off exponentially with full jitter; past the attempt or age budget the event is dead-lettered and
 * its lane moves on. A slow subscriber only ever delays its own lanes.
 */
import type { LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import { Agent } from 'undici';
import { backoffDelay } from '../backoff';
import { pinnedLookup, resolveUrl, UrlRefusedError, type ResolvedUrl, type UrlPolicy } from '../net/guard';
import type { DeliveryMetrics } from './metrics';
import type { Outbox, OutboxRecord, TargetState } from './outbox';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, SUBSCRIPTION_HEADER, TIMESTAMP_HEADER, sign } from './signature';
import type { Subscription, SubscriptionRegistry } from './subscriptions';

export interface DispatcherOptions {
  timeoutMs: number;
  maxAttempts: number;
  maxAgeMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  concurrency: number;
}

interface Lane {
  queue: number[];
  running: boolean;
  timer?: NodeJS.Timeout;
}

interface SubscriptionState {
  lanes: Map<string, Lane>;
  active: number;
  waiters: (() => void)[];
}

export class Dispatcher {
  private readonly checkedTargets: CheckedTargets;
  /** Records with at least one pending target, by sequence. */
  private readonly records = new Map<number, OutboxRecord>();
  private readonly states = new Map<string, SubscriptionState>();
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly subscriptions: SubscriptionRegistry,
    private readonly metrics: DeliveryMetrics,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions,
  ) {
    this.checkedTargets = new CheckedTargets(subscriptions.targets, options.timeoutMs);
  }

  /** Queues every pending target of `record`. */
  enqueue(record: OutboxRecord): void {
    const pending = Object.entries(record.targets).filter(([, t]) => t.status === 'pending');
    if (!pending.length) return;
    this.records.set(record.seq, record);
    for (const [subscriptionId] of pending) this.enqueueTarget(subscriptionId, record);
  }

  /** Starts (again) the lanes of a subscription, for example after it was enabled. */
  resume(subscriptionId: string): void {
    const state = this.states.get(subscriptionId);
    for (const [laneKey, lane] of state?.lanes ?? []) if (!lane.running) void this.runLane(subscriptionId, laneKey, lane);
  }

  forget(subscriptionId: string): void {
    const state = this.states.get(subscriptionId);
    for (const lane of state?.lanes.values() ?? []) clearTimeout(lane.timer);
    this.states.delete(subscriptionId);
  }

  /** Drops the queued deliveries of a deleted session. */
  dropSession(session: string): void {
    for (const state of this.states.values()) {
      for (const [laneKey, lane] of state.lanes) {
        if (!laneKey.startsWith(`${session}|`)) continue;
        clearTimeout(lane.timer);
        for (const seq of lane.queue) this.records.delete(seq);
        lane.queue.length = 0;
        state.lanes.delete(laneKey);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const state of this.states.values()) for (const lane of state.lanes.values()) clearTimeout(lane.timer);
    void this.checkedTargets.agent.close().catch(() => undefined);
  }

  /** Events with a delivery still pending, and when the oldest of them was produced (for metrics and health). */
  pending(): { count: number; oldestAt?: number } {
    let oldestAt: number | undefined;
    for (const record of this.records.values()) {
      const at = Date.parse(record.event.timestamp);
      if (oldestAt === undefined || at < oldestAt) oldestAt = at;
    }
    return { count: this.records.size, ...(oldestAt !== undefined && { oldestAt }) };
  }

  /** Events of one session with a delivery still pending. */
  pendingOf(session: string): number {
    let count = 0;
    for (const record of this.records.values()) if (record.event.session === session) count++;
    return count;
  }

  /** Pending deliveries per subscription (for status pages and tests). */
  backlog(subscriptionId: string): number {
    let count = 0;
    for (const lane of this.states.get(subscriptionId)?.lanes.values() ?? []) count += lane.queue.length;
    return count;
  }

  private enqueueTarget(subscriptionId: string, record: OutboxRecord): void {
    let state = this.states.get(subscriptionId);
    if (!state) {
      state = { lanes: new Map(), active: 0, waiters: [] };
      this.states.set(subscriptionId, state);
    }
    const laneKey = laneOf(record);
    let lane = state.lanes.get(laneKey);
    if (!lane) {
      lane = { queue: [], running: false };
      state.lanes.set(laneKey, lane);
    }
    if (!lane.queue.includes(record.seq)) {
      lane.queue.push(record.seq);
      if (lane.queue.length > 1 && lane.queue[lane.queue.length - 2] > record.seq) lane.queue.sort((a, b) => a - b);
    }
    if (!lane.running && !lane.timer) void this.runLane(subscriptionId, laneKey, lane);
  }

  private async runLane(subscriptionId: string, laneKey: string, lane: Lane): Promise<void> {
    if (lane.running || this.stopped) return;
    lane.running = true;
    lane.timer = undefined;
    try {
      while (lane.queue.length && !this.stopped) {
        const seq = lane.queue[0];
        const record = this.records.get(seq) ?? (await this.outbox.get(seq));
        const target = record?.targets[subscriptionId];
        if (!record || !target || target.status !== 'pending') {
          lane.queue.shift();
          continue;
        }
        const subscription = this.subscriptions.find(subscriptionId);
        if (!subscription) {
          this.finish(record, target, 'dead', 'subscription deleted');
          await this.outbox.save(record);
          lane.queue.shift();
          continue;
        }
        if (!subscription.enabled) return;
        const wait = (target.nextAttemptAt ?? 0) - Date.now();
        if (wait > 0) {
          lane.timer = setTimeout(() => {
            lane.timer = undefined;
            void this.runLane(subscriptionId, laneKey, lane);
          }, wait);
          lane.timer.unref();
          return;
        }
        await this.attempt(subscription, record, target);
        if (target.status !== 'pending') lane.queue.shift();
      }
      if (!lane.queue.length) this.states.get(subscriptionId)?.lanes.delete(laneKey);
    } finally {
      lane.running = false;
    }
  }

  private async attempt(subscription: Subscription, record: OutboxRecord, target: TargetState): Promise<void> {
    const state = this.states.get(subscription.id)!;
    while (state.active >= this.options.concurrency) await new Promise<void>((resolve) => state.waiters.push(resolve));
    state.active++;
    const started = Date.now();
    let statusCode: number | undefined;
    let error: string | undefined;
    try {
      const body = JSON.stringify(record.event);
      const timestamp = Math.floor(started / 1000);
      statusCode = await post(subscription.url, body, {
        ...subscription.headers,
        ...(record.event.requestId && { 'x-request-id': record.event.requestId }),
        'content-type': 'application/json',
        'user-agent': 'n8n-nodes-whatsapp-runtime',
        [SUBSCRIPTION_HEADER]: subscription.id,
        [EVENT_ID_HEADER]: record.event.id,
        [EVENT_TYPE_HEADER]: record.event.type,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: sign(subscription.secret, timestamp, body),
      }, this.options.timeoutMs, this.checkedTargets);
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (caught) {
      error = describe(caught);
    } finally {
      state.active--;
      state.waiters.shift()?.();
    }
    const latencyMs = Date.now() - started;
    target.attempts.push({ at: new Date(started).toISOString(), ...(statusCode !== undefined && { statusCode }), latencyMs, ...(error && { error }) });
    this.metrics.attempted(record.event.session, !error, statusCode);
    if (!error) {
      this.finish(record, target, 'delivered');
      this.metrics.delivered.inc({ subscription: subscription.id });
      this.metrics.latency.observe({ subscription: subscription.id }, (Date.now() - Date.parse(record.event.timestamp)) / 1000);
    } else if (target.attempts.length >= this.options.maxAttempts || Date.now() - target.since >= this.options.maxAgeMs) {
      this.finish(record, target, 'dead', error);
      this.metrics.deadLettered.inc({ subscription: subscription.id });
      this.logger.warn({ subscription: subscription.id, eventId: record.event.id, attempts: target.attempts.length, error }, 'webhook event dead-lettered');
    } else {
      target.nextAttemptAt = Date.now() + backoffDelay(target.attempts.length - 1, this.options);
      this.metrics.retried.inc({ subscription: subscription.id });
    }
    this.outbox.saveSoon(record);
  }

  private finish(record: OutboxRecord, target: TargetState, status: 'delivered' | 'dead', error?: string): void {
    target.status = status;
    delete target.nextAttemptAt;
    if (status === 'delivered') target.deliveredAt = new Date().toISOString();
    else if (error && !target.attempts.length) target.attempts.push({ at: new Date().toISOString(), latencyMs: 0, error });
    if (!Object.values(record.targets).some((t) => t.status === 'pending')) this.records.delete(record.seq);
  }
}

/** Events of one chat share a lane; events without a chat share their session's lane. */
export function laneOf(record: OutboxRecord): string {
  const data = record.event.data as { chatId?: unknown; groupId?: unknown };
  const chat = typeof data.chatId === 'string' ? data.chatId : typeof data.groupId === 'string' ? data.groupId : '';
  return `${record.event.session}|${chat}`;
}

const CHECKED_TARGET_MS = 10_000;

/**
 * One dispatcher's checked targets, reused for a few seconds (a busy webhook is not resolved again on every POST),
 * and its keep-alive connections. undici's request API costs less CPU per POST than node:http (and than fetch, with
 * its WHATWG layers); a new connection to a host goes to the address the guard last checked for it.
 */
class CheckedTargets {
  private readonly targets = new Map<string, { target: ResolvedUrl; until: number }>();
  /** Host → the address last checked for it. */
  private readonly addresses = new Map<string, ResolvedUrl>();
  readonly agent: Agent;

  constructor(
    private readonly policy: UrlPolicy,
    timeoutMs: number,
  ) {
    const lookup = ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
      const checked = this.addresses.get(hostname);
      if (!checked) return callback(new UrlRefusedError(`the host ${hostname} was not checked`));
      pinnedLookup(checked)(hostname, options, callback as Parameters<LookupFunction>[2]);
    }) as LookupFunction;
    this.agent = new Agent({ connections: 64, connect: { lookup, timeout: timeoutMs } });
  }

  async get(url: string): Promise<ResolvedUrl> {
    const now = Date.now();
    const cached = this.targets.get(url);
    if (cached && cached.until > now) return cached.target;
    const target = await resolveUrl(url, this.policy);
    // together: a cached target whose host had lost its address would refuse every new connection until it expired
    if (this.targets.size > 1000) {
      this.targets.clear();
      this.addresses.clear();
    }
    this.targets.set(url, { target, until: now + CHECKED_TARGET_MS });
    this.addresses.set(target.url.hostname, target);
    return target;
  }
}

/** POSTs `body` to the address the guard checked (no second lookup); resolves with the response status. */
async function post(url: string, body: string, headers: Record<string, string>, timeoutMs: number, targets: CheckedTargets): Promise<number> {
  const { url: target } = await targets.get(url);
  const answer = await targets.agent.request({ origin: target.origin, path: `${target.pathname}${target.search}`, method: 'POST', headers: withUrlCredentials(target, headers), body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  await answer.body.dump();
  return answer.statusCode;
}

/** Credentials in the webhook URL go as basic auth, unless the subscription's own headers authorize (as node:http did). */
function withUrlCredentials(target: URL, headers: Record<string, string>): Record<string, string> {
  if ((!target.username && !target.password) || Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return headers;
  const credentials = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
  return { ...headers, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** An attempt's error as recorded: the code (a timeout of any phase as `timeout`), else the message. */
function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  return e.code ?? e.message ?? String(error);
}
