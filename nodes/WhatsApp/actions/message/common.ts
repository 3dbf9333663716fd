import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';
import { locatorOrItem } from '../fields';

/** The recipient from the `chat` resource locator (empty: the incoming item's `chatId`), checked before any request is made. */
export function recipient(context: IExecuteFunctions, itemIndex: number): string {
  const value = locatorOrItem(context, 'chat', itemIndex, 'chatId');
  if (!value) {
    throw new NodeOperationError(context.getNode(), 'No chat given: pick a chat, enter a phone number or chat ID, or connect this node after a WhatsApp Trigger (an empty Chat answers in the incoming item\'s chat)', { itemIndex });
  }
  return value;
}
