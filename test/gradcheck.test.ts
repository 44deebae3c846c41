import { loadDigits } from '../lib/data/datasets';
import { gradCheck, relError } from '../lib/gradcheck';
import { init } from '../lib/initializers';
import { dense } from '../lib/layers/dense';
import { Sequential } from '../lib/models/sequential';
import { reg } from '../lib/regularizers';
import { centerOn, readCifar } from './helpers/data';

describe('gradCheck', () => {
  it('relError uses the larger magnitude, with a floor', () => {
    expect(relError(1, 1.01, 1e-6)).toBeCloseTo(0.01 / 1.01, 10);
    expect(relError(1e-9, 2e-9, 1e-6)).toBeCloseTo(1e-3, 10);
  });

  it('the lecture\'s two-layer net on CIFAR-10 (3072-50-10, 0.0001 · randn), reg off and on', () => {
    const { x, y } = readCifar(30);
    centerOn(x, 3072, x);
    for (const lambda of [0, 1e3]) {
      const model = new Sequential({
        inputSize: 3072,
        layers: [dense(50, { activation: 'relu', init: init.gaussian(1e-4) }), dense(10, { init: init.gaussian(1e-4) })],
        seed: 4,
      });
      const r = gradCheck(model, x, y, { reg: lambda, samples: 100 });
      expect(r.maxRelError).toBeLessThan(1e-4);
      expect(r.nativeMaxRelError).toBeLessThan(1e-3);
      expect(Object.keys(r.perParam)).toEqual(['dense0.W', 'dense0.b', 'dense1.W', 'dense1.b']);
      expect(r.checked).toBeGreaterThan(200); // of 260 drawn; the rest straddle a ReLU kink
      expect(r.skipped).toBeLessThan(r.checked / 4);
    }
  });

  it('a deeper net on the digits (two ReLU layers, per-layer L2, Xavier init), every coordinate', async () => {
    const digits = await loadDigits();
    const x = digits.x.slice(0, 16 * 64).map((v) => v / 16); // pixel counts 0-16 scaled to [0, 1]
    centerOn(x, 64, x);
    const model = new Sequential({
      inputSize: 64,
      layers: [
        dense(12, { activation: 'relu', regularizer: reg.l2(0.05) }),
        dense(9, { activation: 'relu' }),
        dense(10, { bias: false, regularizer: reg.l2(0.5) }),
      ],
      seed: 9,
    });
    const r = gradCheck(model, x, digits.y.slice(0, 16), { samples: 10000, reg: 0.01 });
    expect(r.maxRelError).toBeLessThan(1e-4);
    expect(r.nativeMaxRelError).toBeLessThan(1e-3);
    expect(r.checked + r.skipped).toBe(64 * 12 + 12 + 12 * 9 + 9 + 9 * 10);
  });

  it('detects a wrong gradient', () => {
    const { x, y } = readCifar(5);
    const model = new Sequential({ inputSize: 3072, layers: [dense(10)], seed: 1 });
    // A model whose native gradient is corrupted by 1% in one (well-conditioned) coordinate must
    // fail the native comparison, and the honest one pass it.
    expect(gradCheck(model, x, y, { samples: 20 }).nativeMaxRelError).toBeLessThan(1e-3);
    const target = model.grads.reduce((best, g, i, all) => (Math.abs(g) > Math.abs(all[best]) ? i : best), 0);
    const original = model.computeGradients.bind(model);
    model.computeGradients = (...args) => {
      const loss = original(...args);
      model.grads[target] *= 1.01;
      return loss;
    };
    const r = gradCheck(model, x, y, { samples: 20 });
    expect(r.nativeMaxRelError).toBeGreaterThan(5e-3);
    expect(r.nativeSkipped).toBeLessThan(model.grads.length / 100);
  });
});
