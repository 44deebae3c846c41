import { init } from '../lib/initializers';
import { dense } from '../lib/layers/dense';
import { Sequential } from '../lib/models/sequential';
import { preprocess } from '../lib/preprocess';
import { sanityCheck } from '../lib/sanity';
import { readCifar } from './helpers/data';

const lectureNet = (loss: 'softmax' | 'svm', std = 1e-4) => new Sequential({
  inputSize: 3072,
  layers: [dense(50, { activation: 'relu', init: init.gaussian(std) }), dense(10, { init: init.gaussian(std) })],
  loss,
  seed: 1,
});

describe('sanityCheck: the lecture\'s checks on CIFAR-10', () => {
  const { x, y } = readCifar(500);

  it('the lecture\'s two-layer net passes all three, with the numbers', async () => {
    const r = await sanityCheck(lectureNet('softmax'), { xTrain: x, yTrain: y }, { preprocess: [preprocess.center()] });
    expect(r.checks.map((c) => [c.name, c.passed])).toEqual([['initialLoss', true], ['regularization', true], ['overfit', true]]);
    expect(r.passed).toBe(true);
    expect(r.checks[0].loss as number).toBeCloseTo(Math.log(10), 2);
    expect(r.checks[0].message).toMatch(/^initial loss 2\.30\d\d vs ln\(10\) = 2\.3026: ok$/);
    expect(r.checks[1].lossWithReg as number).toBeGreaterThan(3.0); // the lecture's 3.0686
    expect(r.checks[1].lossWithReg as number).toBeLessThan(3.15);
    expect(r.checks[2].trainAcc).toBe(1);
    expect(r.checks[2].epochs as number).toBeLessThanOrEqual(200);
  }, 60000);

  it('svm: the initial loss is C − 1', async () => {
    const r = await sanityCheck(lectureNet('svm'), { xTrain: x, yTrain: y }, { preprocess: [preprocess.center()] });
    expect(r.checks[0].expected).toBe(9);
    expect(r.checks[0].passed).toBe(true);
  }, 60000);

  it('weights far too large fail the initial-loss check and say why', async () => {
    const r = await sanityCheck(lectureNet('softmax', 0.1), { xTrain: x, yTrain: y }, { preprocess: [preprocess.center()], learningRates: [1e-6], epochs: 2 });
    expect(r.checks[0].passed).toBe(false);
    expect(r.checks[0].message).toMatch(/off by more than 5% \(weights too large, or a bug in the loss\)$/);
    expect(r.passed).toBe(false);
  }, 60000);
});
