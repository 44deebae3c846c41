/**
 * Weight initializers. A weight matrix is fan_in x fan_out, row-major, as the lecture writes it
 * (`W = np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)`). All draw from the model's seeded
 * generator: the same seed gives the same numbers on every machine.
 */
import * as is from './is';
import { num, Registry } from './registry';
import { Rng } from './rng';

export interface Initializer {
  /** Registry name: the factory's name. */
  readonly name: string;
  readonly config: Record<string, number>;
  fill(w: Float32Array, fanIn: number, fanOut: number, rng: Rng): void;
}

function normal(name: string, config: Record<string, number>, std: (fanIn: number, fanOut: number) => number): Initializer {
  return {
    name,
    config,
    fill(w, fanIn, fanOut, rng) {
      const s = std(fanIn, fanOut);
      for (let i = 0; i < w.length; i++) w[i] = s * rng.gaussian();
    },
  };
}

export const init = {
  /** `std * randn` — the lecture's `0.01 * np.random.randn(D, H)` and `0.0001 * randn`. */
  gaussian(std = 0.01): Initializer {
    is.nonNegativeNumber(std, 'std');
    return normal('gaussian', { std }, () => std);
  },

  /** Xavier as the lecture writes it: `randn(fan_in, fan_out) / sqrt(fan_in)` (Glorot & Bengio, 2010). */
  xavier(): Initializer {
    return normal('xavier', {}, (fanIn) => 1 / Math.sqrt(fanIn));
  },

  /** Glorot uniform: U(−l, l), l = sqrt(6 / (fan_in + fan_out)). */
  glorotUniform(): Initializer {
    return {
      name: 'glorotUniform',
      config: {},
      fill(w, fanIn, fanOut, rng) {
        const limit = Math.sqrt(6 / (fanIn + fanOut));
        for (let i = 0; i < w.length; i++) w[i] = limit * (2 * rng.uniform() - 1);
      },
    };
  },

  /** Glorot normal: N(0, 2 / (fan_in + fan_out)). */
  glorotNormal(): Initializer {
    return normal('glorotNormal', {}, (fanIn, fanOut) => Math.sqrt(2 / (fanIn + fanOut)));
  },

  /** He et al. (2015), for ReLU layers: N(0, 2 / fan_in). */
  he(): Initializer {
    return normal('he', {}, (fanIn) => Math.sqrt(2 / fanIn));
  },

  /**
   * Orthogonal (Saxe et al., 2014): a Gaussian matrix orthonormalized (modified Gram-Schmidt in
   * float64) along its shorter side, times `gain`.
   */
  orthogonal(gain = 1): Initializer {
    is.finiteNumber(gain, 'gain');
    return {
      name: 'orthogonal',
      config: { gain },
      fill(w, fanIn, fanOut, rng) {
        // Orthonormal vectors of length `len`, `count` of them (count <= len): rows or columns.
        const rowsAreVectors = fanIn <= fanOut;
        const count = rowsAreVectors ? fanIn : fanOut;
        const len = rowsAreVectors ? fanOut : fanIn;
        const v = new Float64Array(count * len);
        for (let i = 0; i < v.length; i++) v[i] = rng.gaussian();
        for (let a = 0; a < count; a++) {
          const va = v.subarray(a * len, (a + 1) * len);
          for (let b = 0; b < a; b++) {
            const vb = v.subarray(b * len, (b + 1) * len);
            let dot = 0;
            for (let i = 0; i < len; i++) dot += va[i] * vb[i];
            for (let i = 0; i < len; i++) va[i] -= dot * vb[i];
          }
          let norm = 0;
          for (let i = 0; i < len; i++) norm += va[i] * va[i];
          norm = Math.sqrt(norm) || 1;
          for (let i = 0; i < len; i++) va[i] /= norm;
        }
        for (let r = 0; r < fanIn; r++) {
          for (let c = 0; c < fanOut; c++) w[r * fanOut + c] = gain * (rowsAreVectors ? v[r * len + c] : v[c * len + r]);
        }
      },
    };
  },

  /** All zeros (the default for biases). */
  zeros(): Initializer {
    return { name: 'zeros', config: {}, fill: (w) => void w.fill(0) };
  },

  /** Every weight `value`. */
  constant(value: number): Initializer {
    is.finiteNumber(value, 'value');
    return { name: 'constant', config: { value }, fill: (w) => void w.fill(value) };
  },
};

export const initializers = new Registry<Initializer>('initializer');
initializers.register('gaussian', (c) => init.gaussian(num(c, 'std')));
initializers.register('xavier', () => init.xavier());
initializers.register('glorotUniform', () => init.glorotUniform());
initializers.register('glorotNormal', () => init.glorotNormal());
initializers.register('he', () => init.he());
initializers.register('orthogonal', (c) => init.orthogonal(num(c, 'gain')));
initializers.register('zeros', () => init.zeros());
initializers.register('constant', (c) => init.constant(num(c, 'value') as number));
