/**
 * Loaders for the binary image formats: MNIST / Fashion-MNIST IDX files (raw or gzip) and
 * CIFAR-10 binary batches. Both check the header against the real byte count before allocating,
 * so a bogus header cannot make them allocate absurd memory, and report the first problem as
 * NNKIT_ERR_DATA naming the file and byte offset (in the decompressed bytes for gzip input).
 */
import { NnError } from '../errors';
import * as is from '../is';
import { readMaybeGzip } from './csv';
import { Dataset } from './dataset';

const IDX_TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'unsigned byte', bytes: 1 },
  0x09: { name: 'signed byte', bytes: 1 },
  0x0b: { name: 'short', bytes: 2 },
  0x0c: { name: 'int', bytes: 4 },
  0x0d: { name: 'float', bytes: 4 },
  0x0e: { name: 'double', bytes: 8 },
};

export interface IdxArray {
  dims: number[];
  /** The values, row-major, as float32 (labels as integers). */
  values: Float32Array;
}

function dataError(path: string, offset: number, what: string): NnError {
  return new NnError('NNKIT_ERR_DATA', `${path}: ${what} at byte offset ${offset}`);
}

/** Parses an IDX file's bytes (big-endian header: 0, 0, type, ndims, then ndims u32 sizes). */
export function parseIdx(buf: Buffer, path: string): IdxArray {
  if (buf.length < 4) throw dataError(path, buf.length, `a file of ${buf.length} bytes ends before the 4-byte IDX magic`);
  if (buf[0] !== 0 || buf[1] !== 0) throw dataError(path, buf[0] !== 0 ? 0 : 1, 'not an IDX file (the magic must start with two zero bytes)');
  const type = IDX_TYPES[buf[2]];
  if (type === undefined) throw dataError(path, 2, `unknown IDX element type 0x${buf[2].toString(16).padStart(2, '0')}`);
  const ndims = buf[3];
  if (ndims === 0) throw dataError(path, 3, 'an IDX file with 0 dimensions');
  const headerBytes = 4 + 4 * ndims;
  if (buf.length < headerBytes) throw dataError(path, buf.length, `the file ends inside its ${ndims}-dimension header`);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const size = buf.readUInt32BE(4 + 4 * i);
    dims.push(size);
    count *= size;
  }
  const expected = headerBytes + count * type.bytes;
  if (buf.length !== expected) {
    const need = dims.reduce((a, d) => a * BigInt(d), BigInt(type.bytes)) + BigInt(headerBytes); // exact, however large
    throw dataError(path, Math.min(buf.length, expected), `the header's dimensions ${dims.join('x')} of ${type.name} need ${need} bytes but the file has ${buf.length}`);
  }
  const values = new Float32Array(count);
  const at = headerBytes;
  switch (buf[2]) {
    case 0x08:
      for (let i = 0; i < count; i++) values[i] = buf[at + i];
      break;
    case 0x09:
      for (let i = 0; i < count; i++) values[i] = buf.readInt8(at + i);
      break;
    case 0x0b:
      for (let i = 0; i < count; i++) values[i] = buf.readInt16BE(at + 2 * i);
      break;
    case 0x0c:
      for (let i = 0; i < count; i++) values[i] = buf.readInt32BE(at + 4 * i);
      break;
    case 0x0d:
      for (let i = 0; i < count; i++) values[i] = buf.readFloatBE(at + 4 * i);
      break;
    default:
      for (let i = 0; i < count; i++) values[i] = buf.readDoubleBE(at + 8 * i);
  }
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(values[i])) throw dataError(path, at + i * type.bytes, `non-finite value ${values[i]}`);
  }
  return { dims, values };
}

/**
 * MNIST or Fashion-MNIST: an images file (IDX, n x rows x cols) and a labels file (IDX, n), raw
 * or gzip. Pixel values stay raw (0-255).
 * @example const { x, y, n, features, classes } = await loadMnist('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz');
 * @throws {NnError} NNKIT_ERR_DATA naming the file and byte offset of the first problem.
 */
