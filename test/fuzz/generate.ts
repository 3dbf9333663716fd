/**
 * Request generation for the OpenAPI fuzz pass: a plausible value for a schema (to get past validation into the
 * handlers), hostile values to put in its place, and whole bodies that are not what the route expects. Seeded, so a
 * failure found in CI is reproduced by running the same test again.
 */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  minimum?: number;
  minLength?: number;
  minItems?: number;
  minProperties?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  nullable?: boolean;
  default?: unknown;
}

export interface RawBody {
  contentType?: string;
  payload: string | Buffer;
  label: string;
}

/** A value of other types and of hostile sizes and spellings: what a confused or malicious client sends. */
export const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  -1,
  1.5,
  1e308,
  -0,
  Number.MAX_SAFE_INTEGER + 2,
  'Infinity',
  '-Infinity',
  '1e999',
  'NaN',
  '8',
  '',
  ' ',
  'x'.repeat(70_000),
  '\u0000',
  '\ud800',
  '../../../etc/passwd',
  'http://[::ffff:127.0.0.1]:1/x.jpg',
  '%zz%E0%A4%A',
  [],
  ['a', 1, null],
  {},
  { $ref: '#/x' },
  [[[[[[[[]]]]]]]],
  new Array(5000).fill('15550009999'),
];

/** Query strings: everything arrives as text, so the spellings matter. */
export const HOSTILE_QUERY_VALUES: string[] = ['Infinity', '-Infinity', '1e999', 'NaN', '-1', '1.5', '', 'true', 'x'.repeat(10_000), '%00', '0x10', '[object Object]', '9'.repeat(400)];

/** Path segments, already percent-encoded the way a client would put them in a URL. */
export const HOSTILE_SEGMENTS: string[] = ['%00', 'a'.repeat(5000), '..%2F..%2Fetc%2Fpasswd', '%E0%A4%A', '%F0%9F%99%82', '1e999', '%20', '__proto__', 'constructor'];

const BY_NAME: Record<string, unknown> = {
  to: '15550009999',
  phone: '15550009999',
  number: '15550009999',
  from: '15550009999',
  text: 'fuzz',
  chatId: '15550009999',
  messageId: 'FUZZMESSAGEID',
  url: 'https://example.invalid/x',
  emoji: '👍',
};

/** A plausible instance of `schema`, built from its enums, bounds, required fields and well-known field names. */
export function example(schema: JsonSchema | undefined, name = '', depth = 0): unknown {
  if (!schema || depth > 6) return 'fuzz';
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) return example(variants[0], name, depth + 1);
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (name in BY_NAME && (type === 'string' || type === undefined)) return BY_NAME[name];
  switch (type) {
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => example(schema.items, singular(name), depth + 1));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = example(schema.properties?.[key], key, depth + 1);
      const optional = Object.keys(schema.properties ?? {}).filter((key) => !(key in out));
      for (const key of optional.slice(0, Math.max(0, (schema.minProperties ?? 0) - Object.keys(out).length))) out[key] = example(schema.properties?.[key], key, depth + 1);
      return out;
    }
    case 'string':
      if (schema.format === 'date-time') return new Date(Date.now() + 3_600_000).toISOString();
      if (schema.format === 'uri') return BY_NAME.url;
      return 'f'.repeat(Math.max(4, schema.minLength ?? 0));
    default:
      return 'fuzz';
  }
}

function singular(name: string): string {
  return name === 'participants' || name === 'numbers' ? 'phone' : name === 'recipients' ? 'recipient' : name;
}

/** Every way to spoil `base`: each property (to two levels), in turn, replaced by each hostile value. */
export function* spoiledBodies(schema: JsonSchema, base: unknown, pick: (values: unknown[], count: number) => unknown[]): Generator<{ body: unknown; label: string }> {
  const properties = Object.entries(schema.properties ?? {});
  for (const [key, propertySchema] of properties) {
    for (const value of pick(HOSTILE_VALUES, 8)) yield { body: { ...(base as object), [key]: value }, label: `${key}=${describe(value)}` };
    const nested = Object.keys(propertySchema.properties ?? propertySchema.items?.properties ?? {});
    for (const inner of nested.slice(0, 4)) {
      const value = pick(HOSTILE_VALUES, 1)[0];
      const container = propertySchema.type === 'array' ? [{ ...(example(propertySchema.items) as object), [inner]: value }] : { ...(example(propertySchema) as object), [inner]: value };
      yield { body: { ...(base as object), [key]: container }, label: `${key}.${inner}=${describe(value)}` };
    }
  }
}

/** Bodies that are not the JSON object the route documents. */
export function rawBodies(): RawBody[] {
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  return [
    { contentType: 'application/json', payload: '{', label: 'truncated JSON' },
    { contentType: 'application/json', payload: '[]', label: 'JSON array' },
    { contentType: 'application/json', payload: 'null', label: 'JSON null' },
    { contentType: 'application/json', payload: '"text"', label: 'JSON string' },
    { contentType: 'application/json', payload: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}', label: 'prototype keys' },
    { contentType: 'application/json', payload: deep, label: 'nesting 20,000 deep' },
    { contentType: 'application/json', payload: `{"a":"${'x'.repeat(3 * 1024 * 1024)}"}`, label: '3 MiB string' },
    { contentType: 'application/json', payload: Buffer.from([0x7b, 0x22, 0x74, 0x6f, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x22, 0x7d]), label: 'invalid UTF-8' },
    { contentType: 'application/json; charset=utf-16', payload: Buffer.from('{"to":"1"}', 'utf16le'), label: 'UTF-16 body' },
    { contentType: 'text/plain', payload: 'to=1&text=2', label: 'text/plain' },
    { contentType: 'application/x-www-form-urlencoded', payload: 'to=1&text=2', label: 'form-urlencoded' },
    { contentType: 'multipart/form-data', payload: '--x\r\n\r\n', label: 'multipart without boundary' },
    { contentType: 'multipart/form-data; boundary=zz', payload: '--zz\r\nContent-Disposition: form-data; name="file"; filename="%E0%A4%A.jpg"\r\n\r\nnot an image\r\n--zz', label: 'multipart cut short' },
    { contentType: 'multipart/form-data; boundary=zz', payload: '--zz\r\nContent-Disposition: form-data; name="to"\r\n\r\n15550009999\r\n--zz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8garbage\r\n--zz--\r\n', label: 'multipart corrupt file' },
    { payload: '{"to":"1"}', label: 'no content type' },
  ];
}

export function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}…(${text.length})` : text;
}

/** Mulberry32: small, fast, seeded. */
export function seeded(seed: number): <T>(values: T[], count: number) => T[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (values, count) => {
    const copy = [...values];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, count);
  };
}
