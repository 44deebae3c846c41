import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { crc32, decodeModelFile, encodeModelFile, MAGIC } from '../../lib/io/modelfile';
import { dense } from '../../lib/layers/dense';
import { dropout } from '../../lib/layers/dropout';
import { init } from '../../lib/initializers';
import { Sequential } from '../../lib/models/sequential';
import { reg } from '../../lib/regularizers';
import { Rng } from '../../lib/rng';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-modelfile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function model(seed = 3) {
  return new Sequential({
    inputSize: 6,
    layers: [
      dense(5, { activation: 'tanh', init: init.glorotUniform(), regularizer: reg.elasticNet(1e-3, 0.5) }),
      dropout(0.25),
      dense(4, { activation: 'leakyRelu', bias: false, init: init.he() }),
      dense(3, { regularizer: reg.l1(1e-4) }),
    ],
    loss: 'svm',
    seed,
  });
}

const rng = new Rng(5);
const x = Float32Array.from({ length: 6 * 9 }, () => rng.gaussian());

/** Rewrites a file's CRC so a deliberate edit reaches the checks behind the checksum. */
function fixCrc(bytes: Buffer): Buffer {
  bytes.writeUInt32LE(crc32(bytes.subarray(0, bytes.length - 4)), bytes.length - 4);
  return bytes;
}

/** Replaces the JSON header (keeping the data section aligned as the format requires). */
function withHeader(bytes: Buffer, edit: (h: Record<string, unknown>) => void): Buffer {
  const len = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.toString('utf8', 16, 16 + len));
  const dataStart = (16 + len + 3) & ~3;
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const start = (16 + json.length + 3) & ~3;
  const out = Buffer.alloc(start + bytes.length - dataStart);
  bytes.copy(out, 0, 0, 12);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, 16);
  bytes.copy(out, start, dataStart);
  return fixCrc(out);
}

const fileError = (message: string | RegExp) => expect.objectContaining({ name: 'NnError', code: 'NNKIT_ERR_MODEL_FILE', message: typeof message === 'string' ? message : expect.stringMatching(message) });

