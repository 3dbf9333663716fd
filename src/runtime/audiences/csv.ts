/**
 * audiences/csv: what a CSV file is before it is read: its encoding (UTF-8 with or without BOM, else Latin-1), its
 * delimiter (`,`, `;` or tab, whichever the header line has most of outside quotes), its header and first rows.
 * Files that are not text (a NUL byte in the first 64 KiB), empty, or without a header are refused.
 */
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { ApiError } from '../errors';

export type Encoding = 'utf-8' | 'latin1';
export type Delimiter = ',' | ';' | '\t';

export interface CsvShape {
  encoding: Encoding;
  bom: boolean;
  delimiter: Delimiter;
  headers: string[];
  /** Up to ten data rows, as read. */
  sample: string[][];
}

const SNIFF_BYTES = 64 * 1024;

export async function sniff(path: string, field: string): Promise<CsvShape> {
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (!head.length) throw new ApiError(400, 'empty_file', 'The file is empty', { field });
  if (head.includes(0)) throw new ApiError(415, 'not_csv', 'The file is not a CSV file (it holds binary data)', { field });
  const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  const encoding: Encoding = bom || isUtf8(head) ? 'utf-8' : 'latin1';
  let text = head.toString(encoding === 'utf-8' ? 'utf8' : 'latin1');
  if (bom) text = text.slice(1);
  // only whole lines of the sample are read
  if (head.length === SNIFF_BYTES) text = text.slice(0, Math.max(text.lastIndexOf('\n'), 0));
  const delimiter = delimiterOf(text.split(/\r?\n/, 1)[0]);
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, to: 11 }) as string[][];
  } catch (error) {
    throw new ApiError(400, 'not_csv', `The file is not valid CSV: ${(error as Error).message}`, { field });
  }
  const headers = (rows[0] ?? []).map((h) => h.trim());
  if (!headers.length || headers.every((h) => !h)) throw new ApiError(400, 'not_csv', 'The file has no header line', { field });
  return { encoding, bom, delimiter, headers, sample: rows.slice(1) };
}

function isUtf8(bytes: Buffer): boolean {
  // a multi-byte character cut at the end of the sample is not an error
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = bytes[end - back];
    if ((byte & 0xc0) === 0xc0) {
      end -= back;
      break;
    }
    if ((byte & 0x80) === 0) break;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

function delimiterOf(line: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && char in counts) counts[char as Delimiter]++;
  }
  const [best, count] = (Object.entries(counts) as [Delimiter, number][]).sort((a, b) => b[1] - a[1])[0];
  return count > 0 ? best : ',';
}

/**
 * One cell of a CSV the runtime writes (exports, import reports): quoted when it must be, and a leading =, +, - or @
 * prefixed with ' so a spreadsheet does not run it as a formula (phone numbers like "+1 202 555 0143" excepted).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^\+[\d ().-]+$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
