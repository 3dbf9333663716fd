import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { requiredString } from '../fields';
import type { Show } from '../fields';

export function contactField(show: Show): INodeProperties {
  return { displayName: 'Contact', name: 'contact', type: 'string', default: '={{ $json.from }}', required: true, placeholder: '+49 151 23456789', description: 'Phone number, phone JID or LID (after a WhatsApp Trigger: the sender)', displayOptions: { show } };
}

export function contactPath(context: IExecuteFunctions, i: number): string {
  return encodeURIComponent(requiredString(context, 'contact', i, 'Contact'));
}
