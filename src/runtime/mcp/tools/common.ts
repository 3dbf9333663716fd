/** mcp/tools/common: argument schemas every tool shares and the session a call is about. */
import type { ExternalMessage, JsonSchema, ToolContext } from '../tool';
import { ok, RestRefusal } from '../tool';
import { segment } from '../rest';

export const sessionArg = {
  type: 'string',
  minLength: 1,
  description: 'The session (linked WhatsApp number) to use, as list_sessions names it. May be left out when the credential sees exactly one session.',
} as const;

export const chatArg = { type: 'string', minLength: 1, description: 'The chat: a phone number with country code (any format), a JID, a LID or a group JID (…@g.us)' } as const;

export function object(properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return { type: 'object', properties, required, additionalProperties: false };
}

/** `/sessions/<id>` of the call: the named session, or the only one the credential sees. */
export async function sessionPath(args: Record<string, unknown>, context: ToolContext): Promise<string> {
  if (typeof args.session === 'string') return `/sessions/${segment(args.session)}`;
  const { sessions } = ok(await context.rest({ method: 'GET', path: '/sessions' })) as { sessions: { id: string }[] };
  if (sessions.length !== 1) {
    throw new RestRefusal({ status: 400, body: { error: { code: 'validation_failed', message: sessions.length ? `Name the session: this credential sees ${sessions.map((s) => `"${s.id}"`).join(', ')}` : 'This credential sees no session' } } });
  }
  return `/sessions/${segment(sessions[0].id)}`;
}

export function external(messages: ExternalMessage[]): ExternalMessage[] {
  return messages.map(({ messageId, chatId, fromMe, from, pushName, kind, text, media, messageTimestamp }) => ({
    messageId,
    chatId,
    fromMe,
    ...(from && { from }),
    ...(pushName && { pushName }),
    kind,
    ...(text !== undefined && { text }),
    ...(media && { media: { ...(media.caption !== undefined && { caption: media.caption }), ...(media.fileName !== undefined && { fileName: media.fileName }) } }),
    messageTimestamp,
  }));
}
