import { NnError } from '../../lib/errors';
import { init } from '../../lib/initializers';
import { dense } from '../../lib/layers/dense';
import { DenseLayer, Sequential } from '../../lib/models/sequential';
import { reg, regularizers } from '../../lib/regularizers';
import { dropout } from '../../lib/layers/dropout';
import { optim, optimizers } from '../../lib/optimizers';
import { schedule, schedules } from '../../lib/schedules';
import { centerOn, readCifar, readMnist } from '../helpers/data';

/** The lecture's two-layer net: input → 50 hidden (ReLU) → 10-way softmax, weights 0.0001 · randn. */
function twoLayer(inputSize: number, options: { seed?: number; l2?: number } = {}) {
  const r = options.l2 !== undefined ? reg.l2(options.l2) : undefined;
  return new Sequential({
    inputSize,
    layers: [
      dense(50, { activation: 'relu', init: init.gaussian(1e-4), regularizer: r }),
      dense(10, { init: init.gaussian(1e-4), regularizer: r }),
    ],
    loss: 'softmax',
    seed: options.seed ?? 1,
  });
}

describe('Sequential: the lecture\'s loss sanity checks on real data', () => {
  it('initial loss with regularization off is ln(10) on MNIST digits', () => {
    const { x, y } = readMnist(1000);
    const loss = twoLayer(784).loss(x, y);
    expect(Math.abs(loss - Math.log(10))).toBeLessThan(0.02);
  });

  it('initial loss with regularization off is ln(10) on CIFAR-10', () => {
    const { x, y } = readCifar(500);
    centerOn(x, 3072, x);
    expect(Math.abs(twoLayer(3072).loss(x, y) - Math.log(10))).toBeLessThan(0.02);
  });

  it('λ = 1e3 on a 3072-50-10 net raises the initial loss to about 3.07 (½·λ·ΣW² on top of 2.30)', () => {
    const { x, y } = readCifar(500);
    centerOn(x, 3072, x);
    const model = twoLayer(3072, { l2: 1e3 });
    const loss = model.loss(x, y);
    const dataLoss = model.evaluate(x, y).loss;
    let sumSquares = 0;
    for (const layer of model.layers as DenseLayer[]) for (const w of layer.w) sumSquares += w * w;
    expect(Math.abs(loss - 3.07)).toBeLessThan(0.02);
    expect(loss - dataLoss).toBeCloseTo(0.5 * 1e3 * sumSquares, 5); // biases are not regularized
    expect(loss).toBeGreaterThan(twoLayer(3072).loss(x, y) + 0.7);
  });

  it('the same seed gives the same weights; another seed other weights', () => {
    expect(Array.from(twoLayer(64, { seed: 3 }).params)).toEqual(Array.from(twoLayer(64, { seed: 3 }).params));
    expect(Array.from(twoLayer(64, { seed: 3 }).params)).not.toEqual(Array.from(twoLayer(64, { seed: 4 }).params));
  });

  it('gaussian(std) draws weights with that std, biases start at zero', () => {
    const model = twoLayer(3072);
    const w = (model.layers[0] as DenseLayer).w;
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(std).toBeCloseTo(1e-4, 5);
    expect((model.layers[0] as DenseLayer).b?.every((v) => v === 0)).toBe(true);
  });
});

describe('Sequential: predictions', () => {
  const model = new Sequential({ inputSize: 4, layers: [dense(5, { activation: 'relu' }), dense(3)], seed: 2 });
  const x = Float32Array.from({ length: 4 * 2500 }, (_, i) => Math.sin(i));

  it('predict returns n x outputs scores; chunked evaluation matches row-by-row', () => {
    const scores = model.predict(x);
    expect(scores.length).toBe(2500 * 3);
    const row = model.predict(x.subarray(4 * 1234, 4 * 1235));
    expect(Array.from(scores.subarray(3 * 1234, 3 * 1235))).toEqual(Array.from(row));
  });

  it('predictProba rows sum to 1 and predictClasses is their argmax', () => {
    const p = model.predictProba(x);
    const classes = model.predictClasses(x);
    for (let r = 0; r < 2500; r++) {
      const row = Array.from(p.subarray(r * 3, r * 3 + 3));
      expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
      expect(classes[r]).toBe(row.indexOf(Math.max(...row)));
    }
  });

  it('evaluate reports data loss, accuracy and n', () => {
    const y = model.predictClasses(x);
    const result = model.evaluate(x, y);
    expect(result.n).toBe(2500);
    expect(result.accuracy).toBe(1);
    expect(result.loss).toBeGreaterThan(0);
  });

  it('clone is independent', () => {
    const copy = model.clone();
    copy.params[0] += 1;
    expect(copy.params[0]).not.toBe(model.params[0]);
  });
});

