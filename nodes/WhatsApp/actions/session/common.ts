import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';
import { locatorOrItem } from '../fields';

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The session id from the `session` resource locator (empty: the incoming item's), validated before any request is made. */
export function sessionId(context: IExecuteFunctions, itemIndex: number): string {
  const value = locatorOrItem(context, 'session', itemIndex, 'session');
  if (!value) {
    throw new NodeOperationError(context.getNode(), 'No session given: pick a session from the list, or connect this node after a WhatsApp Trigger (an empty Session uses the incoming item\'s session)', { itemIndex });
  }
  if (!SESSION_ID.test(value)) {
    throw new NodeOperationError(context.getNode(), `"${value}" is not a valid session ID: use letters, digits, "-" and "_"`, { itemIndex });
  }
  return value;
}

/** A session as the node outputs it: with `session` beside `id`, which every later operation's default reads. */
export function sessionItem(session: IDataObject, itemIndex: number): INodeExecutionData {
  return { json: { session: session.id, ...session }, pairedItem: { item: itemIndex } };
}

export function sessionPath(context: IExecuteFunctions, itemIndex: number): string {
  return `/sessions/${encodeURIComponent(sessionId(context, itemIndex))}`;
}
