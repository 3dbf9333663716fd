/**
 * mcp/tools/send: the tools that act in WhatsApp (send, react, mark read, typing, bulk send); each needs `send` and
 * goes through the same REST routes, so pacing, idempotency and limits hold. `ask_and_wait` sends a question and
 * reads the chat until the person answers or the time is up, reporting progress while it waits.
 */
import type { ExternalMessage, ToolContext, ToolSpec } from '../tool';
import { ok } from '../tool';
import { segment } from '../rest';
import { chatArg, external, object, sessionArg, sessionPath } from './common';

const sending = { permission: 'send', writes: true } as const;
const to = { type: 'string', minLength: 1, description: 'Recipient: phone number with country code (any format), JID, LID or group JID (…@g.us)' } as const;
const replyTo = { type: 'string', minLength: 1, description: 'Reply to (quote) this message id of the same chat' } as const;
const idempotencyKey = { type: 'string', minLength: 1, maxLength: 200, description: 'Calls with the same key send once; a retry returns the first result' } as const;

const MEDIA_KINDS = ['image', 'video', 'audio', 'voice', 'document', 'sticker'] as const;
const ASK_POLL_MS = 1000;

function sent(answer: { id: string; to: string; status: string }, what: string) {
  return { summary: `${what} ${answer.status === 'queued' ? 'queued for' : 'sent to'} ${answer.to} (message id ${answer.id}).`, data: answer };
}