describe('Sequential: errors', () => {
  const model = new Sequential({ inputSize: 4, layers: [dense(3)] });
  const cases: Array<[string, () => unknown, string, string]> = [
    ['x not a multiple of inputSize', () => model.predict(new Float32Array(6)), 'NNKIT_ERR_SHAPE', 'Expected a multiple of inputSize 4 for x.length but received 6'],
    ['y of the wrong length', () => model.evaluate(new Float32Array(8), [0]), 'NNKIT_ERR_SHAPE', 'Expected 2 (one label per sample) for y.length but received 1'],
    ['label out of range', () => model.evaluate(new Float32Array(4), [3]), 'NNKIT_ERR_LABEL', 'Expected integer label in [0, 3) for y[0] but received 3'],
    ['x not a Float32Array', () => model.predict([1, 2, 3, 4] as unknown as Float32Array), 'NNKIT_ERR_ARG', 'Expected Float32Array for x but received an Array of length 4'],
    ['units 0', () => dense(0), 'NNKIT_ERR_ARG', 'Expected positive integer for units but received 0'],
    ['unknown activation', () => dense(3, { activation: 'swish' as 'relu' }), 'NNKIT_ERR_ARG', "Expected one of 'relu', 'leakyRelu', 'tanh', 'sigmoid', 'linear' for activation but received 'swish'"],
    ['negative std', () => init.gaussian(-1), 'NNKIT_ERR_ARG', 'Expected non-negative number for std but received -1'],
    ['NaN lambda', () => reg.l2(NaN), 'NNKIT_ERR_ARG', 'Expected non-negative number for lambda but received NaN'],
    ['inputSize 0', () => new Sequential({ inputSize: 0, layers: [dense(2)] }), 'NNKIT_ERR_ARG', 'Expected positive integer for inputSize but received 0'],
    ['no layers', () => new Sequential({ inputSize: 2, layers: [] }), 'NNKIT_ERR_ARG', 'Expected non-empty array of layers for layers but received an Array of length 0'],
    ['unknown loss', () => new Sequential({ inputSize: 2, layers: [dense(2)], loss: 'hinge' as 'softmax' }), 'NNKIT_ERR_ARG', "Expected one of 'softmax', 'svm', 'mse' for loss but received 'hinge'"],
    ['negative units', () => dense(-3), 'NNKIT_ERR_ARG', 'Expected positive integer for units but received -3'],
    ['negative seed', () => new Sequential({ inputSize: 2, layers: [dense(2)], seed: -1 }), 'NNKIT_ERR_ARG', 'Expected non-negative integer for seed but received -1'],
    ['dropout rate below 0', () => dropout(-0.1), 'NNKIT_ERR_ARG', 'Expected number in [0, 1) for rate but received -0.1'],
    ['dropout rate NaN', () => dropout(NaN), 'NNKIT_ERR_ARG', 'Expected number in [0, 1) for rate but received NaN'],
    ['adam β1 NaN', () => optim.adam(NaN), 'NNKIT_ERR_ARG', 'Expected number in [0, 1) for beta1 but received NaN'],
    ['momentum μ = 1', () => optim.momentum(1), 'NNKIT_ERR_ARG', 'Expected number in [0, 1) for mu but received 1'],
    ['rmsprop ε = 0', () => optim.rmsprop(0.9, 0), 'NNKIT_ERR_ARG', 'Expected positive number for eps but received 0'],
    ['step every 0 epochs', () => schedule.step(0, 0.5), 'NNKIT_ERR_ARG', 'Expected positive integer for everyEpochs but received 0'],
    ['decay NaN', () => schedule.decay(NaN), 'NNKIT_ERR_ARG', 'Expected positive number for factor but received NaN'],
    ['cosine of negative length', () => schedule.cosine(-1, 0), 'NNKIT_ERR_ARG', 'Expected positive integer for totalIterations but received -1'],
    ['fractional warmup', () => schedule.warmup(1.5, schedule.constant()), 'NNKIT_ERR_ARG', 'Expected positive integer for iterations but received 1.5'],
    ['constant NaN', () => init.constant(NaN), 'NNKIT_ERR_ARG', 'Expected finite number for value but received NaN'],
    ['elastic net β NaN', () => reg.elasticNet(0.1, NaN), 'NNKIT_ERR_ARG', 'Expected non-negative number for beta but received NaN'],
    ['unknown optimizer', () => optimizers.deserialize({ name: 'lbfgs', config: {} }), 'NNKIT_ERR_ARG', "Expected one of 'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam' for optimizer name but received 'lbfgs'"],
    ['unknown schedule', () => schedules.deserialize({ name: 'poly', config: {} }), 'NNKIT_ERR_ARG', "Expected one of 'constant', 'decay', 'step', 'exponential', 'cosine', 'warmup' for schedule name but received 'poly'"],
    ['unknown regularizer', () => regularizers.deserialize({ name: 'l3', config: {} }), 'NNKIT_ERR_ARG', "Expected one of 'l1', 'l2', 'elasticNet' for regularizer name but received 'l3'"],
    ['unknown layer', () => Sequential.fromConfig({ inputSize: 2, loss: 'softmax', seed: 1, layers: [{ name: 'conv', config: {} }] }), 'NNKIT_ERR_ARG', "Expected one of 'dense', 'dropout' for layer name but received 'conv'"],
    ['mse targets of the wrong length', () => new Sequential({ inputSize: 2, layers: [dense(2)], loss: 'mse' }).evaluate(new Float32Array(4), new Float32Array(3)), 'NNKIT_ERR_SHAPE', 'Expected 4 (n x outputs) for y.length but received 3'],
  ];
  it.each(cases)('%s', (_, fn, code, message) => {
    expect(fn).toThrow(NnError);
    expect(fn).toThrow(expect.objectContaining({ code, message }));
  });
});

