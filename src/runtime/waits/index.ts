/**
 * waits/: Send and Wait answered in WhatsApp. A node that sent a question registers a wait: the chat, its message
 * and n8n's signed resume URLs. The first fitting reply in that chat (a quoted reply to the question, or any
 * message after it) resumes the n8n execution: approval replies ("yes"/"no" and friends) call the approve or
 * disapprove URL, free-text replies are POSTed as `{text}`. When the question is a poll, a vote on it answers the
 * same way (the chosen option is matched against the approve and disapprove words). Waits are persisted and expire.
 */
import { randomUUID } from 'node:crypto';
import type Keyv from 'keyv';
import type { Logger } from 'pino';
import { guardedFetch, UrlRefusedError, type UrlPolicy } from '../net/guard';
import type { EventBus } from '../events/bus';
import type { MessageEventData, PollVoteEventData, RuntimeEvent } from '../events/schema';

export interface Wait {
  id: string;
  session: string;
  chatId: string;
  messageId: string;
  responseType: 'approval' | 'freeText';
  approveUrl?: string;
  disapproveUrl?: string;
  textUrl?: string;
  approveWords: string[];
  disapproveWords: string[];
  expiresAt?: string;
  createdAt: string;
}

const RESUME_RETRY_MS = 60_000;

export const DEFAULT_APPROVE_WORDS = ['yes', 'y', 'ok', 'okay', 'approve', 'approved', 'accept', 'sure', 'ja', 'si', 'sí', 'oui', '👍', '✅'];
export const DEFAULT_DISAPPROVE_WORDS = ['no', 'n', 'nope', 'decline', 'declined', 'reject', 'rejected', 'deny', 'nein', 'non', '👎', '❌'];

export class WaitRegistry {
  private readonly waits = new Map<string, Wait>();
  private unsubscribe?: () => void;

  constructor(
    private readonly kv: Keyv<Wait>,
    private readonly bus: EventBus,
    private readonly logger: Logger,
    /** n8n's resume URLs are fetched through the outbound-URL guard with the webhooks' policy (n8n is the receiver of both). */
    private readonly targets: UrlPolicy,
  ) {}

