/**
 * sandbox/limits: the limits WhatsApp puts on an account: restricted sends (463), rate-limited contact lookups (429),
 * the reach-out time lock and the new-chat message cap (pushed as mex notifications).
 */
import type { Router } from './routing';
import { messageId, now, S_WHATSAPP_NET, type SimHost } from './wire';

export class Limits {
  constructor(
    private readonly host: SimHost,
    private readonly router: Router,
  ) {}

  /**
   * WhatsApp restricts (or, with undefined, frees) `phone`'s account: its direct messages get an error ack with
   * `code` (463 = restricted) instead of being delivered.
   */
  restrict(phone: string, code: number | undefined): void {
    this.host.user(phone).restriction = code;
  }

  /** WhatsApp answers `phone`'s next `queries` contact lookups (usync) with 429 rate-overlimit. */
  rateLimit(phone: string, queries: number): void {
    this.host.user(phone).rateLimitedQueries = queries;
  }

  /** Tells `phone`'s linked devices about a reach-out time lock until `until`, or (null) that it was lifted. */
  setReachoutTimelock(phone: string, until: Date | null): void {
    const payload = until
      ? { is_active: true, time_enforcement_ends: String(Math.floor(until.getTime() / 1000)), enforcement_type: 'DEFAULT' }
      : { is_active: false };
    this.notifyMex(phone, 'NotificationUserReachoutTimelockUpdate', { xwa2_notify_account_reachout_timelock: payload });
  }

  /** Tells `phone`'s linked devices how much of its new-chat message quota is used in the cycle ending at `cycleEnd`. */
  setNewChatCap(phone: string, cap: { used: number; total: number; cycleEnd: Date }): void {
    const payload = { used_quota: cap.used, total_quota: cap.total, cycle_end_timestamp: String(Math.floor(cap.cycleEnd.getTime() / 1000)) };
    this.notifyMex(phone, 'MessageCappingInfoNotification', { xwa2_notify_new_chat_messages_capping_info_update: payload });
  }

  /** A server notification carrying a GraphQL (mex) update, as WhatsApp pushes account state changes. */
  private notifyMex(phone: string, opName: string, data: object): void {
    const user = this.host.user(phone);
    const body = Buffer.from(JSON.stringify({ data }));
    for (const device of user.devices.values()) {
      this.router.deliver(user, device.id, {
        tag: 'notification',
        attrs: { from: S_WHATSAPP_NET, type: 'mex', id: messageId(), t: now() },
        content: [{ tag: 'update', attrs: { op_name: opName }, content: body }],
      });
    }
  }
}
