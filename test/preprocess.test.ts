import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDigits } from '../lib/data/datasets';
import { split } from '../lib/data/split';
import { dense } from '../lib/layers/dense';
import { Sequential } from '../lib/models/sequential';
import { preprocess, preprocessors } from '../lib/preprocess';
import { train } from '../lib/trainer';
import { readMnist } from './helpers/data';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnkit-pre-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Mean and covariance (float64) of n x d rows. */
function stats(x: Float32Array, d: number) {
  const n = x.length / d;
  const mean = new Float64Array(d);
  for (let i = 0; i < x.length; i++) mean[i % d] += x[i] / n;
  const cov = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const a = x[r * d + i] - mean[i];
      for (let j = 0; j < d; j++) cov[i * d + j] += (a * (x[r * d + j] - mean[j])) / n;
    }
  }
  return { mean, cov };
}

describe('preprocessing fitted on training data', () => {
  it('center and standardize: zero mean (unit std) on the training rows, the same shift applied to others', async () => {
    const { x } = await loadDigits();
    const c = preprocess.center().fit(x, 64);
    const out = c.apply(x);
    expect(Math.max(...stats(out, 64).mean.map(Math.abs))).toBeLessThan(1e-5);
    expect(c.apply(x.subarray(0, 64))[3]).toBeCloseTo(x[3] - c.state.mean[3], 6);
    const s = preprocess.standardize().fit(x, 64).apply(x);
    const st = stats(s, 64);
    for (let j = 0; j < 64; j++) {
      const v = st.cov[j * 64 + j];
      expect(v < 1e-12 || Math.abs(v - 1) < 1e-4).toBe(true); // constant pixels stay 0
    }
  });

  it('pca(k) on digits (exact Jacobi path): k uncorrelated axes with descending variance, all of the variance at k = d', async () => {
    const { x } = await loadDigits();
    const f = preprocess.pca(10).fit(x, 64);
    expect([f.inputSize, f.outputSize]).toEqual([64, 10]);
    const out = stats(f.apply(x), 10);
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 10; j++) if (i !== j) expect(Math.abs(out.cov[i * 10 + j])).toBeLessThan(1e-3 * out.cov[0]);
      if (i > 0) expect(out.cov[i * 10 + i]).toBeLessThanOrEqual(out.cov[(i - 1) * 10 + i - 1] * (1 + 1e-6));
    }
    const full = stats(preprocess.pca(64).fit(x, 64).apply(x), 64);
    const input = stats(x, 64);
    let traceIn = 0;
    let traceOut = 0;
    for (let j = 0; j < 64; j++) {
      traceIn += input.cov[j * 64 + j];
      traceOut += full.cov[j * 64 + j];
    }
    expect(traceOut / traceIn).toBeCloseTo(1, 4);
  });

  it('pca(k) on MNIST (subspace iteration path): each axis is an eigenvector of the covariance', () => {
    const { x } = readMnist(2000);
    const k = 30;
    const f = preprocess.pca(k).fit(x, 784);
    const basis = f.state.basis; // 784 x k
    const { cov } = stats(x, 784);
    for (let j = 0; j < k; j++) {
      // residual ‖C·u − λu‖ / λ with λ = uᵀCu
      const u = Float64Array.from({ length: 784 }, (_, r) => basis[r * k + j]);
      const cu = new Float64Array(784);
      for (let r = 0; r < 784; r++) {
        let s = 0;
        for (let t = 0; t < 784; t++) s += cov[r * 784 + t] * u[t];
        cu[r] = s;
      }
      const lambda = u.reduce((a, v, r) => a + v * cu[r], 0);
      const norm = Math.sqrt(u.reduce((a, v) => a + v * v, 0));
      const residual = Math.sqrt(cu.reduce((a, v, r) => a + (v - lambda * u[r]) ** 2, 0));
      expect(Math.abs(norm - 1)).toBeLessThan(1e-4);
      expect(residual / lambda).toBeLessThan(2e-2);
    }
  });

  it('whiten: the training covariance becomes the identity on the kept axes; zca keeps the input axes', async () => {
    const { x } = await loadDigits();
    const w = preprocess.whiten({ components: 20 }).fit(x, 64);
    const out = stats(w.apply(x), 20);
    for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) expect(Math.abs(out.cov[i * 20 + j] - (i === j ? 1 : 0))).toBeLessThan(1e-3);
    const z = preprocess.whiten({ zca: true, components: 20 }).fit(x, 64);
    expect(z.outputSize).toBe(64);
    const zOut = z.apply(x);
    // ZCA = U · (PCA-whitened): the same whitened data expressed on the input axes
    const back = stats(zOut, 64);
    let trace = 0;
    for (let j = 0; j < 64; j++) trace += back.cov[j * 64 + j];
    expect(trace).toBeCloseTo(20, 2);
  });

  it('pca travels with the model: train with inputSize k, save, load, predict on raw input', async () => {
    const data = split(await loadDigits(), { valFraction: 0.2, seed: 1 });
    const model = new Sequential({ inputSize: 20, layers: [dense(30, { activation: 'relu', init: undefined }), dense(10)], seed: 1 });
    const r = await train(model, data, { epochs: 8, learningRate: 1e-2, preprocess: [preprocess.pca(20)] });
    expect(r.bestValAcc).toBeGreaterThan(0.85);
    expect(r.bestModel.rawInputSize).toBe(64);
    expect(r.bestModel.evaluate(data.xVal, data.yVal).accuracy).toBe(r.bestValAcc);
    const file = path.join(tmp, 'pca.nnk');
    await r.bestModel.save(file);
    const back = await Sequential.load(file);
    expect(back.preprocess[0].name).toBe('pca');
    expect(Buffer.from(back.predict(data.xVal).buffer).equals(Buffer.from(r.bestModel.predict(data.xVal).buffer))).toBe(true);
    expect(() => back.predict(new Float32Array(20))).toThrow(expect.objectContaining({ code: 'NNKIT_ERR_SHAPE', message: 'Expected a multiple of the raw input size 64 for x.length but received 20' }));
  });

  it('steps chain: standardize then pca(16), fitted in turn, saved and applied in order', async () => {
    const data = split(await loadDigits(), { valFraction: 0.2, seed: 1 });
    const model = new Sequential({ inputSize: 16, layers: [dense(10)], seed: 1 });
    const r = await train(model, data, { epochs: 3, learningRate: 1e-2, preprocess: [preprocess.standardize(), preprocess.pca(16)] });
    expect(r.bestModel.preprocess.map((s) => [s.name, s.inputSize, s.outputSize])).toEqual([['standardize', 64, 64], ['pca', 64, 16]]);
    const file = path.join(tmp, 'chain.nnk');
    await r.bestModel.save(file);
    const back = await Sequential.load(file);
    expect(back.evaluate(data.xVal, data.yVal).accuracy).toBe(r.bestValAcc);
    const [st, pc] = back.preprocess;
    expect(() => back.setPreprocess([pc, st])).toThrow(expect.objectContaining({ code: 'NNKIT_ERR_SHAPE', message: "Expected 16 (step 0's output) for preprocessing step 1 input width but received 64" }));
  });

  it('registry round trip and argument errors', () => {
    for (const step of [preprocess.center(), preprocess.standardize(), preprocess.pca(7), preprocess.whiten({ epsilon: 0.1, zca: true, components: 3 })]) {
      const again = preprocessors.deserialize(JSON.parse(JSON.stringify(preprocessors.serialize(step))));
      expect(preprocessors.serialize(again)).toEqual(preprocessors.serialize(step));
    }
    expect(() => preprocess.pca(0)).toThrow(expect.objectContaining({ code: 'NNKIT_ERR_ARG', message: 'Expected positive integer for k but received 0' }));
    expect(() => preprocess.whiten({ epsilon: -1 })).toThrow(expect.objectContaining({ message: 'Expected positive number for epsilon but received -1' }));
    expect(() => preprocess.pca(65).fit(new Float32Array(64 * 3), 64)).toThrow(expect.objectContaining({ message: 'Expected integer <= the 64 input features for k but received 65' }));
  });
});
