/**
 * messages/recipients: turns what a user types as a recipient (a phone number in any common format, a phone JID,
 * a LID or a group JID) into the JID to send to. Phone numbers are checked with WhatsApp (`onWhatsApp`) and the
 * answer cached, so a typo fails with a clear error instead of a message into the void.
 */
import { ApiError } from '../http/errors';
import type { Baileys } from '../whatsapp/baileys';

type WASocket = ReturnType<Baileys['makeWASocket']>;

const CACHE_TTL_MS = 24 * 3600 * 1000;

export class RecipientResolver {
  private readonly cache = new Map<string, { jid: string | null; expires: number }>();

  constructor(private readonly b: Baileys) {}

  async resolve(sock: WASocket, to: string, field = 'to'): Promise<string> {
    const { b } = this;
    const input = to.trim();
    if (/@g\.us$/.test(input)) {
      if (!/^[0-9]+(-[0-9]+)?@g\.us$/.test(input)) throw invalid(field, input);
      return input;
    }
    if (/@lid$/.test(input)) {
      if (!/^[0-9]+(:[0-9]+)?@lid$/.test(input)) throw invalid(field, input);
      return b.jidNormalizedUser(input);
    }
    const digits = /@(s\.whatsapp\.net|c\.us)$/.test(input) ? input.split('@')[0].split(':')[0] : normalisePhoneNumber(input);
    if (!digits || !/^[0-9]{7,15}$/.test(digits)) throw invalid(field, input);
    const cached = this.cache.get(digits);
    if (cached && cached.expires > Date.now()) {
      if (!cached.jid) throw notOnWhatsApp(field, digits);
      return cached.jid;
    }
    const [result] = (await sock.onWhatsApp(`+${digits}`)) ?? [];
    const jid = result?.exists ? b.jidNormalizedUser(result.jid) : null;
    this.cache.set(digits, { jid, expires: Date.now() + CACHE_TTL_MS });
    if (!jid) throw notOnWhatsApp(field, digits);
    return jid;
  }
}

/** Digits of a phone number written with +, spaces, dots, dashes or parentheses; undefined for anything else. */
export function normalisePhoneNumber(input: string): string | undefined {
  const trimmed = input.trim();
  if (!/^\+?[0-9 ().-]+$/.test(trimmed)) return undefined;
  return trimmed.replace(/^00/, '').replace(/\D/g, '');
}

function invalid(field: string, value: string): ApiError {
  return new ApiError(400, 'invalid_recipient', `"${value}" is not a phone number, a WhatsApp JID, a LID or a group JID`, { field });
}

function notOnWhatsApp(field: string, digits: string): ApiError {
  return new ApiError(422, 'recipient_not_on_whatsapp', `+${digits} is not on WhatsApp`, { field });
}
