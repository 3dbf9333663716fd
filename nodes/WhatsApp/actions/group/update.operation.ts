import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { groupFields, groupRequest } from './common';

const show = { resource: ['group'], operation: ['update'] };

export const description: INodeProperties[] = [
  ...groupFields(show),
  {
    displayName: 'Update Fields',
    name: 'updateFields',
    type: 'collection',
    placeholder: 'Add Field',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Admins Approve New Members', name: 'joinApproval', type: 'boolean', default: true },
      { displayName: 'Description', name: 'description', type: 'string', typeOptions: { rows: 3 }, default: '' },
      { displayName: 'Only Admins Edit Group Info', name: 'locked', type: 'boolean', default: true },
      { displayName: 'Only Admins Send Messages', name: 'announcement', type: 'boolean', default: true },
      { displayName: 'Subject', name: 'subject', type: 'string', default: '', description: 'The group name' },
    ],
  },
];

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const fields = this.getNodeParameter('updateFields', i, {}) as IDataObject;
  if (!Object.keys(fields).length) throw new NodeOperationError(this.getNode(), 'Nothing to change: add at least one field', { itemIndex: i });
  return groupRequest(this, i, 'PATCH', '', fields);
}
