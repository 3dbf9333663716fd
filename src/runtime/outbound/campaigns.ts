/**
 * outbound/campaigns: one message template sent to many recipients through the bulk lane. Numbers are checked on
 * WhatsApp first (invalid ones are skipped and reported), each recipient gets the template filled with its own
 * variables, and every recipient's progress (queued → sent → delivered → read, or failed / skipped / cancelled) is
 * stored and announced as `campaign.recipient`; `campaign.completed` sums it up. A recipient's message id is fixed
 * when the campaign is created, so a restart never sends anyone the campaign twice.
 */
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import type { EventBus } from '../events/bus';
import type { RuntimeEvent } from '../events/schema';
import { ApiError } from '../errors';
import type { MediaInput } from '../messages/media-input';
import type { RecipientResolver } from '../messages/recipients';
import type { SendRequest } from '../messages/sender';
import type { SessionManager } from '../sessions/manager';
import type { OutboundQueue, QueuedSend, QueueListener, Settled } from './queue';

export type CampaignKind = 'text' | 'image' | 'video' | 'document' | 'audio' | 'voice';
export type CampaignStatus = 'running' | 'paused' | 'cancelled' | 'completed';
export type RecipientStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'skipped' | 'cancelled';

export const RECIPIENT_STATUSES: RecipientStatus[] = ['queued', 'sent', 'delivered', 'read', 'failed', 'skipped', 'cancelled'];

export interface CampaignTemplate {
  kind: CampaignKind;
  /** Text messages: the text, with `{{variable}}` placeholders. */
  text?: string;
  /** Media messages: the caption, with placeholders. */
  caption?: string;
  fileName?: string;
  linkPreview?: boolean;
}

export interface Campaign {
  id: string;
  session: string;
  name?: string;
  status: CampaignStatus;
  template: CampaignTemplate;
  mediaRef?: string;
  sendAt?: string;
  /** The contact list (and filter) the recipients came from. */
  audience?: CampaignAudience;
  total: number;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
}

export interface CampaignAudience {
  listId: string;
  listName: string;
  tag?: string;
  field?: { name: string; value: string };
  /** Members of the list the filter matched (opted-out ones included: they are skipped). */
  matched: number;
}

/** A campaign as the API shows it: with its progress, counted from its recipients. */
export interface CampaignView extends Campaign {
  counts: Record<RecipientStatus, number>;
}

export interface CampaignRecipient {
  index: number;
  to: string;
  variables: Record<string, string>;
  /** This recipient's own text instead of the template's (still filled with its variables). */
  text?: string;
  status: RecipientStatus;
  messageId?: string;
  reason?: string;
  updatedAt: string;
}

export interface CampaignInput {
  name?: string;
  template: CampaignTemplate;
  media?: MediaInput;
  recipients: { to: string; variables?: Record<string, string | number | boolean>; text?: string }[];
  sendAt?: number;
  audience?: CampaignAudience;
}

/** How far a recipient got; a status update never moves it back. */
const PROGRESS: Partial<Record<RecipientStatus, number>> = { queued: 0, sent: 1, delivered: 2, read: 3 };

export interface CampaignDeps {
  campaigns: Keyv<Campaign>;
  recipients: Keyv<CampaignRecipient>;
  queue: OutboundQueue;
  sessions: SessionManager;
  resolver: RecipientResolver;
  bus: EventBus;
  logger: Logger;
  newMessageId(session: string): string;
  newId(): string;
  /** Opted-out numbers are skipped (reason `opted_out`). */
  optOuts?: { isOptedOut(session: string, phone: string): boolean };
}

export class CampaignManager implements QueueListener {
  private readonly campaigns = new Map<string, Campaign>();
  private readonly recipients = new Map<string, CampaignRecipient[]>();
  private readonly byMessage = new Map<string, { campaignId: string; index: number }>();
  private unsubscribe?: () => void;

  constructor(private readonly deps: CampaignDeps) {}

