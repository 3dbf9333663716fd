/**
 * outbound/campaign-template: a campaign's message filled for one recipient: `{{name}}` placeholders (with
 * `{{name|default}}` fallbacks) from the recipient's variables, and the send request that carries it.
 */
import type { SendRequest } from '../messages/sender';

export type CampaignKind = 'text' | 'image' | 'video' | 'document' | 'audio' | 'voice';

export interface CampaignTemplate {
  kind: CampaignKind;
  /** Text messages: the text, with `{{variable}}` placeholders. */
  text?: string;
  /** Media messages: the caption, with placeholders. */
  caption?: string;
  fileName?: string;
  linkPreview?: boolean;
}

/** `{{name}}`, or `{{name|default}}` with the text used when the recipient has no such variable. */
const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*(?:\|([^}]*))?\}\}/g;

export function render(template: string, variables: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_match, name: string, fallback?: string) => variables[name] ?? fallback?.trim() ?? '');
}

export function missingVariables(template: string, variables: Record<string, string>): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].filter((m) => m[2] === undefined && variables[m[1]] === undefined).map((m) => m[1]))];
}

export function templateText(template: CampaignTemplate): string {
  return (template.kind === 'text' ? template.text : template.caption) ?? '';
}

export function stringify(variables: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)]));
}

/** The send for one recipient: the template (or the recipient's own text) filled with its variables. */
export function requestFor(template: CampaignTemplate, recipient: { to: string; text?: string; variables: Record<string, string> }): SendRequest {
  const filled = render(recipient.text ?? templateText(template), recipient.variables);
  if (template.kind === 'text') return { kind: 'text', body: { to: recipient.to, text: filled, ...(template.linkPreview === false && { linkPreview: false }) } };
  return { kind: template.kind, body: { to: recipient.to, ...(filled && { caption: filled }), ...(template.fileName && { fileName: template.fileName }) } as never };
}
