/** outbound/campaign-types: a campaign as stored, as shown and as requested. */
import type { MediaInput } from '../messages/media-input';
import type { RecipientInput } from './campaign-checks';
import type { RecipientCounts } from './campaign-recipients';
import type { CampaignTemplate } from './campaign-template';

export type CampaignStatus = 'running' | 'paused' | 'cancelled' | 'completed';

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
  /** Recipients checked on WhatsApp so far (queued or skipped); the rest wait for the queue to drain. */
  checked?: number;
  /** Upper-case hex from which the recipients' message ids are derived. */
  seed?: string;
  /** The counts when the campaign was last saved. */
  counts?: RecipientCounts;
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

/** A campaign as the API shows it: with its progress. */
export interface CampaignView extends Campaign {
  counts: RecipientCounts;
  checked: number;
}

export interface CampaignInput {
  name?: string;
  template: CampaignTemplate;
  media?: MediaInput;
  recipients: RecipientInput[];
  /** Members of a contact list, each number once, streamed into the campaign after `recipients`. */
  members?: { audience: Omit<CampaignAudience, 'matched'>; contacts: AsyncIterable<RecipientInput> };
  sendAt?: number;
}

/** Campaigns from before chunked checks were checked whole at creation. */
export function checkedOf(campaign: Campaign): number {
  return campaign.checked ?? campaign.total;
}