  /** Loads campaigns and their recipients and starts following message status events. */
  async load(): Promise<void> {
    for await (const [, value] of this.deps.campaigns.iterator!(this.deps.campaigns.namespace)) {
      const campaign = value as Campaign;
      this.campaigns.set(campaign.id, campaign);
      this.recipients.set(campaign.id, []);
    }
    for await (const [, value] of this.deps.recipients.iterator!(this.deps.recipients.namespace)) {
      const recipient = value as CampaignRecipient & { campaignId: string };
      const list = this.recipients.get(recipient.campaignId);
      if (!list) continue;
      list[recipient.index] = recipient;
      if (recipient.messageId) this.byMessage.set(recipient.messageId, { campaignId: recipient.campaignId, index: recipient.index });
    }
    this.unsubscribe = this.deps.bus.subscribe((event) => void this.onEvent(event));
  }

  /** Brings unfinished campaigns in line with the queue (see `reconcileOne`); run once the queue has loaded. */
  async reconcile(): Promise<void> {
    for (const campaign of this.campaigns.values()) {
      if (campaign.status === 'running' || campaign.status === 'paused') await this.reconcileOne(campaign);
    }
  }

  stop(): void {
    this.unsubscribe?.();
  }

  async create(session: string, input: CampaignInput): Promise<{ campaign: CampaignView; skipped: CampaignRecipient[] }> {
    const { sock } = this.deps.sessions.connected(session);
    const id = `cmp_${this.deps.newId()}`;
    const now = new Date().toISOString();
    const inputs = input.recipients.map((r) => r.to.trim());
    const phones = inputs.filter((to) => !/@(g\.us|lid)$/.test(to));
    const checks = new Map((await this.deps.resolver.check(sock, phones)).map((c) => [c.input.trim(), c]));
    const seen = new Set<string>();
    const list: CampaignRecipient[] = input.recipients.map((recipient, index) => {
      const to = inputs[index];
      const check = checks.get(to);
      const jid = check ? check.jid : to;
      const variables = { ...(check?.phoneNumber && { phone: check.phoneNumber }), ...stringify(recipient.variables ?? {}) };
      const base = { index, to, variables, ...(recipient.text !== undefined && { text: recipient.text }), updatedAt: now };
      if (!jid) return { ...base, status: 'skipped' as const, reason: check?.error ?? 'not on WhatsApp' };
      if (seen.has(jid)) return { ...base, status: 'skipped' as const, reason: 'duplicate recipient' };
      if (check?.phoneNumber && this.deps.optOuts?.isOptedOut(session, `+${check.phoneNumber}`)) return { ...base, status: 'skipped' as const, reason: 'opted_out' };
      seen.add(jid);
      const missing = missingVariables(recipient.text ?? templateText(input.template), variables);
      if (missing.length) return { ...base, status: 'skipped' as const, reason: `missing variable${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}` };
      return { ...base, to: jid, status: 'queued' as const, messageId: this.deps.newMessageId(session) };
    });
    const campaign: Campaign = {
      id,
      session,
      ...(input.name && { name: input.name }),
      status: 'running',
      template: input.template,
      ...(input.media && { mediaRef: `cm_${id}` }),
      ...(input.sendAt !== undefined && { sendAt: new Date(input.sendAt).toISOString() }),
      ...(input.audience && { audience: input.audience }),
      total: list.length,
      createdAt: now,
      updatedAt: now,
    };
    // recipients first, then the campaign, then the queue: a crash in between is completed by `reconcile`
    if (input.media) await this.deps.queue.storeMedia(campaign.mediaRef!, input.media);
    for (const recipient of list) await this.saveRecipient(id, recipient);
    await this.deps.campaigns.set(id, campaign);
    this.campaigns.set(id, campaign);
    this.recipients.set(id, list);
    for (const recipient of list) {
      if (recipient.messageId) this.byMessage.set(recipient.messageId, { campaignId: id, index: recipient.index });
    }
    for (const recipient of list.filter((r) => r.status === 'skipped')) await this.announce(campaign, recipient);
    for (const recipient of list.filter((r) => r.status === 'queued')) await this.enqueue(campaign, recipient);
    if (!list.some((r) => r.status === 'queued')) await this.finish(campaign, 'completed');
    return { campaign: this.view(campaign), skipped: list.filter((r) => r.status === 'skipped') };
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
    return { ...campaign, counts: countOf(this.recipients.get(campaign.id) ?? []) };
  }

