/**
 * The trigger's filters and output shape, separate from n8n's plumbing so they can be tested on their own.
 */
import { eventTypeMatches } from '../../src/contract';
export interface TriggerFilters {
  ignoreOwnMessages: boolean;
  chatType: 'all' | 'direct' | 'group';
  fromNumbers: string[];
  textContains: string;
  textRegex?: RegExp;
  messageKinds: string[];
}

export interface IncomingEvent {
  id: string;
  type: string;
  session: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** The trigger's Sessions field: picked session ids (version 2) or comma-separated ones (version 1); none means every session. */
export function sessionList(input: string | string[]): string[] {
  return (Array.isArray(input) ? input : input.split(','))
    .map((s) => String(s).trim())
    .filter(Boolean);
}

/** Whether the trigger listens to this event: one of its types (`*` and `message.*` patterns too), one of its sessions; never a test event. */
export function wanted(types: string[], sessions: string | string[], event: Pick<IncomingEvent, 'type' | 'session'>): boolean {
  if (event.type === 'webhook.test') return false;
  const listed = sessionList(sessions);
  if (listed.length && !listed.includes(event.session)) return false;
  return types.some((pattern) => eventTypeMatches(pattern, event.type));
}

/** Why an event is dropped, or undefined when it passes every filter. */
export function rejectionReason(event: IncomingEvent, filters: TriggerFilters): string | undefined {
  const data = event.data;
  const isMessage = event.type === 'message.received' || event.type === 'message.sent';
  if (filters.ignoreOwnMessages && data.fromMe === true) return 'own message';
  if (filters.chatType !== 'all' && typeof data.chatType === 'string' && data.chatType !== filters.chatType) return `not a ${filters.chatType} chat`;
  if (filters.fromNumbers.length) {
    const from = String(data.fromPhoneNumber ?? data.voterPhoneNumber ?? data.callerPhoneNumber ?? '').replace(/\D/g, '');
    if (!filters.fromNumbers.includes(from)) return 'sender not in the list';
  }
  if (isMessage && filters.messageKinds.length && !filters.messageKinds.includes(String(data.kind))) return `kind ${String(data.kind)} not selected`;
  const text = typeof data.text === 'string' ? data.text : '';
  if (filters.textContains && !text.toLowerCase().includes(filters.textContains.toLowerCase())) return 'text does not contain the words';
  if (filters.textRegex && !filters.textRegex.test(text)) return 'text does not match the pattern';
  return undefined;
}

/** The event flattened so that `{{$json.text}}`, `{{$json.from}}`, `{{$json.chatId}}` and `{{$json.session}}` just work. */
export function flatten(event: IncomingEvent): Record<string, unknown> {
  return { ...event.data, event: event.type, eventId: event.id, session: event.session, timestamp: event.timestamp, raw: event };
}

export function parseNumbers(input: string): string[] {
  return input
    .split(/[,;\n]/)
    .map((n) => n.replace(/\D/g, ''))
    .filter(Boolean);
}
