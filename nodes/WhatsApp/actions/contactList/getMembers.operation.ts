import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runtimeRequest } from '../../transport';
import { listFields, listPath } from './common';

const show = { resource: ['contactList'], operation: ['getMembers'] };

export const description: INodeProperties[] = [
  ...listFields(show),
  { displayName: 'Return All', name: 'returnAll', type: 'boolean', default: false, description: 'Whether to return all results or only up to a given limit', displayOptions: { show } },
  { displayName: 'Limit', name: 'limit', type: 'number', default: 50, typeOptions: { minValue: 1 }, description: 'Max number of results to return', displayOptions: { show: { ...show, returnAll: [false] } } },
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Tag', name: 'tag', type: 'string', default: '' },
      { displayName: 'Opted Out', name: 'optedOut', type: 'boolean', default: false, description: 'Whether to return only members who opted out (on) or only those who did not (off)' },
      { displayName: 'Search', name: 'search', type: 'string', default: '', description: 'Part of the name or number' },
    ],
  },
];

/** One output item per member, read page by page. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
  const returnAll = this.getNodeParameter('returnAll', i) as boolean;
  const limit = returnAll ? Infinity : (this.getNodeParameter('limit', i) as number);
  const filters = this.getNodeParameter('filters', i, {}) as IDataObject;
  const members: IDataObject[] = [];
  let cursor: string | undefined;
  do {
    const page = (await runtimeRequest.call(this, 'GET', `${listPath(this, i)}/contacts`, { qs: { ...filters, limit: Math.min(500, limit - members.length), ...(cursor && { cursor }) }, itemIndex: i })) as { contacts: IDataObject[]; nextCursor?: string };
    members.push(...page.contacts);
    cursor = page.nextCursor;
  } while (cursor && members.length < limit);
  return members.map((json) => ({ json, pairedItem: { item: i } }));
}
