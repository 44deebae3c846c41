/**
 * The nnkit model file (`.nnk`), format version 1. All integers and floats little-endian.
 *
 *   offset 0      8 bytes   magic "NNKITMDL"
 *   offset 8      u32       format version (1)
 *   offset 12     u32       H: byte length of the JSON header
 *   offset 16     H bytes   UTF-8 JSON header (below)
 *   16 + H        0–3 zero bytes, so the data starts at a multiple of 4 (D)
 *   D             float32 tensors, one after another, in the header's order
 *   end − 4       u32       CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
 *
 * The header: `{ "format": "nnkit-model", "model": <ModelConfig>, "preprocess": null | [...],
 * "tensors": [{ "name", "shape", "offset", "length" }], ... }` where `offset` is in bytes from D
 * and `length` in float32 values. Readers ignore header keys they do not know, so later versions
 * can add sections (a checkpoint adds the optimizer state and the training position) without a
 * version change; a change that old readers would misread bumps the version.
 *
 * Writes are atomic: the file is written to a temporary name beside the target, flushed to disk,
 * then renamed over it, so a crash mid-save leaves the previous file intact.
 */
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NnError } from '../errors';

export const MAGIC = 'NNKITMDL';
export const FORMAT_VERSION = 1;
const PREFIX = 16;

export interface TensorEntry {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TensorRecord {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

export interface FileHeader {
  format: string;
  tensors: TensorRecord[];
  [key: string]: unknown;
}

export interface ModelFile {
  header: FileHeader;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE, reflected, polynomial 0xEDB88320), as zlib and PNG compute it. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The file's bytes for a header (without `tensors`, which is filled in here) and tensors. */
export function encodeModelFile(header: Record<string, unknown>, tensors: TensorEntry[]): Buffer {
  const records: TensorRecord[] = [];
  let offset = 0;
  for (const t of tensors) {
    records.push({ name: t.name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length * 4;
  }
  const json = Buffer.from(JSON.stringify({ ...header, tensors: records }), 'utf8');
  const dataStart = align4(PREFIX + json.length);
  const total = dataStart + offset + 4;
  const out = Buffer.alloc(total);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(FORMAT_VERSION, 8);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, PREFIX);
  for (let i = 0; i < tensors.length; i++) {
    const at = dataStart + records[i].offset;
    const data = tensors[i].data;
    if (os.endianness() === 'LE') {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    } else {
      for (let j = 0; j < data.length; j++) out.writeFloatLE(data[j], at + 4 * j);
    }
  }
  out.writeUInt32LE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

/**
 * Parses and verifies a model file's bytes. Every problem (too short, wrong magic, unknown
 * version, bad checksum, a header or tensor table that does not fit the file) throws
 * NNKIT_ERR_MODEL_FILE naming `source`; nothing is returned half-read.
 */
export function decodeModelFile(bytes: Uint8Array, source: string): ModelFile {
  const fail = (what: string, received: string) =>
    new NnError('NNKIT_ERR_MODEL_FILE', `Expected ${what} for model file '${source}' but received ${received}`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PREFIX + 4) throw fail(`at least ${PREFIX + 4} bytes`, `${buf.length} bytes`);
  const magic = buf.toString('latin1', 0, 8);
  if (magic !== MAGIC) throw fail(`magic '${MAGIC}' (an nnkit model file)`, JSON.stringify(magic));
  const version = buf.readUInt32LE(8);
  if (version !== FORMAT_VERSION) throw fail(`format version ${FORMAT_VERSION}`, `version ${version}`);
  const headerLength = buf.readUInt32LE(12);
  if (headerLength > buf.length - PREFIX - 4) throw fail(`a header within the file's ${buf.length} bytes`, `a header length of ${headerLength} (truncated file?)`);
  const stored = buf.readUInt32LE(buf.length - 4);
  const actual = crc32(buf.subarray(0, buf.length - 4));
  if (stored !== actual) throw fail(`checksum ${hex(stored)}`, `${hex(actual)} (corrupted or truncated file)`);

  let header: FileHeader;
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerLength));
  } catch (e) {
    throw fail('a JSON header', `unparsable JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || header.format !== 'nnkit-model' || !Array.isArray(header.tensors)) {
    throw fail("a header with format 'nnkit-model' and a tensor table", 'another header');
  }
  const dataStart = align4(PREFIX + headerLength);
  const dataBytes = buf.length - 4 - dataStart;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [i, t] of header.tensors.entries()) {
    const ok = typeof t === 'object' && t !== null && typeof t.name === 'string' && Array.isArray(t.shape) &&
      t.shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0) &&
      Number.isSafeInteger(t.offset) && t.offset >= 0 && t.offset % 4 === 0 && Number.isSafeInteger(t.length) && t.length >= 0 &&
      t.shape.reduce((a: number, d: number) => a * d, 1) === t.length;
    if (!ok) throw fail(`a tensor record { name, shape, offset, length } at tensors[${i}]`, JSON.stringify(t));
    if (t.offset + 4 * t.length > dataBytes) throw fail(`tensor '${t.name}' within the data section (${dataBytes} bytes)`, `offset ${t.offset} + ${4 * t.length} bytes`);
    if (tensors.has(t.name)) throw fail('unique tensor names', `'${t.name}' twice`);
    const data = new Float32Array(t.length);
    const at = dataStart + t.offset;
    if (os.endianness() === 'LE') {
      new Uint8Array(data.buffer).set(buf.subarray(at, at + 4 * t.length));
    } else {
      for (let j = 0; j < t.length; j++) data[j] = buf.readFloatLE(at + 4 * j);
    }
    tensors.set(t.name, { shape: t.shape, data });
  }
  return { header, tensors };
}

/** Writes bytes to `file` atomically (temporary file in the same folder, fsync, rename). */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let handle: fsp.FileHandle | null = null;
  try {
    handle = await fsp.open(tmp, 'wx', 0o644);
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = null;
    await fsp.rename(tmp, file);
  } catch (e) {
    if (handle !== null) await handle.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    throw new NnError('NNKIT_ERR_IO', `Could not write '${file}': ${(e as Error).message}`);
  }
  // Make the rename itself durable where the platform allows syncing a directory.
  try {
    const d = await fsp.open(dir, 'r');
    await d.sync().catch(() => undefined);
    await d.close();
  } catch {
    // not supported here (e.g. Windows): the data itself is already synced
  }
}

/** Reads and verifies a model file. */
export async function readModelFile(file: string): Promise<ModelFile> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new NnError(code === 'ENOENT' ? 'NNKIT_ERR_MODEL_FILE' : 'NNKIT_ERR_IO', `Could not read model file '${file}': ${(e as Error).message}`);
  }
  return decodeModelFile(bytes, file);
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
