import { NodeApiError, NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';
import * as campaign from './campaign';
import * as chat from './chat';
import * as contact from './contact';
import * as contactList from './contactList';
import * as group from './group';
import * as message from './message';
import * as session from './session';

type Operation = { execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> };

const resources: Record<string, Record<string, Operation>> = {
  campaign: campaign.operations,
  chat: chat.operations,
  contact: contact.operations,
  contactList: contactList.operations,
  group: group.operations,
  message: message.operations,
  session: session.operations,
};

/** Runs the chosen operation once per input item; a failed item becomes an error item when "Continue On Fail" is on. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
  const items = this.getInputData();
  // a campaign is created once from all input items (one per recipient); an import takes all items at once
  const resource = this.getNodeParameter('resource', 0);
  const whole = resource === 'campaign' && this.getNodeParameter('operation', 0) === 'create' ? campaign.createCampaign : resource === 'contactList' && this.getNodeParameter('operation', 0) === 'importItems' ? contactList.importItems : undefined;
  if (whole) {
    try {
      return [await whole.call(this)];
    } catch (error) {
      if (this.continueOnFail()) return [[{ json: { error: (error as Error).message }, pairedItem: items.map((_, i) => ({ item: i })) }]];
      throw error instanceof NodeApiError || error instanceof NodeOperationError ? error : new NodeOperationError(this.getNode(), error as Error, { itemIndex: 0 });
    }
  }
  const output: INodeExecutionData[] = [];
  // Send and Wait puts the whole execution to wait once: it asks the first item's chat, as n8n's own nodes do
  const count = this.getNodeParameter('operation', 0) === 'sendAndWait' ? Math.min(items.length, 1) : items.length;
  for (let i = 0; i < count; i++) {
    const resource = this.getNodeParameter('resource', i) as string;
    const operation = this.getNodeParameter('operation', i) as string;
    const handler = resources[resource]?.[operation];
    try {
      if (!handler) throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`, { itemIndex: i });
      output.push(...(await handler.execute.call(this, i)));
    } catch (error) {
      if (this.continueOnFail()) {
        output.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
        continue;
      }
      const nodeError = error instanceof NodeApiError || error instanceof NodeOperationError ? error : new NodeOperationError(this.getNode(), error as Error, { itemIndex: i });
      throw nodeError;
    }
  }
  return [output];
}
