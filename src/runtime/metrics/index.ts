/**
 * metrics/: what `GET /metrics` shows, in Prometheus' text format (prom-client, with its default process metrics):
 * counters fed by the event bus (status changes, messages, sends, undecryptable messages), by the HTTP layer
 * (requests by route template) and by the store (operation latency), and gauges read when scraped (sessions by
 * status, limits in force, outbox depth and oldest pending event, send queue depth, campaign recipients). Label
 * values are bounded: route templates, event kinds, error codes, and session ids only while `sessionLabel` is on.
 * It also keeps the last hour per minute for the dashboard's overview.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from '../events/bus';
import type { MessageEventData, RuntimeEvent } from '../events/schema';

export interface MetricsSources {
  sessions(): { id: string; status: string }[];
  outboxPending(): { count: number; oldestAt?: number };
  queues(): Promise<{ session: string; lane: string; queued: number; nextDueAt: string | null }[]>;
  campaignRecipients(): { session: string; status: string; count: number }[];
  /** Cluster mode: sessions whose lease this runtime holds, and its lease counters so far. */
  cluster?(): { owned: number; acquired: number; released: number; lost: number; takenOver: number; adopted: number };
}

const SESSION_ALL = '_all';
const STORE_SAMPLE = 16;

/**
 * How often the event-loop delay histogram samples. prom-client's default (10 ms) wakes the process 100 times a
 * second: about 5 ms of CPU a second on this machine kind, as much as 50 idle sessions cost together (and ~50 µs
 * per message at 100 msg/s). 5 samples a second still catch every stall longer than 200 ms.
 */
const EVENT_LOOP_SAMPLE_MS = 200;

export class RuntimeMetrics {
  readonly registry = new Registry();
  private readonly sessionStatusChanges = new Counter({ name: 'wa_session_status_changes_total', help: 'Session status changes, by the status entered', labelNames: ['session', 'status'], registers: [this.registry] });
  private readonly disconnects = new Counter({ name: 'wa_session_disconnects_total', help: 'Connections WhatsApp closed, by the code it gave (none: no code)', labelNames: ['session', 'code'], registers: [this.registry] });
  private readonly received = new Counter({ name: 'wa_messages_received_total', help: 'Messages received, by kind', labelNames: ['session', 'kind'], registers: [this.registry] });
  private readonly sent = new Counter({ name: 'wa_messages_sent_total', help: 'Messages sent, by kind', labelNames: ['session', 'kind'], registers: [this.registry] });
  private readonly undecryptable = new Counter({ name: 'wa_messages_undecryptable_total', help: 'Messages that arrived but could not be decrypted', labelNames: ['session'], registers: [this.registry] });
  private readonly sends = new Counter({ name: 'wa_sends_total', help: 'Send requests by result (sent, queued, failed, rate_limited) and reason (an error code)', labelNames: ['session', 'result', 'reason'], registers: [this.registry] });
  private readonly httpRequests = new Counter({ name: 'wa_http_requests_total', help: 'API requests by route template, method and status', labelNames: ['route', 'method', 'status'], registers: [this.registry] });
  private readonly httpDuration = new Histogram({ name: 'wa_http_request_duration_seconds', help: 'API request duration by route template and method', labelNames: ['route', 'method'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [this.registry] });
  private readonly mcpToolCalls = new Counter({ name: 'wa_mcp_tool_calls_total', help: 'MCP tool calls by tool and result (success, failure, denied)', labelNames: ['tool', 'result'], registers: [this.registry] });
  private readonly mcpToolDuration = new Histogram({ name: 'wa_mcp_tool_call_duration_seconds', help: 'MCP tool call duration by tool (ask_and_wait includes the wait)', labelNames: ['tool'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600], registers: [this.registry] });
  private readonly storeLatency = new Histogram({ name: 'wa_store_operation_duration_seconds', help: 'Store operations by kind', labelNames: ['operation'], buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1], registers: [this.registry] });
  private readonly limitsActive = new Map<string, Set<string>>();
  /** Label children by their values: prom-client hashes the labels on every call otherwise (several per message). */
  private readonly children = new Map<string, { inc(): void } & { observe?(value: number): void }>();
  private storeOperations = 0;
  /** Messages and failed deliveries per minute, the last 60 minutes, for the dashboard. */
  private readonly minutes: { minute: number; messages: number; deliveryFailures: number }[] = [];