  recipientsOf(session: string, id: string, status?: RecipientStatus): CampaignRecipient[] {
    this.get(session, id);
    return (this.recipients.get(id) ?? []).filter((r) => !status || r.status === status);
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
    return this.view(campaign);
  }

  async cancel(session: string, id: string): Promise<CampaignView> {
    const campaign = this.get(session, id);
    if (campaign.status === 'completed' || campaign.status === 'cancelled') throw new ApiError(409, 'campaign_finished', `The campaign is already ${campaign.status}`);
    campaign.status = 'cancelled';
    await this.deps.queue.remove(session, (item) => item.campaignId === id);
    await this.finish(campaign, 'cancelled');
    return this.view(campaign);
  }

  /** Cancels the unfinished campaigns of a deleted session. */
  /** A deleted session's campaigns are cancelled (their queued sends go) and then deleted with their recipients. */
  async dropSession(session: string): Promise<void> {
    for (const campaign of [...this.campaigns.values()]) {
      if (campaign.session !== session) continue;
      if (campaign.status === 'running' || campaign.status === 'paused') await this.cancel(session, campaign.id);
      for (const recipient of this.recipients.get(campaign.id) ?? []) await this.deps.recipients.delete(`${campaign.id}|${String(recipient.index).padStart(6, '0')}`);
      await this.deps.campaigns.delete(campaign.id);
      this.recipients.delete(campaign.id);
      this.campaigns.delete(campaign.id);
    }
  }

  /** Recipients of the campaigns in memory, counted by session and status (for metrics). */
  recipientCounts(): { session: string; status: string; count: number }[] {
    const counts = new Map<string, { session: string; status: string; count: number }>();
    for (const [campaignId, recipients] of this.recipients) {
      const session = this.campaigns.get(campaignId)?.session;
      if (!session) continue;
      for (const recipient of recipients) {
        const key = `${session}|${recipient.status}`;
        const row = counts.get(key) ?? { session, status: recipient.status, count: 0 };
        row.count++;
        counts.set(key, row);
      }
    }
    return [...counts.values()];
  }

  isHeld(item: QueuedSend): boolean {
    return !!item.campaignId && this.campaigns.get(item.campaignId)?.status === 'paused';
  }

  async onSettled(item: QueuedSend, outcome: Settled): Promise<void> {
    if (!item.campaignId || item.recipientIndex === undefined) return;
    const campaign = this.campaigns.get(item.campaignId);
    const recipient = this.recipients.get(item.campaignId)?.[item.recipientIndex];
    if (!campaign || !recipient) return;
    if (outcome.status === 'sent') await this.advance(campaign, recipient, 'sent');
    else await this.advance(campaign, recipient, outcome.status, outcome.status === 'failed' || outcome.status === 'skipped' ? outcome.reason : undefined);
    if (campaign.status !== 'cancelled' && !this.recipients.get(campaign.id)!.some((r) => r.status === 'queued')) await this.finish(campaign, 'completed');
  }

  private async onEvent(event: RuntimeEvent): Promise<void> {
    if (event.type !== 'message.status') return;
    const data = event.data as { messageId?: string; status?: string; fromMe?: boolean; reason?: string; participant?: string };
    const ref = data.fromMe && data.messageId ? this.byMessage.get(data.messageId) : undefined;
    const campaign = ref && this.campaigns.get(ref.campaignId);
    const recipient = ref && this.recipients.get(ref.campaignId)?.[ref.index];
    if (!campaign || !recipient || recipient.status === 'queued') return;
    const status = data.status === 'played' ? 'read' : data.status;
    if (status === 'delivered' || status === 'read') await this.advance(campaign, recipient, status);
    else if (status === 'failed' && recipient.status !== 'failed') await this.advance(campaign, recipient, 'failed', data.reason);
  }

