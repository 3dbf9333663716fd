/**
 * outbound/campaign-recipients: where a campaign's recipients live: one stored record each under the campaign id and
 * the recipient's index, read and written in batches so that a campaign of any size is walked without holding it in
 * memory. A recipient's message id is derived from the campaign's seed and the index, so the campaign a message
 * status belongs to is known without an index of every message id.
 */
import type Keyv from 'keyv';

export type RecipientStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'skipped' | 'cancelled';

export const RECIPIENT_STATUSES: RecipientStatus[] = ['queued', 'sent', 'delivered', 'read', 'failed', 'skipped', 'cancelled'];

export type RecipientCounts = Record<RecipientStatus, number>;

export interface CampaignRecipient {
  index: number;
  to: string;
  variables: Record<string, string>;
  /** This recipient's own text instead of the template's (still filled with its variables). */
  text?: string;
  status: RecipientStatus;
  /** Set once the number was checked on WhatsApp and the send queued. */
  messageId?: string;
  reason?: string;
  updatedAt: string;
}

const BATCH = 500;
/** WhatsApp Web's own id shape (`3EB0` and 18 upper-case hex digits): 10 from the campaign's seed, 8 from the index. */
const CAMPAIGN_MESSAGE_ID = /^3EB0([0-9A-F]{10})([0-9A-F]{8})$/;

export function campaignMessageId(seed: string, index: number): string {
  return `3EB0${seed}${index.toString(16).toUpperCase().padStart(8, '0')}`;
}

export function parseCampaignMessageId(id: string): { seed: string; index: number } | undefined {
  const match = CAMPAIGN_MESSAGE_ID.exec(id);
  return match ? { seed: match[1], index: Number.parseInt(match[2], 16) } : undefined;
}

export function emptyCounts(): RecipientCounts {
  return Object.fromEntries(RECIPIENT_STATUSES.map((s) => [s, 0])) as RecipientCounts;
}

export class CampaignRecipients {
  constructor(private readonly kv: Keyv<CampaignRecipient>) {}

  get(campaignId: string, index: number): Promise<CampaignRecipient | undefined> {
    return this.kv.get(key(campaignId, index));
  }

  async save(campaignId: string, recipient: CampaignRecipient): Promise<void> {
    await this.kv.set(key(campaignId, recipient.index), recipient);
  }

  async saveMany(campaignId: string, recipients: CampaignRecipient[]): Promise<void> {
    if (recipients.length) await this.kv.setMany(recipients.map((recipient) => ({ key: key(campaignId, recipient.index), value: recipient })));
  }

  /** Recipients `start` to `start + count - 1` that exist, in index order. */
  async range(campaignId: string, start: number, count: number): Promise<CampaignRecipient[]> {
    if (count <= 0) return [];
    const found = await this.kv.getMany(Array.from({ length: count }, (_, i) => key(campaignId, start + i)));
    return found.filter((r): r is CampaignRecipient => !!r);
  }

  /** All recipients from `start` on, in index order, a batch at a time. */
  async *batches(campaignId: string, total: number, start = 0): AsyncGenerator<CampaignRecipient[]> {
    for (let from = start; from < total; from += BATCH) yield await this.range(campaignId, from, Math.min(BATCH, total - from));
  }

  /** A page of the recipients with `status` (all when unset), skipping `offset` of them. */
  async page(campaignId: string, total: number, status: RecipientStatus | undefined, offset: number, limit: number): Promise<CampaignRecipient[]> {
    if (!status) return this.range(campaignId, offset, Math.min(limit, total - offset));
    const page: CampaignRecipient[] = [];
    let skip = offset;
    for await (const batch of this.batches(campaignId, total)) {
      for (const recipient of batch) {
        if (recipient.status !== status) continue;
        if (skip > 0) skip--;
        else if (page.push(recipient) === limit) return page;
      }
    }
    return page;
  }

  async count(campaignId: string, total: number): Promise<RecipientCounts> {
    const counts = emptyCounts();
    for await (const batch of this.batches(campaignId, total)) for (const recipient of batch) counts[recipient.status]++;
    return counts;
  }

  async deleteAll(campaignId: string, total: number): Promise<void> {
    for (let from = 0; from < total; from += BATCH) {
      await this.kv.deleteMany(Array.from({ length: Math.min(BATCH, total - from) }, (_, i) => key(campaignId, from + i)));
    }
  }
}

function key(campaignId: string, index: number): string {
  return `${campaignId}|${String(index).padStart(6, '0')}`;
}
