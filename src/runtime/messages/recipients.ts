/**
 * messages/recipients: turns what a user types as a recipient (a phone number in any common format, a phone JID,
 * a LID or a group JID) into the JID to send to. Phone numbers are checked with WhatsApp (`onWhatsApp`) and the
 * answer cached, so a typo fails with a clear error instead of a message into the void.
 */
import { ApiError } from '../errors';
import type { Baileys } from '../whatsapp/baileys';

type WASocket = ReturnType<Baileys['makeWASocket']>;

const CACHE_TTL_MS = 24 * 3600 * 1000;
/** Numbers remembered at most: a campaign over a large list checks each number once, not all of them at once. */
const CACHE_SIZE = 20_000;

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
    const digits = phoneNumberOf(input)?.split(':')[0];
    if (!digits || !/^[0-9]{7,15}$/.test(digits)) throw invalid(field, input);
    const cached = this.cache.get(digits);
    if (cached && cached.expires > Date.now()) {
      if (!cached.jid) throw notOnWhatsApp(field, digits);
      return cached.jid;
    }
    const [result] = (await sock.onWhatsApp(`+${digits}`)) ?? [];
    const jid = result?.exists ? b.jidNormalizedUser(result.jid) : null;
    this.remember(digits, jid, Date.now());
    if (!jid) throw notOnWhatsApp(field, digits);
    return jid;
  }

  /** Which of `inputs` are on WhatsApp: one query for all numbers not in the cache. */
  async check(sock: WASocket, inputs: string[]): Promise<NumberCheck[]> {
    const { b } = this;
    const digitsOf = inputs.map((input) => {
      const digits = phoneNumberOf(input);
      return digits && /^[0-9]{7,15}$/.test(digits) ? digits : undefined;
    });
    const now = Date.now();
    const known = new Map<string, string | null>();
    for (const digits of digitsOf) {
      const cached = digits ? this.cache.get(digits) : undefined;
      if (digits && cached && cached.expires > now) known.set(digits, cached.jid);
    }
    const missing = [...new Set(digitsOf.filter((d): d is string => !!d && !known.has(d)))];
    if (missing.length) {
      const answers = (await sock.onWhatsApp(...missing.map((d) => `+${d}`))) ?? [];
      const found = new Map(answers.filter((a) => a.exists).map((a) => [b.jidDecode(a.jid)?.user ?? '', b.jidNormalizedUser(a.jid)]));
      for (const digits of missing) {
        known.set(digits, found.get(digits) ?? null);
        this.remember(digits, found.get(digits) ?? null, now);
      }
    }
    return inputs.map((input, index) => {
      const digits = digitsOf[index];
      if (!digits) return { input, exists: false, error: 'not a phone number' };
      const jid = known.get(digits);
      return { input, phoneNumber: digits, exists: !!jid, ...(jid && { jid }) };
    });
  }

  private remember(digits: string, jid: string | null, now: number): void {
    this.cache.delete(digits);
    this.cache.set(digits, { jid, expires: now + CACHE_TTL_MS });
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
  }
}

export interface NumberCheck {
  input: string;
  phoneNumber?: string;
  exists: boolean;
  jid?: string;
  error?: string;
}

/** The user part of a phone-number JID (a `:device` suffix kept), or the digits of a written phone number. */
export function phoneNumberOf(input: string): string | undefined {
  const trimmed = input.trim();
  return /@(s\.whatsapp\.net|c\.us)$/.test(trimmed) ? trimmed.split('@')[0] : normalisePhoneNumber(trimmed);
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
