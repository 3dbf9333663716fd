/**
 * whatsapp/errors: WhatsApp's refusals (IQ errors such as 401 not-authorized or 404 item-not-found, as Baileys
 * raises them) turned into errors that say what was refused, instead of a 500.
 */
import { ApiError } from '../errors';

/**
 * Runs a WhatsApp query and turns its refusal (an IQ error such as 401 not-authorized or 404 item-not-found) into
 * an HTTP error that says what was refused, instead of a 500.
 */
export async function whatsapp<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const code = whatsappErrorCode(error);
    const boom = error as Error;
    if (code === 401 || code === 403) throw new ApiError(403, 'not_allowed', `WhatsApp refused to ${what}: not allowed (${boom.message})`);
    if (code === 404) throw new ApiError(404, 'not_found', `WhatsApp refused to ${what}: not found`);
    if (code === 406 || code === 400 || code === 409) throw new ApiError(422, 'rejected_by_whatsapp', `WhatsApp refused to ${what}: ${boom.message}`);
    if (code === 408) throw new ApiError(504, 'whatsapp_timeout', `WhatsApp did not answer in time to ${what}`);
    throw new ApiError(502, 'whatsapp_error', `Could not ${what}: ${boom.message}`);
  }
}

/** WhatsApp's error code of a failed query: Baileys puts an IQ error's code in `data`, other failures in the status. */
export function whatsappErrorCode(error: unknown): number | undefined {
  const boom = error as { output?: { statusCode?: number }; data?: unknown };
  return typeof boom?.data === 'number' ? boom.data : boom?.output?.statusCode;
}
