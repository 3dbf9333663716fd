import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

/** The recipient from the `chat` resource locator, checked for presence before any request is made. */
export function recipient(context: IExecuteFunctions, itemIndex: number): string {
  const value = String(context.getNodeParameter('chat', itemIndex, '', { extractValue: true }) ?? '').trim();
  if (!value) {
    throw new NodeOperationError(context.getNode(), 'No chat given: enter a phone number or chat ID, or connect this node after a WhatsApp Trigger', { itemIndex });
  }
  return value;
}