  constructor(private readonly options: { sessionLabel: boolean; now?: () => number }) {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  }

  /** The gauges, read at each scrape from what the runtime holds. */
  bind(sources: MetricsSources): void {
    const label = (session: string) => this.session(session);
    // the two queue gauges are collected together (prom-client reads every metric at once): one status read serves both
    let lanesInFlight: ReturnType<MetricsSources['queues']> | undefined;
    const lanes = () =>
      (lanesInFlight ??= sources.queues().finally(() => {
        lanesInFlight = undefined;
      }));
    new Gauge({
      name: 'wa_sessions',
      help: 'Sessions by status',
      labelNames: ['status'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const session of sources.sessions()) this.inc({ status: session.status });
      },
    });
    const limits = this.limitsActive;
    new Gauge({
      name: 'wa_whatsapp_limits_active',
      help: 'WhatsApp limits in force (rate_limited, restricted, reachout_timelock, new_chat_cap, ...), by reason',
      labelNames: ['session', 'reason'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [key, sessions] of limits) {
          const [session, reason] = key.split('|');
          if (sessions.size) this.set({ session, reason }, sessions.size);
        }
      },
    });
    new Gauge({ name: 'wa_outbox_pending_events', help: 'Events with a webhook delivery still pending', registers: [this.registry], collect() { this.set(sources.outboxPending().count); } });
    const now = () => this.now();
    new Gauge({
      name: 'wa_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest event whose delivery is still pending (0: none)',
      registers: [this.registry],
      collect() {
        const { oldestAt } = sources.outboxPending();
        this.set(oldestAt === undefined ? 0 : Math.max(0, (now() - oldestAt) / 1000));
      },
    });
    new Gauge({
      name: 'wa_outbound_queue_depth',
      help: 'Sends waiting in the outbound queue, by lane',
      labelNames: ['session', 'lane'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const lane of await lanes()) this.inc({ session: label(lane.session), lane: lane.lane }, lane.queued);
      },
    });
    new Gauge({
      name: 'wa_outbound_next_send_delay_seconds',
      help: 'Time until the next queued send of a lane is due (0: due now)',
      labelNames: ['session', 'lane'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const lane of await lanes()) {
          if (lane.nextDueAt) this.set({ session: label(lane.session), lane: lane.lane }, Math.max(0, (Date.parse(lane.nextDueAt) - now()) / 1000));
        }
      },
    });
    const cluster = sources.cluster;
    if (cluster) {
      // the coordinator counts; registered first, the gauge brings the counters up to date before they are read
      const seen = { acquired: 0, released: 0, lost: 0, takenOver: 0, adopted: 0 };
      const catchUp = (now: ReturnType<typeof cluster>) => {
        for (const [field, event] of [['acquired', 'acquired'], ['released', 'released'], ['lost', 'lost'], ['takenOver', 'taken_over']] as const) {
          if (now[field] > seen[field]) leases.inc({ event }, now[field] - seen[field]);
          seen[field] = now[field];
        }
        if (now.adopted > seen.adopted) adopted.inc(now.adopted - seen.adopted);
        seen.adopted = now.adopted;
      };
      new Gauge({ name: 'wa_cluster_sessions_owned', help: 'Sessions whose lease this runtime holds (cluster mode)', registers: [this.registry], collect() { const now = cluster(); catchUp(now); this.set(now.owned); } });
      const leases = new Counter({ name: 'wa_cluster_leases_total', help: 'Session leases taken, handed back, lost to another runtime, and taken over from an owner whose lease expired (failovers; cluster mode)', labelNames: ['event'], registers: [this.registry] });
      const adopted = new Counter({ name: 'wa_cluster_outboxes_adopted_total', help: 'Outboxes of runtimes gone without a graceful stop, delivered by this one', registers: [this.registry] });
    }
    new Gauge({
      name: 'wa_campaign_recipients',
      help: 'Recipients of campaigns still known, by status',
      labelNames: ['session', 'status'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const row of sources.campaignRecipients()) this.inc({ session: label(row.session), status: row.status }, row.count);
      },
    });
  }

  watch(bus: EventBus): () => void {
    return bus.subscribe((event) => this.onEvent(event));
  }

  request(route: string, method: string, status: number, seconds: number): void {
    this.httpRequests.inc({ route, method, status: String(status) });
    this.httpDuration.observe({ route, method }, seconds);
  }

  /** An API send's answer: 200 sent, 202 queued, 429 rate-limited, other errors failed with their code. */
  mcpToolCall(tool: string, result: 'success' | 'failure' | 'denied', seconds: number): void {
    this.mcpToolCalls.inc({ tool, result });
    this.mcpToolDuration.observe({ tool }, seconds);
  }

  sendAnswered(session: string, status: number, errorCode: string | undefined): void {
    const result = status === 202 ? 'queued' : status < 400 ? 'sent' : status === 429 ? 'rate_limited' : 'failed';
    this.sends.inc({ session: this.session(session), result, reason: result === 'failed' || result === 'rate_limited' ? (errorCode ?? 'unknown') : '' });
  }

  /** Every STORE_SAMPLE-th store operation is timed (a message makes dozens; timing each cost more than the rest). */
  storeSampled(): boolean {
    return ++this.storeOperations % STORE_SAMPLE === 0;
  }

  storeOperation(operation: string, seconds: number): void {
    this.child(this.storeLatency, 'store', operation).observe!(seconds);
  }

  webhookAttempt(delivered: boolean): void {
    if (!delivered) this.minute().deliveryFailures++;
  }

  /** The last hour, per minute (oldest first), for the dashboard's overview. */
  lastHour(): { minute: string; messages: number; deliveryFailures: number }[] {
    this.minute();
    return this.minutes.map((m) => ({ minute: new Date(m.minute * 60_000).toISOString(), messages: m.messages, deliveryFailures: m.deliveryFailures }));
  }

  async text(extra: Registry[] = []): Promise<string> {
    return extra.length ? Registry.merge([this.registry, ...extra]).metrics() : this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private onEvent(event: RuntimeEvent): void {
    const session = this.session(event.session);
    switch (event.type) {
      case 'session.status': {
        const data = event.data as { status: string; reason?: { code?: number } };
        this.sessionStatusChanges.inc({ session, status: data.status });
        if (['reconnecting', 'logged_out', 'conflict', 'failed'].includes(data.status) && data.reason) this.disconnects.inc({ session, code: data.reason.code === undefined ? 'none' : String(data.reason.code) });
        return;
      }
      case 'message.received':
      case 'message.sent': {
        const kind = (event.data as unknown as MessageEventData).kind;
        if (event.type === 'message.received') this.child(this.received, 'received', session, kind).inc();
        else this.child(this.sent, 'sent', session, kind).inc();
        this.minute().messages++;
        return;
      }
      case 'message.undecryptable':
        this.undecryptable.inc({ session });
        return;
      case 'message.status':
        // a queued send that was given up (sends answered by the API are counted where they are answered)
        if ((event.data as { status?: string; fromMe?: boolean }).status === 'failed') this.sends.inc({ session, result: 'failed', reason: 'queued_send_failed' });
        return;
      case 'session.limited': {
        const data = event.data as { active: boolean; reason: string };
        const key = `${session}|${data.reason}`;
        const holders = this.limitsActive.get(key) ?? new Set<string>();
        if (data.active) holders.add(event.session);
        else holders.delete(event.session);
        this.limitsActive.set(key, holders);
        return;
      }
      default:
    }
  }

  private child(metric: Counter | Histogram, name: string, ...values: string[]): { inc(): void; observe?(value: number): void } {
    const key = `${name}|${values.join('|')}`;
    let child = this.children.get(key);
    if (!child) {
      const labels = Object.fromEntries((metric as unknown as { labelNames: string[] }).labelNames.map((label, i) => [label, values[i]]));
      child = metric.labels(labels) as { inc(): void; observe?(value: number): void };
      this.children.set(key, child);
    }
    return child;
  }

  private session(session: string): string {
    return this.options.sessionLabel ? session : SESSION_ALL;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private minute(): { minute: number; messages: number; deliveryFailures: number } {
    const minute = Math.floor(this.now() / 60_000);
    let last = this.minutes.at(-1);
    if (!last || last.minute !== minute) {
      last = { minute, messages: 0, deliveryFailures: 0 };
      this.minutes.push(last);
      while (this.minutes.length && this.minutes[0].minute <= minute - 60) this.minutes.shift();
    }
    return last;
  }
}
