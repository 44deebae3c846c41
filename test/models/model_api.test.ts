import { activationStats } from '../../lib/diagnostics';
import { gradCheck } from '../../lib/gradcheck';
import { init, initializers } from '../../lib/initializers';
import { ACTIVATIONS, dense } from '../../lib/layers/dense';
import { dropout } from '../../lib/layers/dropout';
import { deserializeLayer, serializeLayer } from '../../lib/layers/index';
import { DenseLayer, Sequential } from '../../lib/models/sequential';
import { optim, optimizers } from '../../lib/optimizers';
import { reg, regularizers } from '../../lib/regularizers';
import { Registry } from '../../lib/registry';
import { Rng } from '../../lib/rng';
import { schedule, schedules } from '../../lib/schedules';

const families: Array<[string, Registry<{ name: string; config: Record<string, unknown> }>, Record<string, (...a: never[]) => { name: string }>, unknown[][]]> = [
  ['initializers', initializers, init, [[0.02], [], [], [], [], [1.5], [], [0.3]]],
  ['regularizers', regularizers, reg, [[0.1], [0.2], [0.3, 0.5]]],
  ['optimizers', optimizers, optim, [[], [0.8], [0.7], [1e-6], [0.9, 1e-7], [0.8, 0.99, 1e-6]]],
  ['schedules', schedules, schedule, [[], [0.9], [3, 0.5], [0.999], [1000, 1e-5], [100, schedule.cosine(500)]]],
];

describe('registry', () => {
  it.each(families)('every %s factory is registered under its own name and round-trips through JSON', (_, registry, factories, args) => {
    expect(registry.names()).toEqual(Object.keys(factories));
    Object.entries(factories).forEach(([name, factory], i) => {
      const item = (factory as (...a: unknown[]) => { name: string; config: Record<string, unknown> })(...args[i]);
      expect(item.name).toBe(name);
      const json = JSON.parse(JSON.stringify(registry.serialize(item)));
      const back = registry.deserialize(json);
      expect(back.name).toBe(name);
      expect(registry.serialize(back)).toEqual(json);
    });
  });

  it('layers and whole models round-trip', () => {
    const layers = [dense(7, { activation: 'leakyRelu', init: init.orthogonal(2), regularizer: reg.elasticNet(0.1, 0.5) }), dropout(0.25), dense(3, { bias: false })];
    for (const l of layers) expect(serializeLayer(deserializeLayer(JSON.parse(JSON.stringify(serializeLayer(l)))))).toEqual(serializeLayer(l));
    const model = new Sequential({ inputSize: 5, layers, loss: 'svm', seed: 4 });
    const again = Sequential.fromConfig(JSON.parse(JSON.stringify(model.toConfig())));
    expect(Array.from(again.params)).toEqual(Array.from(model.params)); // same seed, same initialization
  });

  it('unknown names are coded errors', () => {
    expect(() => initializers.deserialize({ name: 'lecun', config: {} })).toThrow(expect.objectContaining({ code: 'NNKIT_ERR_ARG', message: expect.stringMatching(/^Expected one of 'gaussian', .* for initializer name but received 'lecun'$/) }));
  });
});

