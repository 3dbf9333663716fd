/** sandbox/calls: calls from simulated contacts to linked devices, and what a device answers (reject). */
import { randomBytes } from 'node:crypto';
import type { Connection } from './connection';
import type { BinaryNode } from './phone';
import type { Router } from './routing';
import type { SimUser } from './users';
import { childOf, messageId, now, S_WHATSAPP_NET } from './wire';

export class Calls {
  private readonly calls = new Map<string, { caller: SimUser; callee: SimUser; outcome: 'ringing' | 'rejected' }>();

  constructor(private readonly router: Router) {}

  /** Every linked device of `callee` gets the offer. Returns the call id. */
  start(caller: SimUser, callee: SimUser, options: { video?: boolean }): string {
    const callId = randomBytes(16).toString('hex').toUpperCase();
    this.calls.set(callId, { caller, callee, outcome: 'ringing' });
    for (const device of callee.devices.values()) {
      this.router.deliver(callee, device.id, {
        tag: 'call',
        attrs: { from: caller.pnJid, id: messageId(), t: now(), notify: caller.name },
        content: [{ tag: 'offer', attrs: { 'call-id': callId, 'call-creator': caller.pnJid, caller_pn: caller.pnJid }, content: options.video ? [{ tag: 'video', attrs: {} }] : undefined }],
      });
    }
    return callId;
  }

  outcome(callId: string): 'ringing' | 'rejected' | undefined {
    return this.calls.get(callId)?.outcome;
  }

  onCallStanza(conn: Connection, node: BinaryNode): void {
    const reject = childOf(node, 'reject');
    const call = reject ? this.calls.get(reject.attrs['call-id']) : undefined;
    if (call) call.outcome = 'rejected';
    conn.send({ tag: 'ack', attrs: { id: node.attrs.id, class: 'call', from: node.attrs.to ?? S_WHATSAPP_NET, ...(reject && { type: 'reject' }) } });
  }
}