describe('Sequential: a batch given as row indices into the data set', () => {
  function gathered(x: Float32Array, d: number, rows: Int32Array): Float32Array {
    const out = new Float32Array(rows.length * d);
    rows.forEach((r, i) => out.set(x.subarray(r * d, (r + 1) * d), i * d));
    return out;
  }

  for (const [name, first] of [['a first dense layer reads the rows in place', 'dense'], ['a first dropout layer gets them gathered', 'dropout']] as const) {
    it(`computeGradients(x, y, n, { rows }) equals the same call on the gathered batch: ${name}`, () => {
      const d = 70, nData = 300, n = 100;
      const layers = [dense(50, { activation: 'relu', init: init.he() }), dense(10)];
      const model = new Sequential({ inputSize: d, layers: first === 'dense' ? layers : [dropout(0.2), ...layers], seed: 3 });
      const x = new Float32Array(nData * d).map((_, i) => Math.sin(i * 0.37));
      const rows = Int32Array.from({ length: n }, (_, i) => (i * 97 + 13) % nData);
      rows[5] = rows[6]; // a row drawn twice
      const y = Int32Array.from(rows, (r) => r % 10);
      for (const threads of [1, 2]) {
        model.threads = threads;
        const viaRows = model.computeGradients(x, y, n, { defaultL2: 1e-3, dropoutSeed: 9, rows });
        const gradsRows = model.grads.slice();
        const viaCopy = model.computeGradients(gathered(x, d, rows), y, n, { defaultL2: 1e-3, dropoutSeed: 9 });
        expect(Math.abs(viaRows - viaCopy)).toBeLessThan(1e-6 * Math.abs(viaCopy));
        let worst = 0;
        gradsRows.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - model.grads[i]))));
        expect(worst).toBeLessThan(1e-5);
      }
    });
  }

  it('a row index out of range or a wrong count is a coded error, whatever the first layer', () => {
    const x = new Float32Array(10 * 4);
    const y = new Int32Array(2);
    for (const layers of [[dense(3)], [dropout(0.5), dense(3)]]) {
      const model = new Sequential({ inputSize: 4, layers, seed: 1 });
      expect(() => model.computeGradients(x, y, 2, { rows: Int32Array.from([0, 10]) })).toThrow(
        expect.objectContaining({ code: 'NNKIT_ERR_SHAPE', message: expect.stringMatching(/^Expected row index in \[0, 10\) for (rows|indices)\[1\] but received 10$/) }));
      expect(() => model.computeGradients(x, y, 2, { rows: Int32Array.from([0, 1, 2]) })).toThrow(
        expect.objectContaining({ code: 'NNKIT_ERR_SHAPE', message: 'Expected the batch size 2 for rows.length but received 3' }));
    }
  });
});