  private async advance(campaign: Campaign, recipient: CampaignRecipient, status: RecipientStatus, reason?: string): Promise<void> {
    const from = PROGRESS[recipient.status];
    const to = PROGRESS[status];
    if (from !== undefined && to !== undefined && to <= from) return;
    recipient.status = status;
    recipient.updatedAt = new Date().toISOString();
    if (reason) recipient.reason = reason;
    await this.saveRecipient(campaign.id, recipient);
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
    await this.deps.campaigns.set(campaign.id, campaign);
    await this.deps.bus.publish('campaign.updated', campaign.session, { campaignId: campaign.id, status, counts: this.view(campaign).counts });
  }

  private async finish(campaign: Campaign, status: 'completed' | 'cancelled'): Promise<void> {
    if (campaign.finishedAt) return;
    campaign.status = status;
    campaign.finishedAt = new Date().toISOString();
    campaign.updatedAt = campaign.finishedAt;
    await this.deps.campaigns.set(campaign.id, campaign);
    if (campaign.mediaRef) await this.deps.queue.deleteMedia(campaign.mediaRef);
    const { counts, total, name } = this.view(campaign);
    await this.deps.bus.publish('campaign.completed', campaign.session, { campaignId: campaign.id, ...(name && { name }), status, total, counts }, `${campaign.id}|completed`);
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

  /**
   * After a crash during creation or between a send and its bookkeeping: a queued recipient whose message is stored
   * was sent; one that is neither stored nor queued is queued again under its own message id.
   */
  private async reconcileOne(campaign: Campaign): Promise<void> {
    const queued = new Set((await this.deps.queue.list(campaign.session)).map((item) => item.id));
    const session = this.deps.sessions.find(campaign.session);
    for (const recipient of this.recipients.get(campaign.id) ?? []) {
      if (recipient.status !== 'queued' || queued.has(recipient.messageId!)) continue;
      if (await session?.findMessage(recipient.to, recipient.messageId!)) await this.advance(campaign, recipient, 'sent');
      else await this.enqueue(campaign, recipient);
    }
    if (!this.recipients.get(campaign.id)!.some((r) => r.status === 'queued')) await this.finish(campaign, 'completed');
  }

  private async saveRecipient(campaignId: string, recipient: CampaignRecipient): Promise<void> {
    await this.deps.recipients.set(`${campaignId}|${String(recipient.index).padStart(6, '0')}`, { ...recipient, campaignId } as CampaignRecipient);
  }
}

function templateText(template: CampaignTemplate): string {
  return (template.kind === 'text' ? template.text : template.caption) ?? '';
}

/** `{{name}}`, or `{{name|default}}` with the text used when the recipient has no such variable. */
const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*(?:\|([^}]*))?\}\}/g;

export function render(template: string, variables: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_match, name: string, fallback?: string) => variables[name] ?? fallback?.trim() ?? '');
}

export function missingVariables(template: string, variables: Record<string, string>): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].filter((m) => m[2] === undefined && variables[m[1]] === undefined).map((m) => m[1]))];
}

function stringify(variables: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)]));
}

function countOf(list: CampaignRecipient[]): Record<RecipientStatus, number> {
  const counts = Object.fromEntries(RECIPIENT_STATUSES.map((s) => [s, 0])) as Record<RecipientStatus, number>;
  for (const recipient of list) counts[recipient.status]++;
  return counts;
}

function requestFor(template: CampaignTemplate, recipient: CampaignRecipient): SendRequest {
  const filled = render(recipient.text ?? templateText(template), recipient.variables);
  if (template.kind === 'text') return { kind: 'text', body: { to: recipient.to, text: filled, ...(template.linkPreview === false && { linkPreview: false }) } };
  return { kind: template.kind, body: { to: recipient.to, ...(filled && { caption: filled }), ...(template.fileName && { fileName: template.fileName }) } as never };
}
