/**
 * audiences/phones: a phone number as people write it ("(202) 555-0143", "0151 2345 6789", "49151…", "+55 11 …")
 * to E.164, with libphonenumber-js: in the list's or import's default country, else as an international number
 * written without its "+". Only numbers valid for their country are taken.
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { ApiError } from '../errors';

/** E.164 ("+4915123456789"), or undefined when the text is no valid number. */
export function toE164(raw: string, defaultCountry?: CountryCode): string | undefined {
  const text = raw.trim();
  if (!text || text.length > 40) return undefined;
  const local = parsePhoneNumberFromString(text, defaultCountry);
  if (local?.isValid()) return local.number;
  const digits = text.replace(/\D/g, '');
  if (text.startsWith('+') || digits.length < 8) return undefined;
  const international = parsePhoneNumberFromString(`+${digits}`);
  return international?.isValid() ? international.number : undefined;
}

/** The digits WhatsApp addresses a number by ("4915123456789"). */
export function digitsOf(e164: string): string {
  return e164.replace(/\D/g, '');
}

export function countryOf(value: string | undefined, field: string): CountryCode | undefined {
  if (value === undefined) return undefined;
  const code = value.toUpperCase();
  if (!isSupportedCountry(code)) throw new ApiError(400, 'validation_failed', `"${value}" is not a country code (ISO 3166 alpha-2, like "DE" or "BR")`, { field });
  return code;
}