describe('Sequential: a training step with the update taken inside the backward pass', () => {
  // dropout, an L1 layer, an L2 layer (defaultL2), a bias-free layer, a batch of row indices
  const make = () => new Sequential({
    inputSize: 30,
    layers: [dense(64, { activation: 'relu', init: init.he(), regularizer: reg.l1(1e-3) }), dropout(0.3),
      dense(40, { activation: 'tanh', init: init.xavier(), bias: false }), dense(5, { init: init.xavier() })],
    seed: 4,
  });
  const n = 200, batch = 48;
  const x = Float32Array.from({ length: n * 30 }, (_, i) => Math.sin(i * 0.37));
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7) % 5);
  const options = (it: number) => ({ defaultL2: 1e-2, dropoutSeed: 100 + it, rows: Int32Array.from({ length: batch }, (_, i) => (i * 13 + it * 31) % n) });
  const labels = (rows: Int32Array) => Int32Array.from(rows, (r) => y[r]);

  it('forwardLoss + backwardUpdate takes the steps of computeGradients + step (SGD, momentum, Nesterov); the cost matches', () => {
    for (const opt of [() => optim.sgd(), () => optim.momentum(0.9), () => optim.nesterov(0.8)]) {
      const a = make(), b = make();
      const oa = opt(), ob = opt();
      let penalty = b.regularizationLoss(1e-2);
      for (let it = 0; it < 8; it++) {
        const o = options(it);
        const lr = 0.05 * 0.9 ** it;
        const costA = a.computeGradients(x, labels(o.rows), batch, o);
        oa.step(a.params, a.grads, lr);
        const costB = b.forwardLoss(x, labels(o.rows), batch, o) + penalty;
        penalty = b.backwardUpdate(batch, o, (ob.fused as NonNullable<typeof ob.fused>)(b.params, lr));
        expect({ name: oa.name, it, cost: Math.abs(costB - costA) < 1e-5 * Math.abs(costA) }).toEqual({ name: oa.name, it, cost: true });
      }
      let worst = 0;
      a.params.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b.params[i]) / (Math.abs(v) + 1e-3))));
      expect({ name: oa.name, close: worst < 1e-5, moved: a.params.some((v, i) => v !== make().params[i]) }).toEqual({ name: oa.name, close: true, moved: true });
      expect(penalty).toBeCloseTo(b.regularizationLoss(1e-2), 6);
      expect(ob.getState().t).toBe(8); // fused steps count as steps
    }
  });

  it('only SGD, momentum and Nesterov have a fused step', () => {
    expect([optim.sgd(), optim.momentum(), optim.nesterov(), optim.adagrad(), optim.rmsprop(), optim.adam()].map((o) => typeof o.fused))
      .toEqual(['function', 'function', 'function', 'undefined', 'undefined', 'undefined']);
  });

  it('backwardUpdate needs a forwardLoss on the same batch size just before it', () => {
    const m = make();
    const step = () => (optim.sgd().fused as NonNullable<ReturnType<typeof optim.sgd>['fused']>)(m.params, 0.1);
    const code = expect.objectContaining({ code: 'NNKIT_ERR_ARG' });
    expect(() => m.backwardUpdate(batch, {}, step())).toThrow(code);
    m.forwardLoss(x, labels(options(0).rows), batch, options(0));
    expect(() => m.backwardUpdate(batch + 1, {}, step())).toThrow(code);
    m.backwardUpdate(batch, options(0), step());
    expect(() => m.backwardUpdate(batch, options(0), step())).toThrow(code); // dZ was computed in place: once only
    m.computeGradients(x, labels(options(0).rows), batch, options(0));
    expect(() => m.backwardUpdate(batch, options(0), step())).toThrow(code);
  });
});
