/**
 * The trainer issue's results on real data (the numbers go in the release notes):
 * the lecture's two-layer net on the CIFAR-10 subset and an MLP on the MNIST subset.
 */
import { split } from '../lib/data/split';
import { loadCifar10, loadMnist } from '../lib/data/idx';
import { init } from '../lib/initializers';
import { dense } from '../lib/layers/dense';
import { Sequential } from '../lib/models/sequential';
import { preprocess } from '../lib/preprocess';
import { train } from '../lib/trainer';
import { CIFAR_FILE, MNIST_IMAGES, MNIST_LABELS } from './helpers/data';

describe('results on real data', () => {
  it('CIFAR-10 subset, two-layer net (3072-50-10), first 3000 train / last 1000 val, centered: val accuracy >= 0.37', async () => {
    const c = await loadCifar10(CIFAR_FILE);
    const d = 3072;
    const model = new Sequential({
      inputSize: d,
      layers: [dense(50, { activation: 'relu', init: init.gaussian(1e-4) }), dense(10, { init: init.gaussian(1e-4) })],
      seed: 1,
    });
    const r = await train(model, { xTrain: c.x.subarray(0, 3000 * d), yTrain: c.y.subarray(0, 3000), xVal: c.x.subarray(3000 * d), yVal: c.y.subarray(3000) }, {
      epochs: 30, batchSize: 100, update: 'momentum', momentum: 0.9, learningRate: 1e-4, learningRateDecay: 0.95, reg: 1e-3, preprocess: [preprocess.center()],
    });
    console.log(`CIFAR-10 subset: best val accuracy ${r.bestValAcc} (epoch ${r.stats.valAccHistory.indexOf(r.bestValAcc) + 1} of 30); at epoch 10: ${r.stats.valAccHistory[9]}`);
    expect(r.stopReason).toBe('completed');
    expect(r.bestValAcc).toBeGreaterThanOrEqual(0.37);
    expect(r.bestModel.evaluate(c.x.subarray(3000 * d), c.y.subarray(3000)).accuracy).toBe(r.bestValAcc);
  }, 120000);

  it('MNIST subset, 784-300-10 MLP (Adam), 9000 train / 1000 val: val accuracy >= 0.95', async () => {
    const m = await loadMnist(MNIST_IMAGES, MNIST_LABELS);
    const x = m.x.map((v) => v / 255);
    const data = split({ x, y: m.y }, { valFraction: 0.1, seed: 1 });
    const model = new Sequential({ inputSize: 784, layers: [dense(300, { activation: 'relu', init: init.he() }), dense(10)], seed: 1 });
    const r = await train(model, data, { epochs: 20, batchSize: 100, update: 'adam', learningRate: 1e-3, reg: 1e-4, preprocess: [preprocess.center()] });
    console.log(`MNIST subset: best val accuracy ${r.bestValAcc}`);
    expect(r.stopReason).toBe('completed');
    expect(r.bestValAcc).toBeGreaterThanOrEqual(0.95);
  }, 120000);
});