export async function loadMnist(imagesPath: string, labelsPath: string): Promise<Dataset> {
  if (typeof imagesPath !== 'string' || imagesPath === '') throw is.invalid('imagesPath', 'file path', imagesPath);
  if (typeof labelsPath !== 'string' || labelsPath === '') throw is.invalid('labelsPath', 'file path', labelsPath);
  const [imgBuf, lblBuf] = await Promise.all([readMaybeGzip(imagesPath), readMaybeGzip(labelsPath)]);
  return mnistFromBuffers(imgBuf, imagesPath, lblBuf, labelsPath);
}

/** Whether bytes start like an IDX file of two or more dimensions (an images file). */
export function looksLikeIdxImages(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0 && buf[1] === 0 && IDX_TYPES[buf[2]] !== undefined && buf[3] >= 2;
}

/** loadMnist on bytes already read (and gunzipped). */
export function mnistFromBuffers(imgBuf: Buffer, imagesPath: string, lblBuf: Buffer, labelsPath: string): Dataset {
  const images = parseIdx(imgBuf, imagesPath);
  if (images.dims.length < 2) throw dataError(imagesPath, 3, `an images file needs at least 2 dimensions (n, features...) but has ${images.dims.length}`);
  const labels = parseIdx(lblBuf, labelsPath);
  if (labels.dims.length !== 1) throw dataError(labelsPath, 3, `a labels file has 1 dimension but this one has ${labels.dims.length}`);
  const n = images.dims[0];
  if (labels.dims[0] !== n) throw dataError(labelsPath, 4, `${labels.dims[0]} labels for ${n} images in ${imagesPath}`);
  if (n === 0) throw dataError(imagesPath, 4, 'no images');
  const features = images.values.length / n;
  const y = new Int32Array(n);
  const labelStart = 8;
  let classes = 0;
  for (let i = 0; i < n; i++) {
    const v = labels.values[i];
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw dataError(labelsPath, labelStart + i, `label ${v} is not an integer in [0, 65535]`);
    y[i] = v;
    if (v + 1 > classes) classes = v + 1;
  }
  return { x: images.values, y, n, features, classes };
}

export const CIFAR_RECORD = 1 + 3072;

/**
 * CIFAR-10 binary batches: records of `<1 byte label><1024 R><1024 G><1024 B>` (32x32 each,
 * row-major), from one or several files, concatenated in the order given. Raw 0-255 values.
 * @example const train = await loadCifar10(['data_batch_1.bin', 'data_batch_2.bin']);
 * @throws {NnError} NNKIT_ERR_DATA naming the file and byte offset of the first problem.
 */
export async function loadCifar10(paths: string | string[]): Promise<Dataset> {
  const list = typeof paths === 'string' ? [paths] : paths;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string' && p !== '')) {
    throw is.invalid('paths', 'file path or non-empty array of file paths', paths);
  }
  return cifarFromBuffers(await Promise.all(list.map((p) => readMaybeGzip(p))), list);
}

/** loadCifar10 on bytes already read (and gunzipped), one buffer per path. */
export function cifarFromBuffers(bufs: Buffer[], list: string[]): Dataset {
  let n = 0;
  bufs.forEach((b, f) => {
    if (b.length === 0) throw dataError(list[f], 0, 'an empty file');
    if (b.length % CIFAR_RECORD !== 0) {
      const whole = Math.floor(b.length / CIFAR_RECORD);
      throw dataError(list[f], whole * CIFAR_RECORD, `a partial record (${b.length - whole * CIFAR_RECORD} of ${CIFAR_RECORD} bytes; the file has ${b.length} bytes)`);
    }
    n += b.length / CIFAR_RECORD;
  });
  const x = new Float32Array(n * 3072);
  const y = new Int32Array(n);
  let r = 0;
  bufs.forEach((b, f) => {
    for (let off = 0; off < b.length; off += CIFAR_RECORD, r++) {
      const label = b[off];
      if (label > 9) throw dataError(list[f], off, `label ${label} outside CIFAR-10's 0-9 (record ${off / CIFAR_RECORD})`);
      y[r] = label;
      const o = r * 3072;
      for (let j = 0; j < 3072; j++) x[o + j] = b[off + 1 + j];
    }
  });
  return { x, y, n, features: 3072, classes: 10 };
}
