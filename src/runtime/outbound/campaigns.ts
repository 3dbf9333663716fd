/**
 * outbound/campaigns: one message template sent to many recipients through the bulk lane. At creation the
 * recipients (a request's array and the members of a contact list) are written down as they stream in, each under a
 * message id fixed then, so a restart never sends anyone the campaign twice. They are then checked on WhatsApp and
 * queued a chunk at a time as the queue drains (invalid, duplicate and opted-out ones skipped and reported), so a
 * campaign over a 100,000-contact list holds neither its list nor its recipients in memory. Every recipient's
 * progress (queued → sent → delivered → read, or failed / skipped / cancelled) is stored and announced as
 * `campaign.recipient`; `campaign.completed` sums it up.
 */
import { randomBytes } from 'node:crypto';
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { RuntimeEvent } from '../events/schema';
import { ApiError } from '../errors';
import type { RecipientResolver } from '../messages/recipients';
import { decide, numbersToCheck, writeRecipients } from './campaign-checks';
import type { SessionManager } from '../sessions/manager';
import { campaignMessageId, CampaignRecipients, emptyCounts, parseCampaignMessageId, type CampaignRecipient, type RecipientCounts, type RecipientStatus } from './campaign-recipients';
import { requestFor } from './campaign-template';
import { checkedOf, type Campaign, type CampaignInput, type CampaignStatus, type CampaignView } from './campaign-types';
import type { OutboundQueue, QueuedSend, QueueListener, Settled } from './queue';

export { RECIPIENT_STATUSES, type CampaignRecipient, type RecipientStatus } from './campaign-recipients';
export { missingVariables, render, type CampaignKind, type CampaignTemplate } from './campaign-template';
export type { RecipientInput } from './campaign-checks';
export type { Campaign, CampaignAudience, CampaignInput, CampaignStatus, CampaignView } from './campaign-types';

/** How far a recipient got; a status update never moves it back. */
const PROGRESS: Partial<Record<RecipientStatus, number>> = { queued: 0, sent: 1, delivered: 2, read: 3 };
/** A finished campaign's counts are recounted from its recipients at start while receipts may still come in. */
const RECOUNT_AFTER_FINISH_MS = 14 * 86_400_000;
const RETRY_FEED_MS = 30_000;
/** Least time between two number checks of one session: one query of a chunk's numbers a second at most. */
const CHECK_GAP_MS = 1000;

export interface CampaignDeps {
  campaigns: Keyv<Campaign>;
  recipients: Keyv<CampaignRecipient>;
  queue: OutboundQueue;
  sessions: SessionManager;
  resolver: RecipientResolver;
  bus: EventBus;
  logger: Logger;
  newId(): string;
  /** Opted-out numbers are skipped (reason `opted_out`). */
  optOuts?: { isOptedOut(session: string, phone: string): boolean };
  /** Recipients checked and queued at a time (500). */
  chunk?: number;
  /** Cluster mode: whether the session runs on this runtime (only its owner feeds and reconciles its campaigns). */
  owns?(session: string): boolean;
}

export class CampaignManager implements QueueListener {
  private readonly campaigns = new Map<string, Campaign>();
  private readonly counts = new Map<string, RecipientCounts>();
  private readonly bySeed = new Map<string, string>();
  /** Message ids of recipients of campaigns created before ids were derived from a seed. */
  private readonly legacyRefs = new Map<string, { campaignId: string; index: number }>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly feeding = new Map<string, Promise<void>>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly lastCheck = new Map<string, number>();
  private stopped = false;
  private readonly store: CampaignRecipients;
  private readonly chunk: number;
  private unsubscribe?: () => void;

  constructor(private readonly deps: CampaignDeps) {
    this.store = new CampaignRecipients(deps.recipients);
    this.chunk = deps.chunk ?? 500;
  }