describe('model files: save and load', () => {
  it('CRC-32 is the IEEE one (zlib, PNG)', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('round-trips bit-exactly: config, every parameter, predictions', async () => {
    const m = model();
    // values whose bits matter: negative zero, subnormals, the extremes
    m.params[0] = -0;
    m.params[1] = 1e-45;
    m.params[2] = 3.4028234663852886e38;
    const file = path.join(tmp, 'round.nnk');
    await m.save(file);
    const back = await Sequential.load(file);
    expect(back.toConfig()).toEqual(m.toConfig());
    expect(Buffer.from(back.params.buffer).equals(Buffer.from(m.params.buffer))).toBe(true);
    expect(Object.is(back.params[0], -0)).toBe(true);
    const m2 = model();
    const back2 = await (async () => { await m2.save(file); return Sequential.load(file); })();
    expect(Buffer.from(back2.predict(x).buffer).equals(Buffer.from(m2.predict(x).buffer))).toBe(true);
  });

  it('writes the documented layout', async () => {
    const file = path.join(tmp, 'layout.nnk');
    const m = model();
    await m.save(file);
    const bytes = fs.readFileSync(file);
    expect(bytes.toString('latin1', 0, 8)).toBe(MAGIC);
    expect(bytes.readUInt32LE(8)).toBe(1);
    const header = JSON.parse(bytes.toString('utf8', 16, 16 + bytes.readUInt32LE(12)));
    expect(header.format).toBe('nnkit-model');
    expect(header.preprocess).toBeNull();
    expect(header.model).toEqual(m.toConfig());
    expect(header.tensors.map((t: { name: string }) => t.name)).toEqual(['dense0.W', 'dense0.b', 'dense2.W', 'dense3.W', 'dense3.b']);
    const dataStart = (16 + bytes.readUInt32LE(12) + 3) & ~3;
    expect(bytes.length).toBe(dataStart + 4 * m.params.length + 4);
    expect(bytes.readFloatLE(dataStart)).toBe(m.params[0]);
  });

  it('rejects a truncated file at any length, without a crash or a half-loaded model', async () => {
    const good = model().encode({});
    for (const cut of [0, 7, 15, 19, 40, good.length >> 1, good.length - 5, good.length - 1]) {
      const file = path.join(tmp, `cut${cut}.nnk`);
      fs.writeFileSync(file, good.subarray(0, cut));
      await expect(Sequential.load(file)).rejects.toEqual(fileError(/^Expected .* for model file '.*' but received/));
    }
    fs.writeFileSync(path.join(tmp, 'cut.nnk'), good.subarray(0, good.length - 1));
    await expect(Sequential.load(path.join(tmp, 'cut.nnk'))).rejects.toEqual(fileError(/^Expected checksum 0x[0-9a-f]{8} for model file '.*cut\.nnk' but received 0x[0-9a-f]{8} \(corrupted or truncated file\)$/));
  });

  it('rejects a corrupted byte anywhere (checksum)', () => {
    const good = model().encode({});
    for (const at of [3, 9, 20, good.length - 30, good.length - 2]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x10;
      expect(() => decodeModelFile(bad, 'x.nnk')).toThrow(fileError(/^Expected (checksum|magic|format version|a header).* for model file 'x\.nnk'/));
    }
  });

  it('rejects another magic, another version, a bogus header length', () => {
    const good = model().encode({});
    const magic = fixCrc(Buffer.concat([Buffer.from('PK\x03\x04....'), good.subarray(8)]));
    expect(() => decodeModelFile(magic, 'a.zip')).toThrow(fileError(`Expected magic 'NNKITMDL' (an nnkit model file) for model file 'a.zip' but received "PK\\u0003\\u0004...."`));
    const v2 = Buffer.from(good);
    v2.writeUInt32LE(2, 8);
    expect(() => decodeModelFile(fixCrc(v2), 'v2.nnk')).toThrow(fileError("Expected format version 1 for model file 'v2.nnk' but received version 2"));
    const huge = Buffer.from(good);
    huge.writeUInt32LE(0xfffffff0, 12);
    expect(() => decodeModelFile(fixCrc(huge), 'h.nnk')).toThrow(fileError(/^Expected a header within the file's \d+ bytes for model file 'h\.nnk' but received a header length of 4294967280 \(truncated file\?\)$/));
  });

  it('rejects tensors of the wrong shape, missing tensors, tables that point outside the file, bad configs', () => {
    const good = model().encode({});
    const wrongShape = withHeader(good, (h) => {
      const t = (h.tensors as Array<{ shape: number[] }>)[0];
      t.shape = [5, 6];
    });
    expect(() => Sequential.fromModelFile(decodeModelFile(wrongShape, 's.nnk'), 's.nnk')).toThrow(fileError("Expected shape 6x5 for tensor 'dense0.W' for model file 's.nnk' but received shape 5x6"));
    const missing = withHeader(good, (h) => {
      (h.tensors as Array<{ name: string }>)[1].name = 'other';
    });
    expect(() => Sequential.fromModelFile(decodeModelFile(missing, 'm.nnk'), 'm.nnk')).toThrow(fileError("Expected tensor 'dense0.b' for model file 'm.nnk' but received none"));
    const outside = withHeader(good, (h) => {
      (h.tensors as Array<{ offset: number }>)[4].offset = 1 << 20;
    });
    expect(() => decodeModelFile(outside, 'o.nnk')).toThrow(fileError(/^Expected tensor 'dense3\.b' within the data section/));
    const lying = withHeader(good, (h) => {
      (h.tensors as Array<{ length: number }>)[0].length = 1e15;
    });
    expect(() => decodeModelFile(lying, 'l.nnk')).toThrow(fileError(/^Expected a tensor record/));
    const badConfig = withHeader(good, (h) => {
      (h.model as { inputSize: number }).inputSize = -1;
    });
    expect(() => Sequential.fromModelFile(decodeModelFile(badConfig, 'c.nnk'), 'c.nnk')).toThrow(fileError("Expected a valid model config for model file 'c.nnk' but received one that fails with: Expected positive integer for inputSize but received -1"));
    const notJson = Buffer.from(good);
    notJson.write('{{', 16);
    expect(() => decodeModelFile(fixCrc(notJson), 'j.nnk')).toThrow(fileError(/^Expected a JSON header for model file 'j\.nnk' but received unparsable JSON/));
  });

  it('a missing file is a coded error', async () => {
    await expect(Sequential.load(path.join(tmp, 'none.nnk'))).rejects.toEqual(fileError(/^Could not read model file '.*none\.nnk': ENOENT/));
  });

  it('readers ignore unknown header sections', () => {
    const bytes = model().encode({ futureSection: { a: 1 } }, [{ name: 'extra', shape: [2], data: new Float32Array([1, 2]) }]);
    const file = decodeModelFile(bytes, 'f.nnk');
    expect(file.tensors.get('extra')?.data).toEqual(new Float32Array([1, 2]));
    expect(Sequential.fromModelFile(file, 'f.nnk').params).toEqual(model().params);
  });

  it('a failed save reports an error, leaves no temporary file and keeps the previous file', async () => {
    const dir = path.join(tmp, 'failing');
    fs.mkdirSync(dir);
    const target = path.join(dir, 'model.nnk');
    fs.mkdirSync(target); // renaming a file over a directory fails
    await expect(model().save(target)).rejects.toEqual(expect.objectContaining({ code: 'NNKIT_ERR_IO', message: expect.stringMatching(/^Could not write '.*model\.nnk'/) }));
    expect(fs.readdirSync(dir)).toEqual(['model.nnk']);
  });

  it('a process killed while saving never leaves a damaged file (atomic replace)', async () => {
    const file = path.join(tmp, 'killed.nnk');
    const first = new Sequential({ inputSize: 3072, layers: [dense(700), dense(10)], seed: 1 });
    await first.save(file);
    const script = `
      const { Sequential, dense } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'index.js'))});
      const m = new Sequential({ inputSize: 3072, layers: [dense(700), dense(10)], seed: 2 });
      process.stdout.write('ready\\n');
      (async () => { for (;;) await m.save(${JSON.stringify(file)}); })();`;
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 150 + 97 * round));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const loaded = await Sequential.load(file); // the old or a new model, whole
      expect([1, 2]).toContain(loaded.seed);
    }
    execFileSync('sync');
  });
});
