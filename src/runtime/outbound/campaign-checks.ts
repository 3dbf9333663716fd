/**
 * outbound/campaign-checks: who of a campaign's recipients is sent to. At creation each recipient is written down
 * unchecked as the input streams in (a number given twice is a duplicate right away); later, a chunk at a time, the
 * WhatsApp check, the session's opt-outs and the template's variables decide whether a recipient is queued or
 * skipped, and why.
 */
import { setImmediate } from 'node:timers/promises';
import type { NumberCheck } from '../messages/recipients';
import { phoneNumberOf } from '../messages/recipients';
import type { CampaignRecipient, CampaignRecipients } from './campaign-recipients';
import { missingVariables, stringify, templateText, type CampaignTemplate } from './campaign-template';

export interface RecipientInput {
  to: string;
  variables?: Record<string, string | number | boolean>;
  text?: string;
}

/** Recipients written between two turns of the event loop: the store answers without leaving the turn. */
const WRITTEN_PER_TURN = 500;

/**
 * Stores `given` then `members` as unchecked recipients in batches of `batch`, in order. Members of a list are
 * unique already: only the given ones are remembered to find duplicates, so memory stays bounded by the request.
 */
export async function writeRecipients(
  store: CampaignRecipients,
  campaignId: string,
  input: { given: RecipientInput[]; members?: AsyncIterable<RecipientInput> },
  batch: number,
  now: string,
): Promise<{ total: number; matched: number; skipped: CampaignRecipient[] }> {
  const seen = new Set<string>();
  const skipped: CampaignRecipient[] = [];
  const pending: CampaignRecipient[] = [];
  let total = 0;
  let matched = 0;
  const add = async (recipient: RecipientInput, remember: boolean) => {
    const to = recipient.to.trim();
    const key = phoneNumberOf(to) ?? to;
    const entry: CampaignRecipient = { index: total++, to, variables: stringify(recipient.variables ?? {}), ...(recipient.text !== undefined && { text: recipient.text }), status: 'queued', updatedAt: now };
    if (seen.has(key)) skipped.push(Object.assign(entry, { status: 'skipped' as const, reason: 'duplicate recipient' }));
    else if (remember) seen.add(key);
    pending.push(entry);
    if (pending.length >= batch) await store.saveMany(campaignId, pending.splice(0));
    // a list of 95,000 held every request and message for 1.6 s without it
    if (total % WRITTEN_PER_TURN === 0) await setImmediate();
  };
  for (const recipient of input.given) await add(recipient, true);
  for await (const member of input.members ?? []) {
    matched++;
    await add(member, false);
  }
  await store.saveMany(campaignId, pending);
  return { total, matched, skipped };
}

/** Numbers of the recipients to ask WhatsApp about (groups and LIDs need no check). */
export function numbersToCheck(recipients: CampaignRecipient[]): string[] {
  return recipients.map((r) => r.to).filter((to) => !/@(g\.us|lid)$/.test(to));
}

/**
 * Settles one unchecked recipient from its WhatsApp check: the JID to send to, or why it is skipped. The number's
 * digits become the `phone` variable unless the recipient has one.
 */
export function decide(
  recipient: CampaignRecipient,
  check: NumberCheck | undefined,
  template: CampaignTemplate,
  isOptedOut: (phone: string) => boolean,
): { jid: string } | { reason: string } {
  const jid = check ? check.jid : recipient.to;
  if (check?.phoneNumber) recipient.variables = { phone: check.phoneNumber, ...recipient.variables };
  if (!jid) return { reason: check?.error ?? 'not on WhatsApp' };
  if (check?.phoneNumber && isOptedOut(`+${check.phoneNumber}`)) return { reason: 'opted_out' };
  const missing = missingVariables(recipient.text ?? templateText(template), recipient.variables);
  if (missing.length) return { reason: `missing variable${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}` };
  return { jid };
}
