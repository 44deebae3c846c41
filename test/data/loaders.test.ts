import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { loadCifar10, loadMnist } from '../../lib/data/idx';
import { loadText } from '../../lib/data/text';
import { CIFAR_FILE, MNIST_IMAGES, MNIST_LABELS, readCifar, readMnist } from '../helpers/data';
import { SHARED_DATA } from '../helpers/ref';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-loaders-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: Buffer | string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

function idx(type: number, dims: number[], body: Buffer): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, body]);
}

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const dataError = (message: string | RegExp) => expect.objectContaining({ code: 'NNKIT_ERR_DATA', message: typeof message === 'string' ? message : expect.stringMatching(message) });

describe('loadMnist (IDX, raw or gzip)', () => {
  it('reads the real MNIST subset: 10,000 digits of 784 raw pixels, 10 classes', async () => {
    const d = await loadMnist(MNIST_IMAGES, MNIST_LABELS);
    expect([d.n, d.features, d.classes]).toEqual([10000, 784, 10]);
    const ref = readMnist(10000);
    expect(sameBytes(d.x, ref.x)).toBe(true);
    expect(sameBytes(d.y, ref.y)).toBe(true);
    expect(Array.from(d.y.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]); // MNIST's well-known first labels
  });

  it('reads uncompressed files and every IDX element type', async () => {
    const imgs = write('i.idx', idx(0x08, [2, 2, 2], Buffer.from([0, 1, 2, 3, 250, 251, 252, 255])));
    const lbls = write('l.idx', idx(0x08, [2], Buffer.from([3, 1])));
    const d = await loadMnist(imgs, lbls);
    expect([d.n, d.features, d.classes]).toEqual([2, 4, 4]);
    expect(Array.from(d.x)).toEqual([0, 1, 2, 3, 250, 251, 252, 255]);
    const floats = Buffer.alloc(8);
    floats.writeFloatBE(1.5, 0);
    floats.writeFloatBE(-2, 4);
    const f = await loadMnist(write('f.idx', idx(0x0d, [2, 1], floats)), lbls);
    expect(Array.from(f.x)).toEqual([1.5, -2]);
    const shorts = Buffer.alloc(4);
    shorts.writeInt16BE(-300, 0);
    shorts.writeInt16BE(7, 2);
    expect(Array.from((await loadMnist(write('s.idx', idx(0x0b, [2, 1], shorts)), lbls)).x)).toEqual([-300, 7]);
  });

  it('names the file and byte offset of the first problem; a bogus header allocates nothing', async () => {
    const lbls = write('ok-labels.idx', idx(0x08, [2], Buffer.from([0, 1])));
    const cases: Array<[string, Buffer, string | RegExp]> = [
      ['empty', Buffer.alloc(0), /empty\.idx: a file of 0 bytes ends before the 4-byte IDX magic at byte offset 0$/],
      ['magic', Buffer.from([1, 0, 8, 1, 0, 0, 0, 0]), /magic\.idx: not an IDX file \(the magic must start with two zero bytes\) at byte offset 0$/],
      ['type', Buffer.from([0, 0, 7, 1, 0, 0, 0, 0]), /type\.idx: unknown IDX element type 0x07 at byte offset 2$/],
      ['header', Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0]), /header\.idx: the file ends inside its 3-dimension header at byte offset 9$/],
      ['bogus', idx(0x08, [0xffffffff, 0xffffffff, 0xffffffff], Buffer.alloc(10)), /bogus\.idx: the header's dimensions 4294967295x4294967295x4294967295 of unsigned byte need 79228162458924105385300197391 bytes but the file has 26 at byte offset 26$/],
      ['short', idx(0x08, [2, 2, 2], Buffer.alloc(7)), /short\.idx: the header's dimensions 2x2x2 of unsigned byte need 24 bytes but the file has 23 at byte offset 23$/],
      ['long', idx(0x08, [2, 2, 2], Buffer.alloc(9)), /long\.idx: the header's dimensions 2x2x2 of unsigned byte need 24 bytes but the file has 25 at byte offset 24$/],
    ];
    for (const [name, bytes, message] of cases) {
      await expect(loadMnist(write(`${name}.idx`, bytes), lbls)).rejects.toEqual(dataError(message));
    }
    const imgs = write('two.idx', idx(0x08, [2, 2], Buffer.alloc(4)));
    await expect(loadMnist(imgs, write('three.idx', idx(0x08, [3], Buffer.alloc(3))))).rejects.toEqual(dataError(/three\.idx: 3 labels for 2 images in .*two\.idx at byte offset 4$/));
    await expect(loadMnist(imgs, write('neg.idx', idx(0x09, [2], Buffer.from([0, 0xff]))))).rejects.toEqual(dataError(/neg\.idx: label -1 is not an integer in \[0, 65535\] at byte offset 9$/));
    await expect(loadMnist(imgs, path.join(tmp, 'missing.idx'))).rejects.toEqual(dataError(/^Cannot read .*missing\.idx: ENOENT/));
    await expect(loadMnist(write('trunc.gz', zlib.gzipSync(idx(0x08, [2, 2], Buffer.alloc(4))).subarray(0, 12)), lbls)).rejects.toEqual(dataError(/^Cannot gunzip .*trunc\.gz/));
  });
});

describe('loadCifar10 (binary batches)', () => {
  it('reads the real CIFAR-10 subset: 4,000 images of 3072 raw values', async () => {
    const d = await loadCifar10(CIFAR_FILE);
    expect([d.n, d.features, d.classes]).toEqual([4000, 3072, 10]);
    const ref = readCifar(4000);
    expect(sameBytes(d.x, ref.x)).toBe(true);
    expect(sameBytes(d.y, ref.y)).toBe(true);
    expect(Array.from(d.y.subarray(0, 4))).toEqual([6, 9, 9, 4]); // frog, truck, truck, deer
    // the per-channel means CIFAR-10 is known for (125.3, 123.0, 113.9 over the full set)
    const means = [0, 1, 2].map((ch) => {
      let s = 0;
      for (let i = 0; i < d.n; i++) for (let j = 0; j < 1024; j++) s += d.x[i * 3072 + ch * 1024 + j];
      return s / (d.n * 1024);
    });
    expect(means[0]).toBeGreaterThan(120);
    expect(means[2]).toBeLessThan(means[0]);
  });

  it('concatenates several files in order', async () => {
    const buf = fs.readFileSync(CIFAR_FILE);
    const a = write('a.bin', buf.subarray(0, 3 * 3073));
    const b = write('b.bin', buf.subarray(3 * 3073, 5 * 3073));
    const d = await loadCifar10([a, b]);
    expect(d.n).toBe(5);
    expect(d.x).toEqual(readCifar(5).x);
  });

  it('reports partial records and bad labels with file and offset', async () => {
    const buf = fs.readFileSync(CIFAR_FILE);
    await expect(loadCifar10(write('partial.bin', buf.subarray(0, 2 * 3073 + 100)))).rejects.toEqual(dataError(/partial\.bin: a partial record \(100 of 3073 bytes; the file has 6246 bytes\) at byte offset 6146$/));
    const bad = Buffer.from(buf.subarray(0, 3 * 3073));
    bad[2 * 3073] = 12;
    await expect(loadCifar10(write('label.bin', bad))).rejects.toEqual(dataError(/label\.bin: label 12 outside CIFAR-10's 0-9 \(record 2\) at byte offset 6146$/));
    await expect(loadCifar10(write('empty.bin', Buffer.alloc(0)))).rejects.toEqual(dataError(/empty\.bin: an empty file at byte offset 0$/));
    await expect(loadCifar10([])).rejects.toMatchObject({ code: 'NNKIT_ERR_ARG' });
  });
});

describe('loadText', () => {
  it('reads tiny-shakespeare: 1,115,394 characters, 65 distinct', async () => {
    const t = await loadText(path.join(SHARED_DATA, 'text', 'tinyshakespeare.txt'));
    expect(t.length).toBe(1115394);
    expect(t.vocab).toHaveLength(65);
    expect(t.text.startsWith('First Citizen:')).toBe(true);
  });

  it('rejects invalid UTF-8 with the offset of the first bad byte', async () => {
    await expect(loadText(write('bad.txt', Buffer.from([0x61, 0x62, 0xc3, 0xa9, 0x63, 0xff, 0x64])))).rejects.toEqual(dataError(/bad\.txt: invalid UTF-8 at byte offset 5$/));
    await expect(loadText(write('e.txt', ''))).rejects.toEqual(dataError(/e\.txt: an empty file at byte offset 0$/));
  });
});
