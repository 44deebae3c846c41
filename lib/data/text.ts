/** Plain-text loader (for the language-model issues): UTF-8 validated, with its character set. */
import { NnError } from '../errors';
import * as is from '../is';
import { readMaybeGzip } from './csv';

export interface TextData {
  text: string;
  /** Distinct characters (code points), sorted. */
  vocab: string[];
  /** Length in code points. */
  length: number;
}

/**
 * @example const { text, vocab } = await loadText('tinyshakespeare.txt');
 * @throws {NnError} NNKIT_ERR_DATA for an empty file or invalid UTF-8 (with the byte offset).
 */
export async function loadText(path: string): Promise<TextData> {
  if (typeof path !== 'string' || path === '') throw is.invalid('path', 'file path', path);
  const buf = await readMaybeGzip(path);
  if (buf.length === 0) throw new NnError('NNKIT_ERR_DATA', `${path}: an empty file at byte offset 0`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new NnError('NNKIT_ERR_DATA', `${path}: invalid UTF-8 at byte offset ${firstInvalidUtf8(buf)}`);
  }
  const chars = new Set<string>();
  let length = 0;
  for (const ch of text) {
    chars.add(ch);
    length++;
  }
  return { text, vocab: [...chars].sort(), length };
}

/** Offset of the first byte that starts an invalid UTF-8 sequence. */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > b.length) return i;
    for (let k = 1; k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    const slice = b.subarray(i, i + len);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(slice);
    } catch {
      return i;
    }
    i += len;
  }
  return b.length;
}