  /** Loads campaigns and their progress and starts following message status events. */
  async load(): Promise<void> {
    await this.loadCampaigns();
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event));
  }

  /**
   * Cluster mode: the session moved here. Its campaigns are read again (their progress was made elsewhere); run
   * `reconcile(session)` once its queue is read again too.
   */
  async reloadSession(session: string): Promise<void> {
    for (const campaign of [...this.campaigns.values()]) if (campaign.session === session) this.forget(campaign);
    await this.loadCampaigns(session);
  }

  private async loadCampaigns(only?: string): Promise<void> {
    for await (const [, value] of this.deps.campaigns.iterator!(this.deps.campaigns.namespace)) {
      const campaign = value as Campaign;
      if (only && campaign.session !== only) continue;
      this.campaigns.set(campaign.id, campaign);
      if (campaign.seed) this.bySeed.set(campaign.seed, campaign.id);
      const recent = !campaign.finishedAt || Date.now() - Date.parse(campaign.finishedAt) < RECOUNT_AFTER_FINISH_MS;
      this.counts.set(campaign.id, recent || !campaign.counts ? await this.recount(campaign) : { ...emptyCounts(), ...campaign.counts });
    }
  }

  /** Brings unfinished campaigns (of `only`) in line with the queue (see `reconcileOne`); run once the queue has loaded. */
  async reconcile(only?: string): Promise<void> {
    for (const campaign of [...this.campaigns.values()]) {
      if (only && campaign.session !== only) continue;
      if ((campaign.status === 'running' || campaign.status === 'paused') && this.runsHere(campaign)) await this.serial(campaign.id, () => this.reconcileOne(campaign));
    }
  }

  /** Whether this runtime works on the campaign: it is the one loaded last, and (cluster mode) its session runs here. */
  private runsHere(campaign: Campaign): boolean {
    return this.campaigns.get(campaign.id) === campaign && (this.deps.owns?.(campaign.session) ?? true);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const retry of this.retries) clearTimeout(retry);
    this.retries.clear();
  }

  async create(session: string, input: CampaignInput): Promise<{ campaign: CampaignView; skipped: CampaignRecipient[] }> {
    this.deps.sessions.connected(session);
    const id = `cmp_${this.deps.newId()}`;
    const now = new Date().toISOString();
    const { total, matched, skipped } = await writeRecipients(this.store, id, { given: input.recipients, members: input.members?.contacts }, this.chunk, now);
    if (!total) throw new ApiError(422, 'no_recipients', 'The list has no member that matches', { field: 'list' });
    const campaign: Campaign = {
      id,
      session,
      ...(input.name && { name: input.name }),
      status: 'running',
      template: input.template,
      ...(input.media && { mediaRef: `cm_${id}` }),
      ...(input.sendAt !== undefined && { sendAt: new Date(input.sendAt).toISOString() }),
      ...(input.members && { audience: { ...input.members.audience, matched } }),
      total,
      checked: 0,
      seed: randomBytes(5).toString('hex').toUpperCase(),
      createdAt: now,
      updatedAt: now,
    };
    const counts = emptyCounts();
    counts.skipped = skipped.length;
    counts.queued = total - skipped.length;
    // recipients first, then the campaign, then the queue: a crash in between is completed by `reconcile`
    if (input.media) await this.deps.queue.storeMedia(campaign.mediaRef!, input.media);
    await this.saveCampaign(campaign, counts);
    this.campaigns.set(id, campaign);
    this.counts.set(id, counts);
    this.bySeed.set(campaign.seed!, id);
    for (const recipient of skipped) await this.announce(campaign, recipient);
    const first = this.checkChunk(campaign);
    this.feeding.set(id, first.then(() => this.feeding.delete(id), () => this.feeding.delete(id)).then(() => this.feed(campaign)));
    let checked: CampaignRecipient[] = [];
    try {
      checked = await first;
    } catch (error) {
      this.deps.logger.warn({ err: error, campaign: id }, 'checking the first recipients failed; retried');
    }
    return { campaign: this.view(campaign), skipped: [...skipped, ...checked] };
  }

  list(session?: string): CampaignView[] {
    return [...this.campaigns.values()].filter((c) => !session || c.session === session).sort((a, b) => b.createdAt.localeCompare(a.createdAt)).map((c) => this.view(c));
  }

  get(session: string, id: string): Campaign {
    const campaign = this.campaigns.get(id);
    if (!campaign || campaign.session !== session) throw new ApiError(404, 'campaign_not_found', `No campaign "${id}" in session "${session}"`);
    return campaign;
  }

  view(campaign: Campaign): CampaignView {
    const { seed: _seed, counts: _saved, ...shown } = campaign;
    return { ...shown, checked: checkedOf(campaign), counts: { ...(this.counts.get(campaign.id) ?? emptyCounts()) } };
  }

  /** A page of a campaign's recipients (those with `status`, or all) and how many there are. */
  async recipientsOf(session: string, id: string, query: { status?: RecipientStatus; offset: number; limit: number }): Promise<{ total: number; recipients: CampaignRecipient[] }> {
    const campaign = this.get(session, id);
    const total = query.status ? (this.counts.get(id)?.[query.status] ?? 0) : campaign.total;
    return { total, recipients: await this.store.page(id, campaign.total, query.status, query.offset, query.limit) };
  }

  async pause(session: string, id: string): Promise<CampaignView> {
    const campaign = this.get(session, id);
    if (campaign.status !== 'running') throw new ApiError(409, 'campaign_not_running', `The campaign is ${campaign.status}, not running`);
    await this.setStatus(campaign, 'paused');
    return this.view(campaign);
  }

  async resume(session: string, id: string): Promise<CampaignView> {
    const campaign = this.get(session, id);
    if (campaign.status !== 'paused') throw new ApiError(409, 'campaign_not_paused', `The campaign is ${campaign.status}, not paused`);
    await this.setStatus(campaign, 'running');
    this.deps.queue.kick(session);
    void this.feed(campaign);
    return this.view(campaign);
  }

  /** Queued sends go (each announced); recipients not checked yet are counted as cancelled in the summary. */
  async cancel(session: string, id: string): Promise<CampaignView> {
    const campaign = this.get(session, id);
    if (campaign.status === 'completed' || campaign.status === 'cancelled') throw new ApiError(409, 'campaign_finished', `The campaign is already ${campaign.status}`);
    campaign.status = 'cancelled';
    await this.feeding.get(id);
    await this.deps.queue.remove(session, (item) => item.campaignId === id);
    await this.serial(id, async () => {
      const counts = this.counts.get(id)!;
      for await (const batch of this.store.batches(id, campaign.total)) {
        const left = batch.filter((r) => r.status === 'queued').map((r) => ({ ...r, status: 'cancelled' as const, updatedAt: new Date().toISOString() }));
        counts.queued -= left.length;
        counts.cancelled += left.length;
        await this.store.saveMany(id, left);
      }
      await this.finish(campaign, 'cancelled');
    });
    return this.view(campaign);
  }

  /** A deleted session's campaigns are cancelled (their queued sends go) and then deleted with their recipients. */
  async dropSession(session: string): Promise<void> {
    for (const campaign of [...this.campaigns.values()]) {
      if (campaign.session !== session) continue;
      if (campaign.status === 'running' || campaign.status === 'paused') await this.cancel(session, campaign.id);
      await this.store.deleteAll(campaign.id, campaign.total);
      await this.deps.campaigns.delete(campaign.id);
      this.forget(campaign);
    }
  }

  /** Drops the campaign from memory (not from the store). */
  private forget(campaign: Campaign): void {
    this.campaigns.delete(campaign.id);
    this.counts.delete(campaign.id);
    if (campaign.seed) this.bySeed.delete(campaign.seed);
  }

  /** Recipients of every campaign, counted by session and status (for metrics). */
  recipientCounts(): { session: string; status: string; count: number }[] {
    const rows = new Map<string, { session: string; status: string; count: number }>();
    for (const [campaignId, counts] of this.counts) {
      const campaign = this.campaigns.get(campaignId);
      if (!campaign || !this.runsHere(campaign)) continue;
      const { session } = campaign;
      for (const [status, count] of Object.entries(counts)) {
        const row = rows.get(`${session}|${status}`) ?? { session, status, count: 0 };
        row.count += count;
        rows.set(`${session}|${status}`, row);
      }
    }
    return [...rows.values()].filter((row) => row.count > 0);
  }

  isHeld(item: QueuedSend): boolean {
    return !!item.campaignId && this.campaigns.get(item.campaignId)?.status === 'paused';
  }

  async onSettled(item: QueuedSend, outcome: Settled): Promise<void> {
    const campaign = item.campaignId ? this.campaigns.get(item.campaignId) : undefined;
    if (!campaign || item.recipientIndex === undefined) return;
    const index = item.recipientIndex;
    await this.serial(campaign.id, async () => {
      const recipient = await this.store.get(campaign.id, index);
      if (!recipient) return;
      await this.advance(campaign, recipient, outcome.status, outcome.status === 'failed' || outcome.status === 'skipped' ? outcome.reason : undefined);
      if (campaign.status !== 'cancelled' && !this.counts.get(campaign.id)!.queued) await this.finish(campaign, 'completed');
    });
    void this.feed(campaign);
  }

  private onEvent(event: RuntimeEvent): void {
    if (event.type === 'session.status' && (event.data as { status?: string }).status === 'connected') {
      for (const campaign of this.campaigns.values()) if (campaign.session === event.session) void this.feed(campaign);
      return;
    }
    if (event.type !== 'message.status') return;
    const data = event.data as { messageId?: string; status?: string; fromMe?: boolean; reason?: string };
    const ref = data.fromMe && data.messageId ? this.refOf(data.messageId) : undefined;
    const campaign = ref && this.campaigns.get(ref.campaignId);
    if (!ref || !campaign) return;
    const status = data.status === 'played' ? 'read' : data.status;
    if (status !== 'delivered' && status !== 'read' && status !== 'failed') return;
    void this.serial(campaign.id, async () => {
      const recipient = await this.store.get(campaign.id, ref.index);
      if (!recipient || recipient.messageId !== data.messageId || recipient.status === 'queued' || recipient.status === status) return;
      await this.advance(campaign, recipient, status, status === 'failed' ? data.reason : undefined);
    });
  }

  private refOf(messageId: string): { campaignId: string; index: number } | undefined {
    const parsed = parseCampaignMessageId(messageId);
    const campaignId = parsed && this.bySeed.get(parsed.seed);
    return campaignId ? { campaignId, index: parsed.index } : this.legacyRefs.get(messageId);
  }

  /** Checks and queues the next chunk of recipients while the campaign runs and the queue holds few of its sends. */
  private feed(campaign: Campaign): Promise<void> {
    const running = this.feeding.get(campaign.id);
    if (running) return running;
    const loop = (async () => {
      while (!this.stopped && campaign.status === 'running' && this.runsHere(campaign) && checkedOf(campaign) < campaign.total && (await this.queuedCount(campaign)) < this.chunk / 2) {
        const wait = (this.lastCheck.get(campaign.session) ?? 0) + CHECK_GAP_MS - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
        else await this.checkChunk(campaign);
      }
    })()
      .catch((error: unknown) => {
        if (this.stopped) return;
        this.deps.logger.warn({ err: error, campaign: campaign.id }, 'checking campaign recipients failed; retrying');
        const retry = setTimeout(() => {
          this.retries.delete(retry);
          void this.feed(campaign);
        }, RETRY_FEED_MS);
        this.retries.add(retry);
      })
      .finally(() => this.feeding.delete(campaign.id));
    this.feeding.set(campaign.id, loop);
    return loop;
  }

  private async queuedCount(campaign: Campaign): Promise<number> {
    return (await this.deps.queue.list(campaign.session)).filter((item) => item.campaignId === campaign.id).length;
  }

  /** The next chunk: numbers checked on WhatsApp in one query, then each recipient skipped or queued. */
  private async checkChunk(campaign: Campaign): Promise<CampaignRecipient[]> {
    const start = checkedOf(campaign);
    const chunk = await this.store.range(campaign.id, start, Math.min(this.chunk, campaign.total - start));
    const fresh = chunk.filter((r) => r.status === 'queued' && !r.messageId);
    const { sock } = this.deps.sessions.connected(campaign.session);
    this.lastCheck.set(campaign.session, Date.now());
    const checks = new Map((await this.deps.resolver.check(sock, numbersToCheck(fresh))).map((c) => [c.input.trim(), c]));
    const skipped: CampaignRecipient[] = [];
    await this.serial(campaign.id, async () => {
      if (campaign.status === 'cancelled' || !this.runsHere(campaign)) return;
      const counts = this.counts.get(campaign.id)!;
      for (const recipient of fresh) {
        const decision = decide(recipient, checks.get(recipient.to), campaign.template, (phone) => !!this.deps.optOuts?.isOptedOut(campaign.session, phone));
        if ('reason' in decision) {
          Object.assign(recipient, { status: 'skipped', reason: decision.reason });
          counts.queued--;
          counts.skipped++;
          skipped.push(recipient);
        } else Object.assign(recipient, { to: decision.jid, messageId: campaignMessageId(campaign.seed!, recipient.index) });
      }
      await this.store.saveMany(campaign.id, fresh);
      campaign.checked = start + chunk.length;
      await this.saveCampaign(campaign, counts);
      for (const recipient of skipped) await this.announce(campaign, recipient);
      await this.requeue(campaign, chunk);
      if (!counts.queued) await this.finish(campaign, 'completed');
    });
    return skipped;
  }

  private async advance(campaign: Campaign, recipient: CampaignRecipient, status: RecipientStatus, reason?: string): Promise<void> {
    const from = PROGRESS[recipient.status];
    const to = PROGRESS[status];
    if (from !== undefined && to !== undefined && to <= from) return;
    const counts = this.counts.get(campaign.id)!;
    counts[recipient.status]--;
    counts[status]++;
    recipient.status = status;
    recipient.updatedAt = new Date().toISOString();
    if (reason) recipient.reason = reason;
    await this.store.save(campaign.id, recipient);
    await this.announce(campaign, recipient);
  }

  private async announce(campaign: Campaign, recipient: CampaignRecipient): Promise<void> {
    await this.deps.bus.publish(
      'campaign.recipient',
      campaign.session,
      { campaignId: campaign.id, index: recipient.index, to: recipient.to, status: recipient.status, ...(recipient.messageId && { messageId: recipient.messageId }), ...(recipient.reason && { reason: recipient.reason }) },
      `${campaign.id}|${recipient.index}|${recipient.status}`,
    );
  }

  private async setStatus(campaign: Campaign, status: CampaignStatus): Promise<void> {
    campaign.status = status;
    campaign.updatedAt = new Date().toISOString();
    await this.saveCampaign(campaign, this.counts.get(campaign.id)!);
    await this.deps.bus.publish('campaign.updated', campaign.session, { campaignId: campaign.id, status, counts: this.view(campaign).counts });
  }

  private async finish(campaign: Campaign, status: 'completed' | 'cancelled'): Promise<void> {
    if (campaign.finishedAt) return;
    campaign.status = status;
    campaign.finishedAt = new Date().toISOString();
    campaign.updatedAt = campaign.finishedAt;
    await this.saveCampaign(campaign, this.counts.get(campaign.id)!);
    if (campaign.mediaRef) await this.deps.queue.deleteMedia(campaign.mediaRef);
    const { counts, total, name } = this.view(campaign);
    await this.deps.bus.publish('campaign.completed', campaign.session, { campaignId: campaign.id, ...(name && { name }), status, total, counts }, `${campaign.id}|completed`);
  }

  private async saveCampaign(campaign: Campaign, counts: RecipientCounts): Promise<void> {
    campaign.counts = { ...counts };
    await this.deps.campaigns.set(campaign.id, campaign);
  }

  /**
   * After a crash during creation or between a send and its bookkeeping: a checked, queued recipient whose message
   * is stored was sent; one that is neither stored nor queued is queued again under its own message id.
   */
  private async reconcileOne(campaign: Campaign): Promise<void> {
    for await (const batch of this.store.batches(campaign.id, checkedOf(campaign))) await this.requeue(campaign, batch);
    if (!this.counts.get(campaign.id)!.queued) await this.finish(campaign, 'completed');
    else void this.feed(campaign);
  }

  private async requeue(campaign: Campaign, recipients: CampaignRecipient[]): Promise<void> {
    const waiting = recipients.filter((r) => r.status === 'queued' && r.messageId);
    if (!waiting.length || campaign.status === 'cancelled') return;
    const queued = new Set((await this.deps.queue.list(campaign.session)).map((item) => item.id));
    const session = this.deps.sessions.find(campaign.session);
    for (const recipient of waiting) {
      if (queued.has(recipient.messageId!)) continue;
      if (await session?.findMessage(recipient.to, recipient.messageId!)) await this.advance(campaign, recipient, 'sent');
      else await this.enqueue(campaign, recipient);
    }
  }

  private async enqueue(campaign: Campaign, recipient: CampaignRecipient): Promise<void> {
    await this.deps.queue.enqueue(campaign.session, {
      id: recipient.messageId!,
      lane: 'bulk',
      request: requestFor(campaign.template, recipient),
      ...(campaign.sendAt && { sendAt: Date.parse(campaign.sendAt) }),
      campaignId: campaign.id,
      recipientIndex: recipient.index,
      ...(campaign.mediaRef && { sharedMediaRef: campaign.mediaRef }),
    });
  }

  /** Counts from the stored recipients; ids of campaigns from before seeds are indexed on the way. */
  private async recount(campaign: Campaign): Promise<RecipientCounts> {
    const counts = emptyCounts();
    for await (const batch of this.store.batches(campaign.id, campaign.total)) {
      for (const recipient of batch) {
        counts[recipient.status]++;
        if (recipient.messageId && !campaign.seed) this.legacyRefs.set(recipient.messageId, { campaignId: campaign.id, index: recipient.index });
      }
    }
    return counts;
  }

  /** Runs recipient updates of one campaign one after another, so concurrent receipts never move one back. */
  private serial(campaignId: string, work: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(campaignId) ?? Promise.resolve()).then(work);
    const settled = next.catch((error: unknown) => this.deps.logger.warn({ err: error, campaign: campaignId }, 'campaign bookkeeping failed'));
    this.chains.set(campaignId, settled);
    void settled.then(() => {
      if (this.chains.get(campaignId) === settled) this.chains.delete(campaignId);
    });
    return next;
  }
}