describe('initializers', () => {
  const fill = (i: ReturnType<typeof init.he>, fanIn: number, fanOut: number) => {
    const w = new Float32Array(fanIn * fanOut);
    i.fill(w, fanIn, fanOut, new Rng(3));
    return w;
  };
  const std = (w: Float32Array) => Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
  it('scales: xavier 1/sqrt(fan_in), he sqrt(2/fan_in), glorot sqrt(2/(in+out))', () => {
    expect(std(fill(init.xavier(), 400, 300))).toBeCloseTo(1 / 20, 2);
    expect(std(fill(init.he(), 400, 300))).toBeCloseTo(Math.sqrt(2 / 400), 2);
    expect(std(fill(init.glorotNormal(), 400, 300))).toBeCloseTo(Math.sqrt(2 / 700), 2);
    const u = fill(init.glorotUniform(), 400, 300);
    expect(Math.max(...u)).toBeLessThanOrEqual(Math.sqrt(6 / 700));
    expect(std(u)).toBeCloseTo(Math.sqrt(2 / 700), 2);
    expect(Array.from(fill(init.constant(0.5), 2, 2))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
  it('orthogonal: WᵀW = I along the shorter side', () => {
    for (const [fanIn, fanOut] of [[30, 12], [12, 30]]) {
      const w = fill(init.orthogonal(), fanIn, fanOut);
      const k = Math.min(fanIn, fanOut);
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          let dot = 0;
          for (let i = 0; i < Math.max(fanIn, fanOut); i++) dot += fanIn > fanOut ? w[i * fanOut + a] * w[i * fanOut + b] : w[a * fanOut + i] * w[b * fanOut + i];
          expect(dot).toBeCloseTo(a === b ? 1 : 0, 5);
        }
      }
    }
  });
});

describe('schedules', () => {
  it('are pure functions of (base, iteration, epoch)', () => {
    expect(schedule.constant().lr(0.1, 50, 3)).toBe(0.1);
    expect(schedule.decay(0.95).lr(1, 0, 2)).toBeCloseTo(0.9025, 12);
    expect(schedule.step(3, 0.1).lr(1, 0, 5)).toBeCloseTo(0.1, 12);
    expect(schedule.step(3, 0.1).lr(1, 0, 6)).toBeCloseTo(0.01, 12);
    expect(schedule.exponential(0.5).lr(1, 3, 0)).toBe(0.125);
    const cos = schedule.cosine(100, 0.01);
    expect(cos.lr(1, 0, 0)).toBe(1);
    expect(cos.lr(1, 50, 0)).toBeCloseTo(0.505, 12);
    expect(cos.lr(1, 100, 0)).toBe(0.01);
    const warm = schedule.warmup(10, schedule.cosine(100));
    expect(warm.lr(1, 0, 0)).toBeCloseTo(0.1, 12);
    expect(warm.lr(1, 9, 0)).toBeCloseTo(1, 12);
    expect(warm.lr(1, 50, 0)).toBeCloseTo(0.5, 12);
  });
});

describe('optimizers', () => {
  it('state survives getState/setState: a restored optimizer continues identically', () => {
    for (const make of [() => optim.momentum(), () => optim.nesterov(), () => optim.adagrad(), () => optim.rmsprop(), () => optim.adam()]) {
      const g = Float32Array.from([0.5, -1, 2]);
      const a = make();
      const w = Float32Array.from([1, 2, 3]);
      a.step(w, g, 0.1);
      const b = make();
      b.setState(a.getState());
      const w2 = w.slice();
      a.step(w, g, 0.1);
      b.step(w2, g, 0.1);
      expect(Array.from(w2)).toEqual(Array.from(w));
    }
  });
});

describe('losses and dropout in a model', () => {
  const rng = new Rng(2);
  const x = Float32Array.from({ length: 200 * 20 }, () => rng.gaussian());
  const y = Int32Array.from({ length: 200 }, (_, i) => i % 10);
  it('initial svm loss ≈ C − 1 with tiny weights; mse is ½·mean Σ(ŷ − y)²', () => {
    const svm = new Sequential({ inputSize: 20, layers: [dense(10, { init: init.gaussian(1e-5) })], loss: 'svm' });
    expect(svm.loss(x, y)).toBeCloseTo(9, 2);
    const mse = new Sequential({ inputSize: 20, layers: [dense(3, { init: init.zeros() })], loss: 'mse' });
    const t = Float32Array.from({ length: 600 }, () => 2);
    expect(mse.evaluate(x, t).loss).toBeCloseTo(0.5 * 3 * 4, 6);
    expect(() => mse.evaluate(x, y)).toThrow(expect.objectContaining({ code: 'NNKIT_ERR_ARG' }));
    expect(() => svm.predictProba(x)).toThrow(expect.objectContaining({ message: "Expected 'softmax' for loss of a model for predictProba but received 'svm'" }));
  });
  it('dropout is the identity at prediction time', () => {
    const a = new Sequential({ inputSize: 20, layers: [dense(30, { activation: 'relu' }), dropout(0.5), dense(10)], seed: 3 });
    const b = new Sequential({ inputSize: 20, layers: [dense(30, { activation: 'relu' }), dense(10)], seed: 3 });
    expect(Array.from(a.predict(x))).toEqual(Array.from(b.predict(x)));
    expect(() => dropout(1)).toThrow(expect.objectContaining({ message: 'Expected number in [0, 1) for rate but received 1' }));
  });
});

describe('gradCheck over every layer × activation × loss × regularizer', () => {
  const rng = new Rng(8);
  const n = 8; // a power of two: 1/n is exact in float32, so SVM gradients that cancel to 0 stay 0
  const x = Float32Array.from({ length: n * 5 }, () => rng.gaussian());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  const targets = Float32Array.from({ length: n * 4 }, () => rng.gaussian());
  const regs = [undefined, reg.l2(0.1), reg.l1(0.05), reg.elasticNet(0.05, 0.5)];
  for (const activation of ACTIVATIONS) {
    for (const loss of ['softmax', 'svm', 'mse'] as const) {
      it(`${activation} + ${loss}`, () => {
        for (const [ri, r] of regs.entries()) {
          const model = new Sequential({
            inputSize: 5,
            layers: [dense(7, { activation, regularizer: r }), dropout(0.3), dense(6, { activation, regularizer: r }), dense(4, { regularizer: r })],
            loss,
            seed: 10 + ri,
          });
          const res = gradCheck(model, x, loss === 'mse' ? targets : labels, { reg: 0.01, seed: ri });
          expect(res.maxRelError).toBeLessThan(1e-4);
          expect(res.nativeMaxRelError).toBeLessThan(1e-3);
          expect(res.nativeSkipped).toBeLessThanOrEqual(6); // of 118 coordinates (svm: the 4 output biases sum to exactly 0)
          expect(res.checked).toBeGreaterThan(100);
        }
      });
    }
  }
});

describe('activationStats: the lecture\'s initialization experiment', () => {
  const rng = new Rng(0);
  const x = Float32Array.from({ length: 1000 * 500 }, () => rng.gaussian());
  const tanhNet = (i: ReturnType<typeof init.xavier>) =>
    new Sequential({ inputSize: 500, layers: Array.from({ length: 10 }, () => dense(500, { activation: 'tanh', init: i })), seed: 1 });
  it('Xavier: the std decays gently, as in the lecture\'s table', () => {
    const lecture = [0.63, 0.49, 0.41, 0.36, 0.32, 0.29, 0.27, 0.25, 0.24, 0.23];
    const stats = activationStats(tanhNet(init.xavier()), x);
    stats.forEach((s, i) => {
      expect(Math.abs(s.std - lecture[i])).toBeLessThan(0.03);
      expect(Math.abs(s.mean)).toBeLessThan(0.01);
    });
  });
  it('0.01 · randn: activations collapse by orders of magnitude', () => {
    const stats = activationStats(tanhNet(init.gaussian(0.01)), x);
    expect(stats[0].std).toBeCloseTo(0.21, 1);
    expect(stats[1].std).toBeCloseTo(0.047, 2);
    expect(stats[9].std).toBeLessThan(1e-6);
    expect(stats[9].std).toBeGreaterThan(1e-8);
    expect((new Sequential({ inputSize: 2, layers: [dense(2)] }).layers[0] as DenseLayer).units).toBe(2);
  });
});
