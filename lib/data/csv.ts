/**
 * CSV loader: one sample per line, numeric fields, one of them the integer class label.
 * Gzip input is detected from its magic bytes. Every problem is reported as NNKIT_ERR_DATA
 * naming the file and the byte offset (in the decompressed text) where it was found.
 */
import { promises as fs } from 'fs';
import { promisify } from 'util';
import * as zlib from 'zlib';
import { NnError } from '../errors';
import * as is from '../is';
import { Dataset } from './dataset';

export interface CsvOptions {
  /** Column holding the label; negative counts from the end. Default -1 (the last column). */
  labelColumn?: number;
  /** Whether the first line is a header; 'auto' (default) treats it as one when it is not numeric. */
  header?: boolean | 'auto';
}

const gunzip = promisify(zlib.gunzip);
/** A gzip input may decompress to at most this much (1 GiB): a bomb is refused, not allocated. */
export const MAX_GUNZIP_BYTES = 1 << 30;

/** Reads a file, gunzipping it when it starts with the gzip magic bytes. */
export async function readMaybeGzip(path: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await fs.readFile(path);
  } catch (err) {
    throw new NnError('NNKIT_ERR_DATA', `Cannot read ${path}: ${(err as Error).message}`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return await gunzip(raw, { maxOutputLength: MAX_GUNZIP_BYTES });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new NnError('NNKIT_ERR_DATA', `Cannot gunzip ${path}: it decompresses to more than ${MAX_GUNZIP_BYTES} bytes`);
      }
      throw new NnError('NNKIT_ERR_DATA', `Cannot gunzip ${path}: ${(err as Error).message}`);
    }
  }
  return raw;
}

/**
 * @example const { x, y, n, features, classes } = await loadCsv('digits.csv.gz');
 * @throws {NnError} NNKIT_ERR_DATA for an unreadable or malformed file.
 */
export async function loadCsv(path: string, options: CsvOptions = {}): Promise<Dataset> {
  if (typeof path !== 'string' || path.length === 0) throw is.invalid('path', 'file path', path);
  const labelOption = options.labelColumn ?? -1;
  if (!Number.isInteger(labelOption)) throw is.invalid('labelColumn', 'integer', labelOption);
  const header = options.header ?? 'auto';
  if (header !== 'auto' && typeof header !== 'boolean') throw is.invalid('header', "boolean or 'auto'", header);
  const text = (await readMaybeGzip(path)).toString('latin1');
  return parseCsv(text, path, labelOption, header);
}

/** loadCsv on text already read. */
export function parseCsv(text: string, path: string, labelOption: number, header: boolean | 'auto'): Dataset {
  const fail = (offset: number, what: string): never => {
    throw new NnError('NNKIT_ERR_DATA', `${path}: ${what} at byte offset ${offset}`);
  };
  // Line starts, skipping blank lines.
  const lines: Array<[number, number]> = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (text.slice(start, stop).trim().length > 0) lines.push([start, stop]);
    start = end + 1;
  }
  if (lines.length === 0) fail(0, 'no data lines');
  const firstFields = text.slice(lines[0][0], lines[0][1]).split(',');
  const hasHeader = header === 'auto' ? firstFields.some((f) => f.trim() === '' || Number.isNaN(Number(f))) : header;
  const rows = hasHeader ? lines.slice(1) : lines;
  if (rows.length === 0) fail(lines[0][1], 'no data lines after the header');
  const columns = firstFields.length;
  if (columns < 2) fail(lines[0][0], `a line with ${columns} column (need features and a label)`);
  const labelColumn = labelOption < 0 ? columns + labelOption : labelOption;
  if (labelColumn < 0 || labelColumn >= columns) {
    throw is.invalid('labelColumn', `column index in [${-columns}, ${columns})`, labelOption);
  }
  const features = columns - 1;
  const n = rows.length;
  const x = new Float32Array(n * features);
  const y = new Int32Array(n);
  let classes = 0;
  for (let r = 0; r < n; r++) {
    const [lineStart, lineEnd] = rows[r];
    let fieldStart = lineStart;
    let col = 0;
    let f = 0;
    while (fieldStart <= lineEnd) {
      let fieldEnd = text.indexOf(',', fieldStart);
      if (fieldEnd < 0 || fieldEnd > lineEnd) fieldEnd = lineEnd;
      if (col >= columns) fail(fieldStart, `more than ${columns} columns`);
      const field = text.slice(fieldStart, fieldEnd).trim();
      const value = field === '' ? NaN : Number(field);
      if (!Number.isFinite(value)) fail(fieldStart, `non-numeric value '${field.slice(0, 20)}'`);
      if (col === labelColumn) {
        if (!Number.isInteger(value) || value < 0 || value > 65535) fail(fieldStart, `label '${field}' is not an integer in [0, 65535]`);
        y[r] = value;
        if (value + 1 > classes) classes = value + 1;
      } else {
        x[r * features + f++] = value;
      }
      col++;
      fieldStart = fieldEnd + 1;
    }
    if (col !== columns) fail(lineStart, `${col} columns where the first line has ${columns}`);
  }
  return { x, y, n, features, classes };
}
