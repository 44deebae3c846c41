import { loadDigits } from '../lib/data/datasets';
import { split } from '../lib/data/split';
import { runDemo } from '../lib/demo';
import { init } from '../lib/initializers';
import { dense } from '../lib/layers/dense';
import { Sequential } from '../lib/models/sequential';
import { optim } from '../lib/optimizers';
import { train } from '../lib/trainer';
import { centerOn, readCifar } from './helpers/data';

function twoLayer(inputSize: number) {
  return new Sequential({
    inputSize,
    layers: [dense(50, { activation: 'relu', init: init.gaussian(1e-4) }), dense(10, { init: init.gaussian(1e-4) })],
    loss: 'softmax',
    seed: 1,
  });
}

const LINE = /^Finished epoch (\d+) \/ (\d+): cost (\d+\.\d{6}|nan|inf), train: (\d\.\d{6}), val (\d\.\d{6}|nan), lr (\d\.\d{6}e[+-]\d{2})$/;

describe('train: the lecture\'s ClassifierTrainer', () => {
  it('overfits 20 CIFAR-10 examples to train accuracy 1.00 within 200 epochs (full batch, plain SGD, no reg)', async () => {
    const all = readCifar(4000);
    centerOn(all.x, 3072, all.x); // the mean image of the training set
    const xTiny = all.x.slice(0, 20 * 3072);
    const yTiny = all.y.slice(0, 20);
    const model = twoLayer(3072);
    const before = model.params.slice();
    const result = await train(model, { xTrain: xTiny, yTrain: yTiny, xVal: xTiny, yVal: yTiny }, {
      epochs: 200, reg: 0, update: 'sgd', learningRateDecay: 1, sampleBatches: false, learningRate: 1e-3,
    });
    expect(result.stats.trainAccHistory[199]).toBe(1);
    expect(result.bestValAcc).toBe(1);
    expect(result.stats.lossHistory).toHaveLength(200); // one full-batch iteration per epoch
    expect(result.stats.lossHistory[0]).toBeCloseTo(Math.log(10), 2);
    expect(result.stats.lossHistory[199]).toBeLessThan(0.01); // the lecture ends at 0.0026
    expect(Array.from(model.params)).toEqual(Array.from(before)); // the caller's model is not modified
  }, 120000);

  it('momentum, Nesterov and SGD steps (taken inside the backward pass) are those of computeGradients + step', async () => {
    // full batch: one iteration per epoch, the rate decayed after each; reg 0.01 so that the cost's
    // penalty, which the trainer takes from the previous step, counts
    const digits = await loadDigits();
    const xTrain = digits.x.slice(0, 400 * 64).map((v) => v / 16 - 0.5);
    const yTrain = Int32Array.from(digits.y.slice(0, 400));
    for (const update of ['momentum', 'nesterov', 'sgd'] as const) {
      const model = new Sequential({ inputSize: 64, layers: [dense(50, { activation: 'relu', init: init.he() }), dense(10, { init: init.xavier() })], seed: 2 });
      const result = await train(model, { xTrain, yTrain }, {
        epochs: 6, update, momentum: 0.9, learningRate: 0.1, learningRateDecay: 0.9, reg: 0.01, sampleBatches: false, threads: 1,
      });
      const net = model.clone();
      net.threads = 1;
      const opt = update === 'momentum' ? optim.momentum(0.9) : update === 'nesterov' ? optim.nesterov(0.9) : optim.sgd();
      const costs: number[] = [];
      for (let e = 0; e < 6; e++) {
        costs.push(net.computeGradients(xTrain, yTrain, 400, { defaultL2: 0.01 }));
        opt.step(net.params, net.grads, 0.1 * 0.9 ** e, 1);
      }
      result.stats.lossHistory.forEach((c, i) => expect({ update, i, c: Math.abs(c - costs[i]) < 1e-5 * costs[i] }).toEqual({ update, i, c: true }));
      expect(costs[5]).toBeLessThan(costs[0] - 0.1);
      let worst = 0;
      net.params.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - result.model.params[i]) / (Math.abs(v) + 1e-3))));
      expect({ update, worst: worst < 1e-5 }).toEqual({ update, worst: true });
    }
  });

  it('prints the lecture\'s epoch lines and the closing line', async () => {
    const digits = await loadDigits();
    const data = split(digits, { valFraction: 0.2, seed: 3 });
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    try {
      await train(twoLayer(64), data, { epochs: 3, learningRate: 3e-3, learningRateDecay: 0.5, verbose: true });
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(4);
    const m = lines.slice(0, 3).map((l) => LINE.exec(l));
    expect(m.every((x) => x !== null)).toBe(true);
    expect(m.map((x) => x?.[1])).toEqual(['1', '2', '3']);
    expect(m.map((x) => x?.[6])).toEqual(['1.500000e-03', '7.500000e-04', '3.750000e-04']); // lr after each epoch's decay
    expect(lines[3]).toMatch(/^finished optimization\. best validation accuracy: \d\.\d{6}$/);
  });

  it('sampleBatches: an epoch is max(1, floor(N / batchSize)) iterations; the same seed repeats the run', async () => {
    const digits = await loadDigits();
    const data = split(digits, { valFraction: 0.2, seed: 1 });
    const n = data.yTrain.length;
    const a = await train(twoLayer(64), data, { epochs: 2, batchSize: 64, seed: 5 });
    expect(a.stats.lossHistory).toHaveLength(2 * Math.floor(n / 64));
    const b = await train(twoLayer(64), data, { epochs: 2, batchSize: 64, seed: 5 });
    expect(b.stats.lossHistory).toEqual(a.stats.lossHistory);
    const big = await train(twoLayer(64), data, { epochs: 1, batchSize: 10 * n });
    expect(big.stats.lossHistory).toHaveLength(1);
  });

  it('keeps the best model by validation accuracy', async () => {
    const digits = await loadDigits();
    const data = split(digits, { valFraction: 0.2, seed: 1 });
    const r = await train(twoLayer(64), data, { epochs: 6, learningRate: 1e-2 });
    expect(r.bestValAcc).toBe(Math.max(...r.stats.valAccHistory));
    expect(r.bestModel.evaluate(data.xVal, data.yVal).accuracy).toBe(r.bestValAcc);
    expect(r.samplesPerSec).toBeGreaterThan(0);
  });

  it('rejects bad options with coded errors', async () => {
    const model = twoLayer(64);
    const data = { xTrain: new Float32Array(64 * 2), yTrain: [0, 1] };
    await expect(train(model, data, { epochs: 0 })).rejects.toMatchObject({ code: 'NNKIT_ERR_ARG', message: 'Expected positive integer for epochs but received 0' });
    await expect(train(model, data, { learningRate: -1 })).rejects.toMatchObject({ code: 'NNKIT_ERR_ARG', message: 'Expected positive number for learningRate but received -1' });
    await expect(train(model, data, { update: 'adamw' as 'sgd' })).rejects.toMatchObject({ code: 'NNKIT_ERR_ARG', message: "Expected one of 'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam' for update but received 'adamw'" });
    await expect(train(model, data, { resume: true })).rejects.toMatchObject({ code: 'NNKIT_ERR_ARG', message: 'Expected a checkpoint path beside it (checkpoint option) for resume but received true' });
    await expect(train(model, data, { threads: -1 })).rejects.toMatchObject({ code: 'NNKIT_ERR_ARG', message: 'Expected non-negative integer for threads but received -1' });
    await expect(train(model, data, { epoch: 3 } as object)).rejects.toMatchObject({ code: 'NNKIT_ERR_ARG' });
    await expect(train(model, { xTrain: new Float32Array(65), yTrain: [0] })).rejects.toMatchObject({ code: 'NNKIT_ERR_SHAPE' });
    await expect(train(model, { xTrain: new Float32Array(64), yTrain: [10] })).rejects.toMatchObject({ code: 'NNKIT_ERR_LABEL' });
    const bad = new Float32Array(64 * 2);
    bad[70] = NaN;
    await expect(train(model, { xTrain: bad, yTrain: [0, 1] })).rejects.toMatchObject({ code: 'NNKIT_ERR_DATA', message: 'Expected finite values for xTrain but received NaN at index 70' });
    bad[70] = -Infinity;
    await expect(train(model, { xTrain: new Float32Array(128), yTrain: [0, 1], xVal: bad, yVal: [1, 0] })).rejects.toMatchObject({ code: 'NNKIT_ERR_DATA', message: 'Expected finite values for xVal but received -Infinity at index 70' });
  });
});

describe('the demo (npx nnkit demo)', () => {
  it('reaches >= 0.90 validation accuracy on the bundled digits', async () => {
    const result = await runDemo({ verbose: false });
    expect(result.bestValAcc).toBeGreaterThanOrEqual(0.9);
  });
});