  async start(): Promise<void> {
    await this.load();
    this.unsubscribe = this.bus.subscribe((event) => {
      if (event.type === 'message.received') void this.onMessage(event as unknown as RuntimeEvent<MessageEventData>);
      else if (event.type === 'poll.vote') void this.onPollVote(event as unknown as RuntimeEvent<PollVoteEventData>);
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Cluster mode: the session moved here; its waits are read again (the runtime it ran on registered them). */
  async reloadSession(session: string): Promise<void> {
    for (const wait of this.list(session)) this.waits.delete(wait.id);
    await this.load(session);
  }

  private async load(only?: string): Promise<void> {
    for await (const [, value] of this.kv.iterator!(this.kv.namespace)) {
      const wait = value as Wait;
      if (!expired(wait) && (!only || wait.session === only)) this.waits.set(wait.id, wait);
    }
  }

  async create(input: Omit<Wait, 'id' | 'createdAt' | 'approveWords' | 'disapproveWords'> & Partial<Pick<Wait, 'approveWords' | 'disapproveWords'>>): Promise<Wait> {
    const wait: Wait = {
      ...input,
      id: `wait_${randomUUID()}`,
      approveWords: (input.approveWords ?? DEFAULT_APPROVE_WORDS).map(normalise),
      disapproveWords: (input.disapproveWords ?? DEFAULT_DISAPPROVE_WORDS).map(normalise),
      createdAt: new Date().toISOString(),
    };
    const ttl = wait.expiresAt ? Math.max(1, Date.parse(wait.expiresAt) - Date.now()) : undefined;
    await this.kv.set(wait.id, wait, ttl);
    this.waits.set(wait.id, wait);
    return wait;
  }

  list(session?: string): Wait[] {
    return [...this.waits.values()].filter((w) => !session || w.session === session);
  }

  async dropSession(session: string): Promise<void> {
    for (const wait of this.list(session)) await this.cancel(wait.id);
  }

  async cancel(id: string): Promise<boolean> {
    const existed = this.waits.delete(id);
    await this.kv.delete(id);
    return existed;
  }

  private async onMessage(event: RuntimeEvent<MessageEventData>): Promise<void> {
    const message = event.data;
    // a person's chat may be named by phone number or LID: either matches a question asked on the other
    const candidates = this.list(event.session).filter((w) => (w.chatId === message.chatId || w.chatId === message.chatLid) && !expired(w));
    // a quoted reply to one question wins; otherwise the oldest open question in the chat
    const wait = candidates.find((w) => message.quoted?.messageId === w.messageId) ?? candidates.sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0];
    if (!wait || message.fromMe) return;
    await this.answer(wait, message.text ?? message.poll?.name ?? '');
  }

  private async onPollVote(event: RuntimeEvent<PollVoteEventData>): Promise<void> {
    const { pollMessageId, selectedOptions } = event.data;
    const wait = this.list(event.session).find((w) => w.messageId === pollMessageId && !expired(w));
    // an empty selection is a withdrawn vote; several choices cannot be one answer
    if (wait && selectedOptions.length === 1) await this.answer(wait, selectedOptions[0]);
  }

  private async answer(wait: Wait, text: string): Promise<void> {
    let request: { url: string; method: 'GET' | 'POST'; body?: string } | undefined;
    if (wait.responseType === 'freeText' && wait.textUrl && text) {
      request = { url: wait.textUrl, method: 'POST', body: JSON.stringify({ text }) };
    } else if (wait.responseType === 'approval') {
      const answer = normalise(text);
      if (wait.approveWords.includes(answer) && wait.approveUrl) request = { url: wait.approveUrl, method: 'GET' };
      else if (wait.disapproveWords.includes(answer) && wait.disapproveUrl) request = { url: wait.disapproveUrl, method: 'GET' };
    }
    if (!request) return;
    // only the first answer resumes: a second vote or reply finds the wait gone
    if (!this.waits.has(wait.id)) return;
    await this.cancel(wait.id);
    await this.resume(wait, request);
  }

  /**
   * Calls n8n's signed resume URL. n8n answers 409 while the execution is still being put to wait (a fast reply
   * can arrive before that), so 409s and network errors are retried for up to RESUME_RETRY_MS.
   */
  private async resume(wait: Wait, request: { url: string; method: 'GET' | 'POST'; body?: string }): Promise<void> {
    const deadline = Date.now() + RESUME_RETRY_MS;
    for (let attempt = 0; ; attempt++) {
      let outcome: string;
      try {
        const response = await guardedFetch(request.url, { method: request.method, headers: request.body ? { 'content-type': 'application/json' } : {}, body: request.body, signal: AbortSignal.timeout(15_000) }, this.targets);
        await response.arrayBuffer();
        if (response.ok) return;
        outcome = `HTTP ${response.status}`;
        if (response.status !== 409) {
          this.logger.warn({ wait: wait.id, outcome }, 'resuming the n8n execution failed');
          return;
        }
      } catch (error) {
        if (error instanceof UrlRefusedError) {
          this.logger.warn({ wait: wait.id, outcome: error.message }, 'the n8n resume URL is not allowed (WA_WEBHOOK_ALLOW_PRIVATE_NETWORKS)');
          return;
        }
        outcome = (error as Error).message;
      }
      if (Date.now() > deadline) {
        this.logger.warn({ wait: wait.id, outcome }, 'resuming the n8n execution failed');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 5000)));
    }
  }
}

function normalise(text: string): string {
  return text.trim().toLowerCase().replace(/[.!?,;:]+$/u, '');
}

function expired(wait: Wait): boolean {
  return !!wait.expiresAt && Date.parse(wait.expiresAt) <= Date.now();
}