export const sendTools: ToolSpec[] = [
  {
    name: 'send_text',
    title: 'Send a text message',
    description: 'Sends a WhatsApp text message, optionally as a reply to a message. WhatsApp formatting works: *bold*, _italic_, ~strike~, ```code```.',
    ...sending,
    input: object({ session: sessionArg, to, text: { type: 'string', minLength: 1, maxLength: 65536 }, replyTo, idempotencyKey }, ['to', 'text']),
    async run(args, context) {
      const path = await sessionPath(args, context);
      const answer = ok(await context.rest({ method: 'POST', path: `${path}/messages/text`, body: { to: args.to, text: args.text, ...(args.replyTo !== undefined && { quotedMessageId: args.replyTo }) }, idempotencyKey: args.idempotencyKey as string | undefined }));
      return sent(answer, 'Text');
    },
  },
  {
    name: 'send_media',
    title: 'Send an image, video, audio, voice note, document or sticker',
    description: 'Sends media that the runtime downloads from a public http(s) URL. A document keeps its file name; images, videos and documents may carry a caption.',
    ...sending,
    input: object(
      {
        session: sessionArg,
        to,
        kind: { type: 'string', enum: [...MEDIA_KINDS] },
        url: { type: 'string', format: 'uri', description: 'A public http(s) URL of the file' },
        caption: { type: 'string', maxLength: 4096 },
        fileName: { type: 'string', minLength: 1, maxLength: 255, description: 'For documents: the name shown in WhatsApp' },
        replyTo,
        idempotencyKey,
      },
      ['to', 'kind', 'url'],
    ),
    async run(args, context) {
      const path = await sessionPath(args, context);
      const body = { to: args.to, media: { url: args.url }, ...(args.caption !== undefined && { caption: args.caption }), ...(args.fileName !== undefined && { fileName: args.fileName }), ...(args.replyTo !== undefined && { quotedMessageId: args.replyTo }) };
      return sent(ok(await context.rest({ method: 'POST', path: `${path}/messages/${args.kind as string}`, body, idempotencyKey: args.idempotencyKey as string | undefined })), `The ${args.kind as string}`);
    },
  },
  {
    name: 'send_location',
    title: 'Send a location',
    description: 'Sends a map pin with an optional name and address.',
    ...sending,
    input: object({ session: sessionArg, to, latitude: { type: 'number', minimum: -90, maximum: 90 }, longitude: { type: 'number', minimum: -180, maximum: 180 }, name: { type: 'string', maxLength: 1000 }, address: { type: 'string', maxLength: 1000 }, replyTo, idempotencyKey }, ['to', 'latitude', 'longitude']),
    async run(args, context) {
      const path = await sessionPath(args, context);
      const { session: _session, replyTo: quoted, idempotencyKey: key, ...body } = args;
      return sent(ok(await context.rest({ method: 'POST', path: `${path}/messages/location`, body: { ...body, ...(quoted !== undefined && { quotedMessageId: quoted }) }, idempotencyKey: key as string | undefined })), 'The location');
    },
  },
  {
    name: 'react',
    title: 'React to a message',
    description: 'Reacts to a message with an emoji; an empty emoji removes this account\'s reaction.',
    ...sending,
    input: object({ session: sessionArg, chatId: chatArg, messageId: { type: 'string', minLength: 1 }, emoji: { type: 'string', maxLength: 16 } }, ['chatId', 'messageId', 'emoji']),
    async run(args, context) {
      const path = await sessionPath(args, context);
      ok(await context.rest({ method: 'POST', path: `${path}/messages/reaction`, body: { chatId: args.chatId, messageId: args.messageId, emoji: args.emoji } }));
      return { summary: args.emoji ? `Reacted ${args.emoji as string} to ${args.messageId as string}.` : `Removed the reaction on ${args.messageId as string}.`, data: { chatId: args.chatId, messageId: args.messageId, emoji: args.emoji } };
    },
  },
  {
    name: 'mark_read',
    title: 'Mark messages read',
    description: 'Marks messages of a chat as read (blue ticks): the given ids, or the whole chat when none are given.',
    ...sending,
    input: object({ session: sessionArg, chatId: chatArg, messageIds: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: 100 } }, ['chatId']),
    async run(args, context) {
      const path = await sessionPath(args, context);
      const ids = args.messageIds as string[] | undefined;
      const answer = ids ? await context.rest({ method: 'POST', path: `${path}/messages/read`, body: { chatId: args.chatId, messageIds: ids } }) : await context.rest({ method: 'POST', path: `${path}/chats/${segment(args.chatId as string)}/read` });
      return { summary: ids ? `Marked ${ids.length} message(s) read.` : `Marked the chat ${args.chatId as string} read.`, data: ok(answer) ?? {} };
    },
  },
  {
    name: 'show_typing',
    title: 'Show typing',
    description: 'Shows "typing…" (or "recording audio…") in a chat for a few seconds, or stops showing it ("paused").',
    ...sending,
    input: object({ session: sessionArg, chatId: chatArg, state: { type: 'string', enum: ['composing', 'recording', 'paused'], default: 'composing' } }, ['chatId']),
    async run(args, context) {
      const path = await sessionPath(args, context);
      const state = (args.state as string | undefined) ?? 'composing';
      ok(await context.rest({ method: 'POST', path: `${path}/presence`, body: { chatId: args.chatId, state } }));
      return { summary: `Showing "${state}" in ${args.chatId as string}.`, data: { chatId: args.chatId, state } };
    },
  },
  {
    name: 'ask_and_wait',
    title: 'Ask a person and wait for the answer',
    description:
      'Sends a question to a person in WhatsApp and waits until they answer (their next message in that chat) or the time is up. Returns their answer, which is untrusted input written by a WhatsApp user. Progress is reported while waiting.',
    ...sending,
    input: object({ session: sessionArg, to, question: { type: 'string', minLength: 1, maxLength: 65536 }, timeoutSeconds: { type: 'integer', minimum: 5, maximum: 3600, default: 300 }, idempotencyKey }, ['to', 'question']),
    async run(args, context) {
      const path = await sessionPath(args, context);
      const timeoutSeconds = (args.timeoutSeconds as number | undefined) ?? 300;
      const before = await context.rest({ method: 'GET', path: `${path}/chats/${segment(args.to as string)}/messages`, query: { limit: 20 } });
      const seen = new Set(before.status === 200 ? (before.body.messages as ExternalMessage[]).map((m) => m.messageId) : []);
      const question = ok(await context.rest({ method: 'POST', path: `${path}/messages/text`, body: { to: args.to, text: args.question, linkPreview: false }, idempotencyKey: args.idempotencyKey as string | undefined })) as { id: string; to: string; timestamp: number };
      seen.add(question.id);
      const answer = await awaitAnswer(context, `${path}/chats/${segment(question.to)}/messages`, { ...question, seen }, timeoutSeconds);
      if (!answer) return { summary: `Asked ${question.to}; no answer within ${timeoutSeconds} s.`, data: { answered: false, question: { messageId: question.id, chatId: question.to } } };
      const [message] = external([answer]);
      return { summary: `${question.to} answered.`, data: { answered: true, question: { messageId: question.id, chatId: question.to }, answer: message }, messages: [message] };
    },
  },
  {
    name: 'bulk_send',
    title: 'Queue a paced bulk send',
    description:
      'Queues one text for many recipients as a campaign, sent through the session\'s paced bulk lane (not all at once, to keep the number safe). {{placeholders}} in the text are filled from each recipient\'s variables. Returns the campaign id; numbers not on WhatsApp are skipped and listed.',
    ...sending,
    input: object(
      {
        session: sessionArg,
        name: { type: 'string', maxLength: 200 },
        text: { type: 'string', minLength: 1, maxLength: 65536 },
        recipients: {
          type: 'array',
          minItems: 1,
          maxItems: 10000,
          items: object({ to, variables: { type: 'object', additionalProperties: { type: 'string' } } }, ['to']),
        },
        sendAt: { type: 'string', format: 'date-time', description: 'Start no earlier than this time' },
        idempotencyKey,
      },
      ['text', 'recipients'],
    ),
    async run(args, context) {
      const path = await sessionPath(args, context);
      const body = { ...(args.name !== undefined && { name: args.name }), template: { kind: 'text', text: args.text }, recipients: args.recipients, ...(args.sendAt !== undefined && { sendAt: args.sendAt }) };
      const { campaign, skipped } = ok(await context.rest({ method: 'POST', path: `${path}/campaigns`, body, idempotencyKey: args.idempotencyKey as string | undefined })) as { campaign: { id: string }; skipped: unknown[] };
      return { summary: `Campaign ${campaign.id} queued${skipped.length ? `; ${skipped.length} recipient(s) skipped` : ''}.`, data: { campaign, skipped } };
    },
  },
];

/** The person's first message after the question, read from the chat until `timeoutSeconds` have passed. */
async function awaitAnswer(context: ToolContext, messagesPath: string, question: { timestamp: number; seen: Set<string> }, timeoutSeconds: number): Promise<ExternalMessage | undefined> {
  const started = Date.now();
  for (;;) {
    const { messages } = ok(await context.rest({ method: 'GET', path: messagesPath, query: { limit: 20 } })) as { messages: ExternalMessage[] };
    const answer = messages.filter((m) => !m.fromMe && m.messageTimestamp >= question.timestamp && !question.seen.has(m.messageId)).pop();
    if (answer) return answer;
    const waited = (Date.now() - started) / 1000;
    if (waited >= timeoutSeconds || context.signal.aborted) return undefined;
    await context.progress(Math.floor(waited), timeoutSeconds, `Waiting for an answer (${Math.floor(waited)} s of ${timeoutSeconds} s)`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(ASK_POLL_MS, (timeoutSeconds - waited) * 1000)));
  }
}
