/**
 * The nodes' output schemas (`nodes/<Node>/__schema__/v1.0.0/<resource>/<operation>.json`, the layout n8n serves
 * them from for "Usually outputs the following fields"): inferred from real outputs the way n8n's own are, and
 * checked against real outputs so they cannot drift.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface OutputSchema {
  type: 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';
  properties?: Record<string, OutputSchema>;
  items?: OutputSchema;
}

const NODES = join(__dirname, '..', '..', 'nodes');

export function operationSchemaPath(resource: string, operation: string): string {
  return join(NODES, 'WhatsApp', '__schema__', 'v1.0.0', resource, `${operation}.json`);
}

/** A trigger has no resource or operation: n8n looks for one file per node version. */
export function triggerSchemaPath(version: string): string {
  return join(NODES, 'WhatsAppTrigger', '__schema__', `v${version}.json`);
}

export function infer(value: unknown): OutputSchema {
  if (value === null || value === undefined) return { type: 'null' };
  if (Array.isArray(value)) return { type: 'array', ...(value.length ? { items: value.map(infer).reduce(merge) } : {}) };
  if (typeof value === 'object') return { type: 'object', properties: Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, infer(inner)])) };
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'number') return { type: 'number' };
  return { type: 'string' };
}

/** One schema covering both samples: a field absent or null in one takes the other's shape. */
export function merge(a: OutputSchema, b: OutputSchema): OutputSchema {
  if (a.type === 'null') return b;
  if (b.type === 'null' || a.type !== b.type) return a;
  if (a.type === 'object') {
    const properties: Record<string, OutputSchema> = { ...a.properties };
    for (const [key, inner] of Object.entries(b.properties ?? {})) properties[key] = properties[key] ? merge(properties[key], inner) : inner;
    return { type: 'object', properties };
  }
  if (a.type === 'array' && (a.items || b.items)) return { type: 'array', items: a.items && b.items ? merge(a.items, b.items) : (a.items ?? b.items)! };
  return a;
}

/** Where a real output departs from the schema: a field the schema lacks, or a value of another type. */
export function mismatches(value: unknown, schema: OutputSchema, at = '$'): string[] {
  if (value === null || value === undefined) return [];
  const actual = infer(value).type;
  if (actual !== schema.type) return [`${at}: ${actual}, the schema says ${schema.type}`];
  if (Array.isArray(value)) return schema.items ? value.flatMap((inner, i) => mismatches(inner, schema.items!, `${at}[${i}]`)) : [];
  if (actual !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => (schema.properties?.[key] ? mismatches(inner, schema.properties[key], `${at}.${key}`) : [`${at}.${key}: not in the schema`]));
}

export function readSchema(path: string): OutputSchema | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as OutputSchema) : undefined;
}

export function writeSchema(path: string, schema: OutputSchema): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
}
